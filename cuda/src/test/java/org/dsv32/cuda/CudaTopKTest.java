package org.dsv32.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The CPU selection the GPU path falls back to (and the GPU test compares its kernel with) against its definition. No GPU. */
class CudaTopKTest {
    @Test
    void followsDoubleCompareOrderWithTiesToTheLowerIndex() {
        double[] s = {1.0, Double.NaN, -0.0, 0.0, 1.0, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, 0.0, 5.0, 9.0};
        // key 9 is not visible (visible = 9): NaN first, then +inf, 5, the two 1.0 (lower index first), 0.0, 0.0, -0.0, -inf
        assertArrayEquals(new int[] {1, 6, 8, 0, 4, 3, 7, 2, 5}, CudaTopK.select(s, 0, 9, 100));
        assertArrayEquals(new int[] {1, 6, 8, 0}, CudaTopK.select(s, 0, 9, 4));
        assertArrayEquals(new int[] {0}, CudaTopK.select(new double[] {7, 3}, 0, 1, 8));
        assertArrayEquals(new int[] {1, 0}, CudaTopK.select(new double[] {9, 9, 2, 3}, 2, 2, 8));   // offset: row [2, 3]
    }

    @Property(tries = 50, seed = "17")
    void equalsTheFirstKOfAFullStableSort(@ForAll long seed, @ForAll @IntRange(min = 1, max = 60) int visible,
                                          @ForAll @IntRange(min = 0, max = 70) int topk) {
        Random rnd = new Random(seed);
        double[] s = new double[visible + 3];
        for (int i = 0; i < s.length; i++) s[i] = rnd.nextInt(5) == 0 ? (double) rnd.nextInt(3) : rnd.nextGaussian();
        int[] got = CudaTopK.select(s, 0, visible, topk);
        // selection by repeated "best remaining" scans: an independent formulation of the same order
        int n = Math.min(topk, visible);
        boolean[] taken = new boolean[visible];
        int[] expected = new int[n];
        for (int i = 0; i < n; i++) {
            int best = -1;
            for (int j = 0; j < visible; j++) {
                if (!taken[j] && (best < 0 || Double.compare(s[j], s[best]) > 0)) best = j;
            }
            taken[best] = true;
            expected[i] = best;
        }
        assertArrayEquals(expected, got);
    }
}
