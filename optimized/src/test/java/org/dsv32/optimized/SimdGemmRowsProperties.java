package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.spec.weights.Fp8BlockWeight;

/**
 * The few-row FP8 GEMM ({@link SimdGemmKernels#gemmRows}: row groups of 8/4/2 padded rows, W decoded once per
 * k-block for all of them, 1-4 blocks per step, rescaled rows decoded without the 2^120 multiply) gives the
 * canonical bits of {@link SimdGemmProblem}: at every width and on 1 and 2 threads it equals the scalar kernel
 * (width 0, which decodes every code exactly, one output at a time), for every row count around the group sizes,
 * K of whole and partial steps of blocks, ragged K and N, rows the rescaling must refuse, and NaN codes.
 */
class SimdGemmRowsProperties {
    @Property(tries = 40, seed = "20261204")
    void everyRowCountWidthAndThreadCountGivesTheCanonicalBits(
            @ForAll long seed, @ForAll @IntRange(min = 2, max = 72) int m, @ForAll @IntRange(min = 0, max = 4) int shape,
            @ForAll @IntRange(min = -140, max = 100) int exponent, @ForAll boolean nanCodes, @ForAll boolean extremeRow,
            @ForAll boolean subnormalCodes) {
        Random rnd = new Random(seed);
        // (N, K, block rows, block cols): one block; five blocks (a full step of four and a short one); ragged K in
        // 96-column blocks; N not a multiple of any width with 64-row blocks; eleven blocks
        int[][] shapes = {{40, 128, 128, 128}, {130, 640, 128, 128}, {101, 203, 64, 96}, {77, 384, 64, 128}, {150, 1408, 128, 128}};
        int n = shapes[shape][0], k = shapes[shape][1], br = shapes[shape][2], bc = shapes[shape][3];
        Fp8BlockWeight w = SimdTestData.fp8Weight(rnd, n, k, br, bc, rnd.nextBoolean(), false);
        // with subnormal codes every row decodes exactly (SimdGemvRows' rescaling would make fp32 subnormals)
        if (!subnormalCodes) w = SimdTestData.withoutSubnormalCodes(w);
        if (nanCodes) w = withNanCodes(w, rnd);
        float[] x = new float[m * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.scalb(rnd.nextGaussian(), Math.max(-149, Math.min(127, exponent + rnd.nextInt(5) - 2)));
            if (rnd.nextInt(16) == 0) x[i] = 0f;
        }
        // one row out of the rescaling's range (huge next to subnormal, or infinite): every row then decodes exactly
        if (extremeRow) {
            int r = rnd.nextInt(m);
            x[r * k] = rnd.nextBoolean() ? Float.POSITIVE_INFINITY : 0x1p120f;
            x[r * k + 1] = Float.MIN_VALUE;
        }
        assertCanonical(w, x, m, n, k, bc, rnd, "rows 2^" + exponent + (nanCodes ? ", NaN codes" : "") + (extremeRow ? ", an extreme row" : "")
                + (subnormalCodes ? ", subnormal codes" : ""));
    }

    /**
     * Every row count that picks a different tiling: one group of 2/4/8/16 rows (8 and 16 rows step two blocks and
     * one block at a time, fewer rows four), padded groups, two groups; K of five blocks, so every step size also
     * meets a short last step.
     */
    @Example
    void everyTilingGivesTheCanonicalBits() {
        Random rnd = new Random(7);
        Fp8BlockWeight w = SimdTestData.fp8Weight(rnd, 72, 640, 128, 128, true, false);
        for (Fp8BlockWeight weight : new Fp8BlockWeight[] {w, SimdTestData.withoutSubnormalCodes(w)}) {
            for (int m : new int[] {2, 3, 4, 5, 8, 9, 16, 17, 24, 32, 33, 64}) {
                float[] x = SimdTestData.gaussian(rnd, m * 640, 1f);
                assertCanonical(weight, x, m, 72, 640, 128, rnd, "tiling example, " + weight.name());
            }
        }
    }

    /**
     * The paired path (row groups of at most 8 rows, two groups of L W rows per step, {@code gemmRowsPairs}): every
     * row count that reaches it (9 to 16 rows, 8 and a padded rest; 2 to 8 rows on a weight with subnormal codes,
     * which the GEMV leaves to the few-row GEMM) on rescaled and exactly decoded rows, with 24-row weight blocks, so
     * that the two W vectors of a pair (and the lanes of one) take different block scales, N ending inside a pair,
     * and per-row activation scales that differ per block: a block sum promoted with another vector's or block's
     * scale, or into another row's or vector's total, changes the bits.
     */
    @Example
    void thePairedTilesGiveTheCanonicalBits() {
        Random rnd = new Random(11);
        Fp8BlockWeight w = SimdTestData.fp8Weight(rnd, 100, 384, 24, 128, false, false);
        for (Fp8BlockWeight weight : new Fp8BlockWeight[] {w, SimdTestData.withoutSubnormalCodes(w)}) {
            for (int m = 2; m <= 16; m++) {
                float[] x = SimdTestData.gaussian(rnd, m * 384, 1f);
                assertCanonical(weight, x, m, 100, 384, 128, rnd, "paired tiles, " + weight.name());
            }
        }
    }

    /**
     * Row groups of a long K (36 blocks: the groups are rescaled and interleaved on both threads, 8-row groups k by
     * k) with rows of different magnitudes (each its own shift and rescaling factor: a factor applied to another row
     * of the group, or a value in another slot, changes the bits), N of several 32-column units with a ragged last.
     */
    @Example
    void rowGroupsOfALongKGiveTheCanonicalBits() {
        Random rnd = new Random(23);
        int n = 77, k = 4608;
        Fp8BlockWeight w = SimdTestData.withoutSubnormalCodes(SimdTestData.fp8Weight(rnd, n, k, 128, 128, true, false));
        for (int m : new int[] {8, 9, 16, 21, 24}) {
            float[] x = SimdTestData.gaussian(rnd, m * k, 1f);
            for (int i = 0; i < m; i++) {
                for (int c = 0; c < k; c++) x[i * k + c] = Math.scalb(x[i * k + c], 5 * (i % 6) - 3);
            }
            assertCanonical(w, x, m, n, k, 128, rnd, "long K, rows of different magnitudes");
        }
    }

    /** y of every width on 1 and 2 threads equals the scalar kernel's, bit for bit. */
    private static void assertCanonical(Fp8BlockWeight weight, float[] x, int m, int n, int k, int bc, Random rnd, String what) {
        int kb = (k + bc - 1) / bc;
        float[] sa = new float[m * kb];
        for (int i = 0; i < sa.length; i++) sa[i] = Math.scalb(1f, rnd.nextInt(40) - 20);
        float[] canonical = new float[m * n];
        SimdSpecies.withBits(0, () -> SimdFp8Gemm.multiply(x, sa, m, weight, canonical));
        for (int bits : SimdSpecies.supportedBits()) {
            for (int threads = 1; threads <= 2; threads++) {
                float[] y = new float[m * n];
                SimdThreads.withThreads(threads, () -> {
                    SimdSpecies.withBits(bits, () -> SimdFp8Gemm.multiply(x, sa, m, weight, y));
                    return null;
                });
                for (int i = 0; i < y.length; i++) {
                    if (Float.floatToIntBits(y[i]) != Float.floatToIntBits(canonical[i])) {
                        fail("width " + bits + ", " + threads + " threads, M=" + m + " N=" + n + " K=" + k + " (" + weight.blockRows()
                                + "x" + bc + " blocks), " + what + ": y[" + i / n + "][" + i % n + "] = " + y[i] + ", canonical " + canonical[i]);
                    }
                }
            }
        }
    }

    /** w with a few of its codes replaced by the e4m3 NaN (S.1111.111). */
    private static Fp8BlockWeight withNanCodes(Fp8BlockWeight w, Random rnd) {
        byte[] codes = new byte[w.rows() * w.cols()];
        MemorySegment.copy(w.codes(), java.lang.foreign.ValueLayout.JAVA_BYTE, 0, codes, 0, codes.length);
        for (int i = 0; i < 3; i++) codes[rnd.nextInt(codes.length)] = (byte) (rnd.nextBoolean() ? 0x7F : 0xFF);
        return new Fp8BlockWeight("test.fp8.nan", MemorySegment.ofArray(codes), w.scales(), w.rows(), w.cols(), w.blockRows(), w.blockCols());
    }
}
