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
     * gatherSums is the chain of axpys over the gathered rows (the absorbed MLA's o~ before it; x read from a column
     * offset, as the MLA reads a block of latent columns): each y element the
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
                    expected[e] = Math.fma(x[1 + idx[idxOff + j] * xStride + i], p[pOff + r * pStride + j], expected[e]);
                }
            }
        }
        for (int bits : SimdSpecies.supportedBits()) {
            float[] y = new float[expected.length], z = new float[expected.length];
            java.util.Arrays.fill(y, 9f);
            java.util.Arrays.fill(z, 9f);
            SimdSpecies.withBits(bits, () -> {
                SimdAttentionKernels k = SimdAttentionKernels.current();
                k.gatherSums(p, pOff, pStride, rows, idx, idxOff, m, x, 1, xStride, y, yOff, yStride, n, false);
                k.gatherSums(p, pOff, pStride, rows, idx, idxOff, cut, x, 1, xStride, z, yOff, yStride, n, false);
                k.gatherSums(p, pOff + cut, pStride, rows, idx, idxOff + cut, m - cut, x, 1, xStride, z, yOff, yStride, n, true);
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

    /** dotsRuns' documented order: per run of 4L columns, chain k of lane l takes column 4l + k; chains (0 + 1) + (2 + 3), the tree, the tail. */
    static float modelRuns(float[] a, int aOff, float[] b, int bOff, int n, int lanes) {
        int run = 4 * lanes, whole = lanes == 0 ? 0 : n - n % run;
        float result = 0f;
        if (whole > 0) {
            float[][] chains = new float[4][lanes];
            for (int c = 0; c < whole; c += run) {
                for (int k = 0; k < 4; k++) {
                    for (int l = 0; l < lanes; l++) chains[k][l] = Math.fma(a[aOff + c + 4 * l + k], b[bOff + c + 4 * l + k], chains[k][l]);
                }
            }
            float[] acc = new float[lanes];
            for (int l = 0; l < lanes; l++) acc[l] = (chains[0][l] + chains[1][l]) + (chains[2][l] + chains[3][l]);
            for (int h = lanes / 2; h >= 1; h /= 2) {
                float[] next = new float[lanes];
                for (int l = 0; l < lanes; l++) next[l] = acc[l] + acc[l ^ h];
                acc = next;
            }
            result = acc[0];
        }
        for (int i = whole; i < n; i++) result = Math.fma(a[aOff + i], b[bOff + i], result);
        return result;
    }

    /** FP8 rows for the row kernels: random codes over every exponent (subnormals included) but the NaN codes, unrounded scales. */
    private record Fp8Rows(java.lang.foreign.MemorySegment codes, float[] scales, float[] dequantised, int rows, int n, int stride, int bc, int scols) {
        static Fp8Rows random(Random rnd, int rows, int n, int bc) {
            int stride = n + 3, scols = (n + bc - 1) / bc, off = 5;
            byte[] bytes = new byte[off + rows * stride];
            for (int i = 0; i < bytes.length; i++) {
                int c = rnd.nextInt(256);
                if ((c & 0x7F) == 0x7F) c ^= 1;
                bytes[i] = (byte) c;
            }
            float[] scales = new float[rows * scols];
            for (int i = 0; i < scales.length; i++) scales[i] = (float) (Math.scalb(1 + rnd.nextDouble(), -12 + rnd.nextInt(14)));
            float[] deq = new float[rows * n];
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < n; i++) deq[r * n + i] = Fp8Codec.decodeE4M3(bytes[off + r * stride + i]) * scales[r * scols + i / bc];
            }
            return new Fp8Rows(java.lang.foreign.MemorySegment.ofArray(bytes), scales, deq, rows, n, stride, bc, scols);
        }

        long off() { return 5; }
    }

    /** axpyRowsFp8 is the FMA chain over the dequantised rows from +0 (axpyRows on a zeroed y), bit for bit at every width. */
    @Property(tries = 40, seed = "61")
    void axpyRowsFp8IsTheChainOverTheDequantisedRows(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int n,
                                                     @ForAll @IntRange(min = 0, max = 9) int rows, @ForAll boolean wideBlocks) {
        Random rnd = new Random(seed);
        Fp8Rows w = Fp8Rows.random(rnd, rows, n, wideBlocks ? 128 : 64);
        float[] alpha = SimdTestData.gaussian(rnd, rows + 2, 3f);
        float[] expected = new float[n + 4];
        java.util.Arrays.fill(expected, 7f);
        for (int i = 0; i < n; i++) {
            float acc = 0f;
            for (int r = 0; r < rows; r++) acc = Math.fma(w.dequantised()[r * n + i], alpha[2 + r], acc);
            expected[2 + i] = acc;
        }
        for (int bits : SimdSpecies.supportedBits()) {
            float[] y = new float[n + 4];
            java.util.Arrays.fill(y, 7f);
            SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().axpyRowsFp8(alpha, 2, rows, w.codes(), w.off(), w.stride(), w.scales(), 0,
                    w.scols(), w.bc(), y, 2, n));
            for (int i = 0; i < y.length; i++) assertEquals(expected[i], y[i], 0f, "element " + i + ", width " + bits);
        }
    }

    /** dotsFp8 is dotsRuns on the dequantised rows, and dotsRuns follows its documented order, bit for bit at every width. */
    @Property(tries = 40, seed = "67")
    void dotsFp8IsTheRunOrderDotOfTheDequantisedRows(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int n,
                                                     @ForAll @IntRange(min = 1, max = 9) int rows, @ForAll boolean wideBlocks) {
        Random rnd = new Random(seed);
        Fp8Rows w = Fp8Rows.random(rnd, rows, n, wideBlocks ? 128 : 64);
        float[] b = SimdTestData.gaussian(rnd, n + 3, 1f);
        for (int bits : SimdSpecies.supportedBits()) {
            int lanes = bits / 32;
            float[] fromCodes = new float[rows + 1], fromFloats = new float[rows + 1];
            SimdSpecies.withBits(bits, () -> {
                SimdAttentionKernels k = SimdAttentionKernels.current();
                k.dotsFp8(w.codes(), w.off(), w.stride(), rows, w.scales(), 0, w.scols(), w.bc(), b, 3, n, fromCodes, 1);
                k.dotsRuns(w.dequantised(), 0, n, rows, b, 3, n, fromFloats, 1);
            });
            for (int r = 0; r < rows; r++) {
                float model = modelRuns(w.dequantised(), r * n, b, 3, n, lanes);
                assertEquals(model, fromFloats[1 + r], 0f, "dotsRuns, row " + r + ", width " + bits);
                assertEquals(model, fromCodes[1 + r], 0f, "dotsFp8, row " + r + ", width " + bits);
            }
            assertEquals(0f, fromCodes[0], 0f, "dotsFp8 wrote before outOff");
        }
    }

    /** dotsRunOrdered on rows put in run order by runOrderRows is dotsRuns' documented order, bit for bit at every width. */
    @Property(tries = 30, seed = "73")
    void runOrderedRowsGiveTheRunOrderDots(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int n,
                                           @ForAll @IntRange(min = 1, max = 9) int rows) {
        Random rnd = new Random(seed);
        float[] a = SimdTestData.gaussian(rnd, rows * n, 1f), b = SimdTestData.gaussian(rnd, n + 3, 1f);
        for (int bits : SimdSpecies.supportedBits()) {
            int lanes = bits / 32;
            float[] runs = new float[2 + rows * n], out = new float[rows + 1];
            SimdSpecies.withBits(bits, () -> {
                SimdAttentionKernels k = SimdAttentionKernels.current();
                k.runOrderRows(a, 0, rows, n, runs, 2);
                k.dotsRunOrdered(runs, 2, n, rows, b, 3, n, out, 1);
            });
            for (int r = 0; r < rows; r++) assertEquals(modelRuns(a, r * n, b, 3, n, lanes), out[1 + r], 0f, "row " + r + ", width " + bits);
            assertEquals(0f, out[0], 0f, "dotsRunOrdered wrote before outOff");
        }
    }

    /**
     * Rows of bf16 numbers packed two to an int give axpyRows' chains (natural order) and dotsRuns' run-order dots
     * (rows in run order), bit for bit at every vector width; n a multiple of 64 (a run at 512 bits).
     */
    @Property(tries = 30, seed = "79")
    void packedBf16RowsGiveTheChainsAndTheRunOrderDots(@ForAll long seed, @ForAll @IntRange(min = 1, max = 4) int runs,
                                                      @ForAll @IntRange(min = 0, max = 9) int rows) {
        Random rnd = new Random(seed);
        int n = 64 * runs;
        float[] w = SimdTestData.gaussian(rnd, Math.max(1, rows) * n, 2f);
        for (int i = 0; i < w.length; i++) w[i] = Float.intBitsToFloat(Float.floatToRawIntBits(w[i]) & 0xFFFF0000); // bf16 numbers
        float[] alpha = SimdTestData.gaussian(rnd, rows + 2, 3f), b = SimdTestData.gaussian(rnd, n + 3, 1f);
        for (int bits : SimdSpecies.supportedBits()) {
            if (bits == 0) continue; // pairs of vectors: no scalar form
            int lanes = bits / 32;
            float[] chains = new float[n + 4], fromPacked = new float[n + 4], dots = new float[rows + 1];
            java.util.Arrays.fill(fromPacked, 7f);
            java.util.Arrays.fill(fromPacked, 2, 2 + n, 0f);
            java.util.Arrays.fill(chains, 7f);
            java.util.Arrays.fill(chains, 2, 2 + n, 0f);
            SimdSpecies.withBits(bits, () -> {
                SimdAttentionKernels k = SimdAttentionKernels.current();
                int[] packed = new int[1 + rows * n / 2], packedRuns = new int[1 + rows * n / 2];
                float[] inRuns = new float[rows * n];
                k.packBf16Pairs(w, 0, rows, n, packed, 1);
                k.axpyRows(alpha, 2, rows, w, 0, n, chains, 2, n);
                k.axpyRowsPacked(alpha, 2, rows, packed, 1, n / 2, fromPacked, 2, n);
                k.runOrderRows(w, 0, rows, n, inRuns, 0);
                k.packBf16Pairs(inRuns, 0, rows, n, packedRuns, 1);
                k.dotsRunPacked(packedRuns, 1, n / 2, rows, b, 3, n, dots, 1);
            });
            for (int i = 0; i < n + 4; i++) assertEquals(chains[i], fromPacked[i], 0f, "axpyRowsPacked, element " + i + ", width " + bits);
            for (int r = 0; r < rows; r++) assertEquals(modelRuns(w, r * n, b, 3, n, lanes), dots[1 + r], 0f, "dotsRunPacked, row " + r + ", width " + bits);
        }
    }

    /**
     * The softmax is its documented model bit for bit at every width (each e_j the scalar expF of x_j - max, the sum
     * ascending, then the divisions), and within a few float32 ulps of the float64 softmax, for rows whose smallest
     * probabilities fall into the subnormals and below.
     */
    @Property(tries = 40, seed = "71")
    void softmaxIsItsModelAndCloseToTheExactOne(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int n,
                                                @ForAll @IntRange(min = 0, max = 3) int spread) {
        Random rnd = new Random(seed);
        float[] x0 = SimdTestData.gaussian(rnd, n + 3, new float[] {1f, 10f, 40f, 120f}[spread]);
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, x0[2 + j]);
        float[] model = x0.clone();
        float sum = 0f;
        for (int j = 0; j < n; j++) sum += model[2 + j] = SimdAttentionKernelsTemplate.expF(model[2 + j] - max);
        for (int j = 0; j < n; j++) model[2 + j] /= sum;
        double exactSum = 0;
        for (int j = 0; j < n; j++) exactSum += Math.exp((double) x0[2 + j] - max);
        for (int j = 0; j < n; j++) {
            double exact = Math.exp((double) x0[2 + j] - max) / exactSum;
            // a few ulps of the value (of the smallest normal for the subnormals), the float32 sum's rounding, and
            // the rounding of x - max in float32 (an absolute error of the exponent, so relative in e^(x - max))
            double tol = 4 * Math.ulp((float) Math.max(exact, Float.MIN_NORMAL)) + exact * (n * 1e-7 + Math.abs((double) x0[2 + j] - max) * 0x1p-23);
            assertEquals(exact, model[2 + j], tol, "p " + j);
        }
        for (int bits : SimdSpecies.supportedBits()) {
            float[] x = x0.clone();
            SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().softmax(x, 2, n));
            for (int i = 0; i < x.length; i++) assertEquals(model[i], x[i], 0f, "element " + i + ", width " + bits);
        }
    }

    /** expF stays within two float32 ulps of e^x over [-104, 0], subnormal results included, and is 1 at 0. */
    @Property(tries = 200, seed = "73")
    void expFIsCloseToExp(@ForAll @net.jqwik.api.constraints.FloatRange(min = -110f, max = 0f) float x) {
        double exact = Math.exp(x);
        assertEquals(exact, SimdAttentionKernelsTemplate.expF(x), 2 * Math.ulp((float) Math.max(exact, Float.MIN_NORMAL)) + 1e-7 * exact, "x " + x);
        assertEquals(1f, SimdAttentionKernelsTemplate.expF(0f), 0f);
    }

    /**
     * keyLaneScores is, for each row and key, the FMA chain over the dims ascending from +0 times the scale, bit for
     * bit at every width and for any row and key count (blocks of eight and four rows, pairs of vectors, the rest);
     * outputs outside the rows' first {@code keys} untouched. The transposed keys come from gatherColumns.
     */
    @Property(tries = 40, seed = "79")
    void keyLaneScoresAreTheChainsOverTheDims(@ForAll long seed, @ForAll @IntRange(min = 1, max = 80) int keys,
                                              @ForAll @IntRange(min = 1, max = 19) int rows, @ForAll @IntRange(min = 1, max = 40) int dims) {
        Random rnd = new Random(seed);
        int srcStride = dims + 3, width = keys + 5, qStride = dims + 2, outStride = keys + 4;
        float[] src = SimdTestData.gaussian(rnd, 100 * srcStride, 1f), q = SimdTestData.gaussian(rnd, 1 + rows * qStride, 1f);
        int[] starts = new int[keys + 1];
        for (int j = 0; j < keys; j++) starts[1 + j] = rnd.nextInt(100) * srcStride + 1;
        float scale = 0.37f;
        float[] expected = new float[2 + rows * outStride];
        java.util.Arrays.fill(expected, 5f);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < keys; j++) {
                float acc = 0f;
                for (int c = 0; c < dims; c++) acc = Math.fma(src[starts[1 + j] + c], q[1 + r * qStride + c], acc);
                expected[2 + r * outStride + j] = acc * scale;
            }
        }
        for (int bits : SimdSpecies.supportedBits()) {
            float[] kt = new float[dims * width], out = new float[expected.length];
            java.util.Arrays.fill(out, 5f);
            SimdSpecies.withBits(bits, () -> {
                SimdAttentionKernels k = SimdAttentionKernels.current();
                k.gatherColumns(src, starts, 1, keys, dims, kt, 0, width);
                k.keyLaneScores(q, 1, qStride, rows, kt, width, keys, dims, scale, out, 2, outStride);
            });
            for (int j = 0; j < keys; j++) for (int c = 0; c < dims; c++) {
                assertEquals(src[starts[1 + j] + c], kt[c * width + j], 0f, "gathered key " + j + ", dim " + c + ", width " + bits);
            }
            for (int i = 0; i < out.length; i++) assertEquals(expected[i], out[i], 0f, "element " + i + ", width " + bits);
        }
    }

    /**
     * headLaneScores (heads in vector lanes, the real model's absorbed scores) is, for each head and key, the FMA chain
     * over the latent dims then the rope dims ascending from +0 times the scale, bit for bit at every width: groups
     * of heads, keys in sixes and the rest, dims in chunks across the latent/rope boundary; outputs of the keys
     * outside [sOff, sOff + keys) untouched.
     */
    @Property(tries = 30, seed = "83")
    void headLaneScoresAreTheChainsOverTheDims(@ForAll long seed, @ForAll @IntRange(min = 1, max = 20) int keys, @ForAll @IntRange(min = 1, max = 2) int groups,
                                               @ForAll @IntRange(min = 1, max = 130) int dims1, @ForAll @IntRange(min = 0, max = 70) int dims2) {
        Random rnd = new Random(seed);
        int sOff = rnd.nextInt(4), m = sOff + keys + 2, stride1 = dims1 + 3, stride2 = dims2 + 1, dims = dims1 + dims2;
        float[] x1 = SimdTestData.gaussian(rnd, 40 * stride1, 1f), x2 = SimdTestData.gaussian(rnd, 40 * stride2, 1f);
        int[] starts1 = new int[m], starts2 = new int[m];
        for (int j = 0; j < m; j++) {
            int row = rnd.nextInt(40);
            starts1[j] = row * stride1 + 1;
            starts2[j] = row * stride2;
        }
        float scale = 0.37f;
        for (int bits : SimdSpecies.supportedBits()) {
            int g = SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().headGroup());
            float[] qt = SimdTestData.gaussian(rnd, groups * dims * g, 1f), out = new float[groups * m * g], expected = new float[out.length];
            java.util.Arrays.fill(out, 5f);
            java.util.Arrays.fill(expected, 5f);
            for (int gr = 0; gr < groups; gr++) {
                for (int j = sOff; j < sOff + keys; j++) {
                    for (int h = 0; h < g; h++) {
                        float acc = 0f;
                        for (int c = 0; c < dims1; c++) acc = Math.fma(x1[starts1[j] + c], qt[gr * dims * g + c * g + h], acc);
                        for (int c = 0; c < dims2; c++) acc = Math.fma(x2[starts2[j] + c], qt[gr * dims * g + (dims1 + c) * g + h], acc);
                        expected[gr * m * g + j * g + h] = acc * scale;
                    }
                }
            }
            SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().headLaneScores(qt, groups, dims1, x1, starts1, dims2, x2, starts2, sOff, keys, m, scale, out));
            for (int i = 0; i < out.length; i++) assertEquals(expected[i], out[i], 0f, "element " + i + ", width " + bits);
        }
    }

    /** headLaneSoftmax of each lane of a column of the head-lane layout is softmax of the lane's values as a row, bit for bit at every width; other values untouched. */
    @Property(tries = 30, seed = "89")
    void headLaneSoftmaxIsTheRowSoftmaxOfEachLane(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int n) {
        Random rnd = new Random(seed);
        for (int bits : SimdSpecies.supportedBits()) {
            int g = SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().headGroup()), lanes = Math.max(1, bits / 32);
            int off = 1 + (rnd.nextInt(4) * lanes) % g;
            float[] x = SimdTestData.gaussian(rnd, 1 + n * g + g, 3f), expected = x.clone();
            for (int l = 0; l < lanes; l++) {
                float[] row = new float[n];
                for (int j = 0; j < n; j++) row[j] = x[off + j * g + l];
                SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().softmax(row, 0, n));
                for (int j = 0; j < n; j++) expected[off + j * g + l] = row[j];
            }
            SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().headLaneSoftmax(x, off, n));
            for (int i = 0; i < x.length; i++) assertEquals(expected[i], x[i], 0f, "element " + i + ", width " + bits);
        }
    }

    /**
     * headLaneSums is, for each head and column, the FMA chain over the slice's rows ascending of x times the head's
     * probability, bit for bit at every width; split into two calls, the second accumulating, the same bits; other
     * rows of y untouched.
     */
    @Property(tries = 30, seed = "97")
    void headLaneSumsAreTheChainsOverTheRows(@ForAll long seed, @ForAll @IntRange(min = 1, max = 70) int m, @ForAll @IntRange(min = 1, max = 32) int n,
                                             @ForAll @IntRange(min = 1, max = 2) int groups) {
        Random rnd = new Random(seed);
        int slice = SimdAttentionKernels.LANE_SLICE, pRow = rnd.nextInt(3), bigM = pRow + m + 1, yRow = rnd.nextInt(3), bigR = yRow + n + 2, cut = rnd.nextInt(m + 1);
        float[] x = SimdTestData.gaussian(rnd, m * slice, 1f);
        for (int bits : SimdSpecies.supportedBits()) {
            int g = SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().headGroup());
            float[] p = SimdTestData.gaussian(rnd, groups * bigM * g, 1f), y = new float[groups * bigR * g], z = new float[y.length], expected = new float[y.length];
            java.util.Arrays.fill(y, 5f);
            java.util.Arrays.fill(z, 5f);
            java.util.Arrays.fill(expected, 5f);
            for (int gr = 0; gr < groups; gr++) {
                for (int i = 0; i < n; i++) {
                    for (int h = 0; h < g; h++) {
                        float acc = 0f;
                        for (int j = 0; j < m; j++) acc = Math.fma(x[j * slice + i], p[(gr * bigM + pRow + j) * g + h], acc);
                        expected[(gr * bigR + yRow + i) * g + h] = acc;
                    }
                }
            }
            float[] xs = new float[3 + (m - cut) * slice]; // the rows from cut, three floats in
            System.arraycopy(x, cut * slice, xs, 3, (m - cut) * slice);
            SimdSpecies.withBits(bits, () -> {
                SimdAttentionKernels k = SimdAttentionKernels.current();
                k.headLaneSums(p, groups, bigM, pRow, m, x, 0, n, y, bigR, yRow, false);
                k.headLaneSums(p, groups, bigM, pRow, cut, x, 0, n, z, bigR, yRow, false);
                k.headLaneSums(p, groups, bigM, pRow + cut, m - cut, xs, 3, n, z, bigR, yRow, true);
                return null;
            });
            for (int i = 0; i < y.length; i++) {
                assertEquals(expected[i], y[i], 0f, "element " + i + ", width " + bits);
                assertEquals(expected[i], z[i], 0f, "element " + i + " of the split chain (at " + cut + "), width " + bits);
            }
        }
    }
}
