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
     * The indexer's score kernel: every key's score is the scalar sequence (per head an FMA chain over the dims from
     * +0, ReLU, an FMA chain over the heads from +0) bit for bit, at every width, for any key range starting on a
     * tile, any head count (groups of eight where they divide it at 512 bits, of four, and the rest) and any key count (partial passes); outputs outside the
     * range untouched. Values are Gaussian, so the sums round and an order change would show.
     */
    @Property(tries = 30, seed = "31")
    void indexScoresAreTheScalarSequenceAtEveryWidth(@ForAll long seed, @ForAll @IntRange(min = 1, max = 100) int n,
                                                     @ForAll @IntRange(min = 1, max = 17) int heads, @ForAll @IntRange(min = 0, max = 3) int tile) {
        checkIndexScores(seed, n, heads, tile);
    }

    /** The head counts of the eight-head path (the real model's 64 among them), which a random draw may miss. */
    @org.junit.jupiter.api.Test
    void indexScoresOfWholeEightHeadGroupsAreTheScalarSequence() {
        for (int heads : new int[] {8, 16, 64}) checkIndexScores(heads, 77, heads, 1);
    }

    private static void checkIndexScores(long seed, int n, int heads, int tile) {
        Random rnd = new Random(seed);
        int dim = 8 + rnd.nextInt(40), key0 = tile * SimdAttentionKernels.KEY_TILE;
        int padded = key0 + (n + 31) / 32 * 32; // the layout holds n rounded up to 32 keys from key0
        float[] rows = SimdTestData.gaussian(rnd, padded * dim, 1f), keys = new float[padded * dim];
        for (int s = 0; s < padded; s++) for (int d = 0; d < dim; d++) keys[SimdAttentionKernels.tiled(s, d, dim)] = rows[s * dim + d];
        int qOff = 3, wOff = 2;
        float[] q = SimdTestData.gaussian(rnd, qOff + heads * dim, 1f), w = SimdTestData.gaussian(rnd, wOff + heads, 1f);
        java.lang.foreign.MemorySegment tiles = java.lang.foreign.MemorySegment.ofArray(keys);
        float[] inLayout = SimdAttentionKernels.packQuery(q, qOff, heads, dim), packed = new float[1 + inLayout.length];
        System.arraycopy(inLayout, 0, packed, 1, inLayout.length); // from offset 1: the kernel must honour qOff
        float[] expected = new float[n];
        for (int j = 0; j < n; j++) {
            float sum = 0f;
            for (int h = 0; h < heads; h++) {
                float dot = 0f;
                for (int d = 0; d < dim; d++) dot = Math.fma(q[qOff + h * dim + d], rows[(key0 + j) * dim + d], dot);
                sum = Math.fma(w[wOff + h], Math.max(dot, 0f), sum);
            }
            expected[j] = sum;
        }
        for (int bits : SimdSpecies.supportedBits()) {
            float[] out = new float[n + 2];
            out[0] = out[n + 1] = 7f;
            SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().indexScores(tiles, key0, n, dim, packed, 1, heads, w, wOff, out, 1));
            for (int j = 0; j < n; j++) assertEquals(expected[j], out[1 + j], 0f, "key " + (key0 + j) + ", width " + bits);
            assertEquals(7f, out[0], 0f, "wrote before outOff");
            assertEquals(7f, out[n + 1], 0f, "wrote past n");
        }
    }

    /** The float dots against two b rows at once are the single dots bit for bit, at every width, before outOff untouched. */
    @Property(tries = 30, seed = "37")
    void pairedDotsAreTheSingleDots(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int n,
                                    @ForAll @IntRange(min = 1, max = 11) int rows) {
        Random rnd = new Random(seed);
        int stride = n + 3, aOff = 2, bOff = 5, bOff2 = bOff + n + 1;
        float[] a = SimdTestData.gaussian(rnd, aOff + rows * stride, 1f), b = SimdTestData.gaussian(rnd, bOff2 + n, 100f);
        for (int bits : SimdSpecies.supportedBits()) {
            float[] pair = new float[2 * rows + 1];
            SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().dots2(a, aOff, stride, rows, b, bOff, bOff2, n, pair, 1, 1 + rows));
            for (int r = 0; r < rows; r++) {
                int row = aOff + r * stride;
                float first = SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().dot(a, row, b, bOff, n));
                float second = SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().dot(a, row, b, bOff2, n));
                assertEquals(first, pair[1 + r], 0f, "first, row " + r + ", width " + bits);
                assertEquals(second, pair[1 + rows + r], 0f, "second, row " + r + ", width " + bits);
            }
            assertEquals(0f, pair[0], 0f, "dots2 wrote before outOff");
        }
    }

    /**
     * gatherSums is the chain of axpys over the gathered rows (the absorbed MLA's o~ before it): each y element the
     * FMA chain over j ascending from +0, the same bits at every width and for any row count (blocks of four and the
     * rest), columns past n and rows' padding untouched; and the chain split at {@code split} into a call from +0
     * and an accumulating one gives the same bits.
     */
    @Property(tries = 30, seed = "43")
    void gatherSumsIsTheChainOfAxpys(@ForAll long seed, @ForAll @IntRange(min = 1, max = 200) int n,
                                     @ForAll @IntRange(min = 1, max = 9) int rows, @ForAll @IntRange(min = 0, max = 40) int m,
                                     @ForAll @IntRange(min = 0, max = 40) int split) {
        Random rnd = new Random(seed);
        int cut = Math.min(split, m);
        int xStride = n + 5, xRows = 50, pOff = 1, pStride = m + 2, yOff = 3, yStride = n + 4, idxOff = 2;
        float[] x = SimdTestData.gaussian(rnd, xRows * xStride, 1f), p = SimdTestData.gaussian(rnd, pOff + rows * pStride, 1f);
        int[] idx = new int[idxOff + m];
        for (int j = 0; j < m; j++) idx[idxOff + j] = rnd.nextInt(xRows);
        float[] expected = new float[yOff + rows * yStride];
        java.util.Arrays.fill(expected, 9f);
        for (int r = 0; r < rows; r++) {
            java.util.Arrays.fill(expected, yOff + r * yStride, yOff + r * yStride + n, 0f);
            for (int j = 0; j < m; j++) {
                for (int i = 0; i < n; i++) {
                    int e = yOff + r * yStride + i;
                    expected[e] = Math.fma(x[idx[idxOff + j] * xStride + i], p[pOff + r * pStride + j], expected[e]);
                }
            }
        }
        for (int bits : SimdSpecies.supportedBits()) {
            float[] y = new float[expected.length], z = new float[expected.length];
            java.util.Arrays.fill(y, 9f);
            java.util.Arrays.fill(z, 9f);
            SimdSpecies.withBits(bits, () -> {
                SimdAttentionKernels k = SimdAttentionKernels.current();
                k.gatherSums(p, pOff, pStride, rows, idx, idxOff, m, x, xStride, y, yOff, yStride, n, false);
                k.gatherSums(p, pOff, pStride, rows, idx, idxOff, cut, x, xStride, z, yOff, yStride, n, false);
                k.gatherSums(p, pOff + cut, pStride, rows, idx, idxOff + cut, m - cut, x, xStride, z, yOff, yStride, n, true);
            });
            for (int i = 0; i < y.length; i++) assertEquals(expected[i], y[i], 0f, "element " + i + ", width " + bits);
            for (int i = 0; i < z.length; i++) assertEquals(expected[i], z[i], 0f, "split at " + cut + ", element " + i + ", width " + bits);
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
