package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Kernel results are fixed functions of their inputs: the lane sums follow the documented tree order (halves folded
 * first), which a scalar model reproduces bit for bit at every width, and SwiGLU uses Math.exp. A kernel using
 * reduceLanes(ADD) or the Vector API's exp would give the interpreter's bits early and the compiled intrinsic's later
 * (observed for both), so results would depend on the JIT's progress and on which thread ran them.
 */
class SimdKernelOrderTest {
    /** The documented order: per-lane FMA chains over the full vectors, a tree fold of the lanes, then the scalar tail. */
    static float modelDot(float[] a, float[] b, int n, int lanes) {
        int full = lanes == 0 ? 0 : n - n % lanes;
        float result = 0f;
        if (lanes > 0) {
            float[] acc = new float[lanes];
            for (int i = 0; i < full; i += lanes) for (int l = 0; l < lanes; l++) acc[l] = Math.fma(a[i + l], b[i + l], acc[l]);
            for (int h = lanes / 2; h >= 1; h /= 2) {
                float[] next = new float[lanes];
                for (int l = 0; l < lanes; l++) next[l] = acc[l] + acc[l ^ h];
                acc = next;
            }
            result = acc[0];
        }
        for (int i = full; i < n; i++) result = Math.fma(a[i], b[i], result);
        return result;
    }

    @Property(tries = 30, seed = "13")
    void dotAndSumOfSquaresFollowTheTreeOrder(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int n) {
        Random rnd = new Random(seed);
        float[] a = SimdTestData.gaussian(rnd, n, 1f), b = SimdTestData.gaussian(rnd, n, 1000f);
        for (int bits : SimdSpecies.supportedBits()) {
            int lanes = bits / 32;
            float dot = SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().dot(a, 0, b, 0, n));
            assertEquals(modelDot(a, b, n, lanes), dot, 0f, "dot, width " + bits);
            float ss = SimdSpecies.withBits(bits, () -> SimdRowKernels.current().sumSquares(b, 0, n));
            assertEquals(modelDot(b, b, n, lanes), ss, 0f, "sumSquares, width " + bits);
        }
    }

    @Property(tries = 30, seed = "19")
    void batchedDotsAreTheSingleDotsInTheTreeOrder(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int n,
                                                 @ForAll @IntRange(min = 1, max = 11) int rows) {
        Random rnd = new Random(seed);
        int stride = n + 3, aOff = 2, bOff = 5;
        float[] a = SimdTestData.gaussian(rnd, aOff + rows * stride, 1f), b = SimdTestData.gaussian(rnd, bOff + n, 100f);
        for (int bits : SimdSpecies.supportedBits()) {
            int lanes = bits / 32;
            float[] out = new float[rows + 1];
            SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().dots(a, aOff, stride, rows, b, bOff, n, out, 1));
            for (int r = 0; r < rows; r++) {
                float[] row = java.util.Arrays.copyOfRange(a, aOff + r * stride, aOff + r * stride + n);
                float[] col = java.util.Arrays.copyOfRange(b, bOff, bOff + n);
                assertEquals(modelDot(row, col, n, lanes), out[1 + r], 0f, "row " + r + ", width " + bits);
            }
            assertEquals(0f, out[0], 0f, "dots wrote before outOff");
        }
    }

    /**
     * The double dots (the indexer's fp8 scores, a tile of keys against one head's q) are the single double dots bit
     * for bit, at every width, on values whose sums are not exact (so an order change would show), before outOff
     * untouched; and the two-row dots2 likewise.
     */
    @Property(tries = 30, seed = "29")
    void batchedDoubleDotsAreTheSingleDots(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int n,
                                           @ForAll @IntRange(min = 1, max = 11) int rows) {
        Random rnd = new Random(seed);
        int stride = n + 3, aOff = 2, bOff = 5;
        double[] a = new double[aOff + rows * stride], b = new double[bOff + n];
        for (int i = 0; i < a.length; i++) a[i] = rnd.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = rnd.nextGaussian() * 1e6;
        for (int bits : SimdSpecies.supportedBits()) {
            double[] out = new double[rows + 1];
            SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().dots(a, aOff, stride, rows, b, bOff, n, out, 1));
            for (int r = 0; r < rows; r++) {
                int row = aOff + r * stride;
                double single = SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().dot(a, row, b, bOff, n));
                assertEquals(single, out[1 + r], 0.0, "row " + r + ", width " + bits);
            }
            assertEquals(0.0, out[0], 0.0, "dots wrote before outOff");
            // against two b rows at once (the second at bOff + 1): each output the single dot of its pair
            double[] pair = new double[2 * rows + 1];
            SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().dots2(a, aOff, stride, rows, b, bOff, bOff - 1, n - 1 > 0 ? n - 1 : n, pair, 1, 1 + rows));
            int m = n - 1 > 0 ? n - 1 : n;
            for (int r = 0; r < rows; r++) {
                int row = aOff + r * stride;
                double first = SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().dot(a, row, b, bOff, m));
                double second = SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().dot(a, row, b, bOff - 1, m));
                assertEquals(first, pair[1 + r], 0.0, "dots2 first, row " + r + ", width " + bits);
                assertEquals(second, pair[1 + rows + r], 0.0, "dots2 second, row " + r + ", width " + bits);
            }
            assertEquals(0.0, pair[0], 0.0, "dots2 wrote before outOff");
        }
    }

    /** y_i = fma(x_{r,i}, alpha_r, y_i) for r ascending: the per-element FMA chain of repeated axpys. */
    @Property(tries = 30, seed = "23")
    void axpyRowsIsTheChainOfAxpys(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int n,
                                   @ForAll @IntRange(min = 0, max = 70) int rows) {
        Random rnd = new Random(seed);
        int stride = n + 7, xOff = 3, yOff = 4;
        float[] x = SimdTestData.gaussian(rnd, xOff + Math.max(1, rows) * stride, 1f), alpha = SimdTestData.gaussian(rnd, rows + 1, 10f);
        float[] y0 = SimdTestData.gaussian(rnd, yOff + n + 2, 5f);
        float[] expected = y0.clone();
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < rows; r++) expected[yOff + i] = Math.fma(x[xOff + r * stride + i], alpha[1 + r], expected[yOff + i]);
        }
        for (int bits : SimdSpecies.supportedBits()) {
            float[] y = y0.clone();
            SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().axpyRows(alpha, 1, rows, x, xOff, stride, y, yOff, n));
            for (int i = 0; i < y.length; i++) assertEquals(expected[i], y[i], 0f, "element " + i + ", width " + bits);
        }
    }

    @Property(tries = 20, seed = "17")
    void siluMulUsesMathExp(@ForAll long seed) {
        Random rnd = new Random(seed);
        int n = 200;
        float[] g = SimdTestData.gaussian(rnd, n, 4f), u = SimdTestData.gaussian(rnd, n, 1f);
        for (int bits : SimdSpecies.supportedBits()) {
            float[] h = new float[n];
            SimdSpecies.withBits(bits, () -> SimdRowKernels.current().siluMul(g, 0, u, 0, h, 0, n));
            for (int i = 0; i < n; i++) assertEquals(g[i] / (1f + (float) Math.exp(-g[i])) * u[i], h[i], 0f, "width " + bits + " element " + i);
        }
    }

    /**
     * The GEMV input scan's kernels: the extremes of |x| as bits (zeros, subnormals, infinities and NaNs among the
     * values) and x * f are the scalar loop's at every width.
     */
    @Property(tries = 30, seed = "29")
    void absBitsRangeAndScaleAreTheScalarLoops(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int n) {
        Random rnd = new Random(seed);
        int off = 3;
        float[] x = SimdTestData.gaussian(rnd, off + n, 100f);
        float[] specials = {0f, -0f, Float.MIN_VALUE, -0x1p-130f, Float.POSITIVE_INFINITY, Float.NaN, 448f};
        for (int i = 0; i < n / 7; i++) x[off + rnd.nextInt(n)] = specials[rnd.nextInt(rnd.nextBoolean() ? 4 : specials.length)];
        if (rnd.nextInt(4) == 0) java.util.Arrays.fill(x, off, off + n, rnd.nextBoolean() ? 0f : -0f);
        int max = 0, min = Integer.MAX_VALUE;
        for (int i = off; i < off + n; i++) {
            int bits = Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF;
            max = Math.max(max, bits);
            if (bits != 0) min = Math.min(min, bits);
        }
        float f = 0x1p-3f;
        for (int bits : SimdSpecies.supportedBits()) {
            int[] range = {-1, -1};
            SimdSpecies.withBits(bits, () -> { SimdRowKernels.current().absBitsRange(x, off, n, range); return null; });
            assertEquals(max, range[0], "largest |x| bits, width " + bits);
            assertEquals(min, range[1], "smallest nonzero |x| bits, width " + bits);
            float[] y = new float[off + n + 1];
            SimdSpecies.withBits(bits, () -> { SimdRowKernels.current().scale(x, off, f, y, 1, n); return null; });
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(x[off + i] * f), Float.floatToRawIntBits(y[1 + i]), "x * f at " + i + ", width " + bits);
            }
            assertEquals(0f, y[0], 0f, "scale wrote before yOff");
        }
    }
}
