package org.dsv32.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.junit.jupiter.api.Test;

class ReferenceHadamardTest {
    private static HadamardOp hadamard() { return TestContexts.op(HadamardOp.class, TestContexts.exact()); }

    /** Sylvester's recursion H_1 = [1], H_2n = [[H, H], [H, -H]], built independently of the operation. */
    private static double[][] sylvester(int n) {
        double[][] h = {{1}};
        while (h.length < n) {
            int m = h.length;
            double[][] next = new double[2 * m][2 * m];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < m; j++) {
                    next[i][j] = h[i][j];
                    next[i][j + m] = h[i][j];
                    next[i + m][j] = h[i][j];
                    next[i + m][j + m] = -h[i][j];
                }
            }
            h = next;
        }
        return h;
    }

    @Test
    void closedFormsForTwoAndFour() {
        double r2 = Math.sqrt(0.5);
        TensorF64 y2 = hadamard().apply(TensorF64.wrap(new double[] {3, 5}, 1, 2));
        // each output a +-1 sum of n terms and the scale n^-1/2, relative to sum |x| / sqrt(n)
        assertEquals(8 * r2, y2.at(0, 0), KernelTolerances.float64Reordered(2 + 2) * 8 * r2);
        assertEquals(-2 * r2, y2.at(0, 1), KernelTolerances.float64Reordered(2 + 2) * 8 * r2);
        // H_4 rows: (1 1 1 1), (1 -1 1 -1), (1 1 -1 -1), (1 -1 -1 1), scale 1/2
        TensorF64 y4 = hadamard().apply(TensorF64.wrap(new double[] {1, 2, 3, 4}, 1, 4));
        double[] expected = {10 / 2.0, -2 / 2.0, -4 / 2.0, 0};
        for (int i = 0; i < 4; i++) assertEquals(expected[i], y4.at(0, i), KernelTolerances.float64Reordered(4 + 2) * 10 / 2.0, "y[" + i + "]");
    }

    @Property(tries = 8, seed = "128")
    void equalsTheScaledSylvesterMatrix(@ForAll @IntRange(min = 0, max = 7) int log2n, @ForAll long seed) {
        int n = 1 << log2n;
        double[][] h = sylvester(n);
        TensorF64 x = TestWeights.matrix(2, n, 1.0, new Random(seed));
        TensorF64 y = hadamard().apply(x);
        for (int r = 0; r < 2; r++) {
            double abs = 0;
            for (int j = 0; j < n; j++) abs += Math.abs(x.at(r, j));
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int j = 0; j < n; j++) s += h[i][j] * x.at(r, j);
                assertEquals(s / Math.sqrt(n), y.at(r, i), KernelTolerances.float64Reordered(n + 2) * abs / Math.sqrt(n));
            }
        }
    }

    @Property(tries = 20, seed = "129")
    void isItsOwnInverseBecauseHTimesHIsNTimesI(@ForAll long seed, @ForAll @IntRange(min = 0, max = 8) int log2n) {
        int n = 1 << log2n;
        TensorF64 x = TestWeights.matrix(3, n, 10.0, new Random(seed));
        TensorF64 back = hadamard().apply(hadamard().apply(x));
        double scale = 0;
        for (int i = 0; i < x.size(); i++) scale = Math.max(scale, Math.abs(x.getFlat(i)));
        // two transforms, each a chain of n-term +-1 sums
        for (int i = 0; i < x.size(); i++) assertEquals(x.getFlat(i), back.getFlat(i), KernelTolerances.float64Chain(n, n) * scale);
    }

    @Property(tries = 20, seed = "130")
    void preservesTheNormOfEachRow(@ForAll long seed) {
        TensorF64 x = TestWeights.matrix(4, 128, 3.0, new Random(seed));
        TensorF64 y = hadamard().apply(x);
        for (int r = 0; r < 4; r++) {
            double a = 0, b = 0;
            for (int c = 0; c < 128; c++) {
                a += x.at(r, c) * x.at(r, c);
                b += y.at(r, c) * y.at(r, c);
            }
            // two 128-term sums of squares, and the transform's own error (2 |y| |dy|)
            assertEquals(a, b, (KernelTolerances.float64Reordered(128) + 2 * KernelTolerances.float64Chain(128)) * a);
        }
    }

    @Test
    void rejectsALengthThatIsNotAPowerOfTwo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> hadamard().apply(TensorF64.zeros(1, 96)));
        assertTrue(e.getMessage().contains("96"), e.getMessage());
    }

    @Test
    void inputIsNotModified() {
        TensorF64 x = TestWeights.matrix(2, 128, 1.0, new Random(2));
        double[] before = x.toArray();
        hadamard().apply(x);
        assertTrue(Arrays.equals(before, x.toArray()));
    }
}
