package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.reference.ReferenceFp8Backward;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.junit.jupiter.api.Test;

/**
 * Wgrad at token counts that are not multiples of 128 (an MoE expert's group: spec/SEMANTICS.md §5b, the ragged last
 * 128x1 tile), through each of the kernels' orders: one or two inner blocks (register tiles through both blocks in
 * turn, stored straight into C) and three or more (block by block through the unit's tile). The ragged last block
 * is summed over its real tokens only; appending zero token rows to dY and X up to the next multiple of 128 must
 * not change a bit (the zero rows add +0 codes to the block sums, which never hold -0, and leave every amax as
 * it was; a NaN or infinite tile is NaN or infinite either way), and every result is the scalar model's bit for bit
 * at every width and thread count, and the float64 reference's within the GEMM tolerance.
 */
class SimdRaggedWgradTest {
    private static final int T = 128;
    /** 200 channels: two row units (192 + 8), the last row group ragged; 600 columns: two column units, the last slab ragged. */
    private static final int N = 200, K = 600;

    @Test
    void raggedTokenCountsAreTheModelAndTheZeroPaddedProductBitForBit() {
        OpContext ctx = new OpContext(ModelConfig.deepseekV32(), PrecisionMode.FP8);
        int[] tokens = {1, 22, 127, 128, 129, 150, 255, 256, 257, 300, 389};
        for (int i = 0; i < tokens.length; i++) {
            int m = tokens[i], padded = (m + T - 1) / T * T;
            Random rnd = new Random(1500 + i);
            float[] dy = inputs(rnd, m * N, true), x = inputs(rnd, m * K, true);
            // whole columns whose products are all zeros of either sign: dY channel 0 quantises to -0 codes (below
            // the amax floor's resolution), channel 1 and X's column 0 are -0
            for (int t = 0; t < m; t++) {
                dy[t * N] = -1e-30f;
                dy[t * N + 1] = -0f;
                x[t * K] = -0f;
            }
            float[] want = SimdFp8BackwardTest.modelWgrad(dy, x, m, N, K, true, ctx.scaleFormat());
            float[] dyPad = java.util.Arrays.copyOf(dy, padded * N), xPad = java.util.Arrays.copyOf(x, padded * K);
            for (int bits : SimdSpecies.supportedBits()) {
                for (int threads : new int[] {1, 3}) {
                    float[] dw = new float[N * K], dwPad = new float[N * K];
                    java.util.Arrays.fill(dw, Float.NaN); // every element must be written
                    SimdSpecies.withBits(bits, () -> SimdThreads.withThreads(threads, () -> {
                        SimdFp8Backward op = new SimdFp8Backward(ctx);
                        op.wgrad(dy, x, m, N, K, dw);
                        op.wgrad(dyPad, xPad, padded, N, K, dwPad);
                        return null;
                    }));
                    String where = m + " tokens, width " + bits + ", " + threads + " threads";
                    for (int e = 0; e < dw.length; e++) {
                        assertEquals(want[e], dw[e], 0f, "dW element " + e + " against the model, " + where);
                        assertTrue(Float.floatToRawIntBits(dwPad[e]) == Float.floatToRawIntBits(dw[e]) || Float.isNaN(dw[e]) && Float.isNaN(dwPad[e]),
                                "dW element " + e + ": " + dw[e] + " over " + m + " tokens, " + dwPad[e] + " over " + padded + " zero-padded, " + where);
                    }
                }
            }
        }
    }

    @Test
    void rowsReadThroughTheGroupsTokenListAreTheGatheredProductBitForBit() {
        int tokens = 700, n = 70, k = 260;
        Random rnd = new Random(1515);
        float[] batch = inputs(rnd, tokens * k, true);
        for (boolean fp8 : new boolean[] {true, false}) {
            OpContext ctx = new OpContext(ModelConfig.deepseekV32(), fp8 ? PrecisionMode.FP8 : PrecisionMode.EXACT);
            for (int m : new int[] {1, 129, 300}) {
                int[] rows = new int[m];
                for (int t = 0; t < m; t++) rows[t] = rnd.nextInt(tokens); // a token may come twice: any map is allowed
                float[] dy = inputs(rnd, m * n, true), gathered = new float[m * k];
                for (int t = 0; t < m; t++) System.arraycopy(batch, rows[t] * k, gathered, t * k, k);
                for (int bits : SimdSpecies.supportedBits()) {
                    float[] want = new float[n * k], got = new float[n * k];
                    SimdSpecies.withBits(bits, () -> SimdThreads.withThreads(2, () -> {
                        SimdFp8Backward op = new SimdFp8Backward(ctx);
                        op.wgrad(dy, gathered, m, n, k, want);
                        op.wgrad(dy, batch, rows, m, n, k, got);
                        return null;
                    }));
                    for (int e = 0; e < want.length; e++) {
                        assertEquals(want[e], got[e], 0f, "dW element " + e + ", " + m + " mapped rows, " + (fp8 ? "fp8" : "exact") + ", width " + bits);
                    }
                }
            }
        }
    }

    @Test
    void raggedTokenCountsAgreeWithTheReference() {
        OpContext ctx = new OpContext(ModelConfig.deepseekV32(), PrecisionMode.FP8);
        ReferenceFp8Backward ref = new ReferenceFp8Backward(ctx, new ReferenceBackend());
        int n = 40, k = 300;
        for (int m : new int[] {1, 127, 129, 150, 257}) {
            Random rnd = new Random(m);
            float[] dy = inputs(rnd, m * n, false), x = inputs(rnd, m * k, false);
            float[] dw = new float[n * k];
            new SimdFp8Backward(ctx).wgrad(dy, x, m, n, k, dw);
            TensorF64 tdy = tensor(dy, m, n), tx = tensor(x, m, k);
            TensorF64 want = ref.wgrad(tdy, tx), mag = ref.wgradMagnitudes(tdy, tx);
            double rel = KernelTolerances.gemm("simd", m, T);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < k; j++) {
                    double err = Math.abs(dw[i * k + j] - want.at(i, j));
                    assertTrue(err <= rel * mag.at(i, j), "dW[" + i + "][" + j + "] over " + m + " tokens: " + dw[i * k + j] + ", reference " + want.at(i, j));
                }
            }
        }
    }

    /** Gaussian values over several binades; with {@code special} also signed zeros, tiny values, inf and NaN. */
    private static float[] inputs(Random rnd, int size, boolean special) {
        float[] f = new float[size];
        for (int i = 0; i < size; i++) {
            f[i] = (float) (rnd.nextGaussian() * Math.scalb(1.0, rnd.nextInt(9) - 4));
            if (special && rnd.nextInt(400) == 0) {
                float[] odd = {0f, -0f, -1e-30f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
                f[i] = odd[rnd.nextInt(odd.length)];
            }
        }
        return f;
    }

    private static TensorF64 tensor(float[] a, int rows, int cols) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return TensorF64.wrap(d, rows, cols);
    }
}
