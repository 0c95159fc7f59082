package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.weights.Weight;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Products run together ({@link SimdLinear#multiplyEach}: the GEMVs among them as one parallel loop) give each
 * product's own bits: those of {@link SimdLinear#multiply} on it alone, whatever the mix (FP8 weights sharing an
 * input, FP8 weights on other inputs, a bf16 weight, a ragged row count, a GEMM among GEMVs), the thread count and
 * the vector width.
 */
class SimdGemvBatchTest {
    @ParameterizedTest
    @EnumSource(PrecisionMode.class)
    void eachProductHasItsOwnBits(PrecisionMode mode) {
        Random rnd = new Random(61);
        SimdLinear linear = new SimdLinear(SimdTestData.context(mode));
        float[] x = SimdTestData.gaussian(rnd, 256, 3f), h = SimdTestData.gaussian(rnd, 128, 40f), rows3 = SimdTestData.gaussian(rnd, 3 * 256, 1f);
        Weight[] ws = {
            SimdTestData.fp8Weight(rnd, 256, 256, 128, 128, true, false),
            SimdTestData.fp8Weight(rnd, 192, 256, 128, 128, true, false), // a 64-row last unit
            SimdTestData.fp8Weight(rnd, 200, 128, 128, 128, true, false), // rows that are not whole groups
            SimdTestData.denseWeight(rnd, 40, 256, DType.BF16),
            SimdTestData.fp8Weight(rnd, 384, 256, 128, 128, true, false), // on three rows: a GEMM
        };
        float[][] inputs = {x, x, h, x, rows3};
        int[] m = {1, 1, 1, 1, 3};
        float[][] expected = new float[ws.length][];
        for (int i = 0; i < ws.length; i++) {
            expected[i] = new float[m[i] * ws[i].rows()];
            for (int rep = 0; rep < 2; rep++) linear.multiply(inputs[i], m[i], ws[i], expected[i]); // the second: repacked codes
        }
        for (int bits : SimdSpecies.supportedBits()) {
            for (int threads : new int[] {1, 2, 3}) {
                float[][] ys = SimdSpecies.withBits(bits, () -> SimdThreads.withThreads(threads, () -> {
                    // one Activation per input: x feeds three products, as an MLA's x feeds q_a, kv_a and w_k
                    SimdLinear.Activation xa = new SimdLinear.Activation(x, 1);
                    SimdLinear.Activation[] acts = {xa, xa, new SimdLinear.Activation(h, 1), xa, new SimdLinear.Activation(rows3, 3)};
                    float[][] out = new float[ws.length][];
                    for (int i = 0; i < ws.length; i++) out[i] = new float[m[i] * ws[i].rows()];
                    linear.multiplyEach(acts, ws, out);
                    return out;
                }));
                for (int i = 0; i < ws.length; i++) {
                    assertArrayEquals(expected[i], ys[i], mode + ", product " + i + ", width " + bits + ", " + threads + " threads");
                }
            }
        }
    }

    /**
     * Products bound to different precision contexts in one loop (the indexer's fp8 wk and wq_b next to its exact
     * weights_proj, all on one shared input): each gets the bits its own op gives it alone.
     */
    @ParameterizedTest
    @EnumSource(PrecisionMode.class)
    void mixedContextsKeepEachOpsBits(PrecisionMode mode) {
        Random rnd = new Random(67);
        SimdLinear linear = new SimdLinear(SimdTestData.context(mode)), exact = new SimdLinear(SimdTestData.context(PrecisionMode.EXACT));
        float[] x = SimdTestData.gaussian(rnd, 256, 3f), c = SimdTestData.gaussian(rnd, 128, 40f);
        Weight[] ws = {
            SimdTestData.fp8Weight(rnd, 128, 256, 128, 128, true, false),
            SimdTestData.fp8Weight(rnd, 320, 128, 128, 128, true, false),
            SimdTestData.fp8Weight(rnd, 64, 256, 128, 128, true, false),
        };
        SimdLinear[] ops = {linear, linear, exact};
        float[][] inputs = {x, c, x};
        float[][] expected = new float[ws.length][];
        for (int i = 0; i < ws.length; i++) {
            expected[i] = new float[ws[i].rows()];
            ops[i].multiply(inputs[i], 1, ws[i], expected[i]);
        }
        for (int bits : SimdSpecies.supportedBits()) {
            for (int threads : new int[] {1, 2, 3}) {
                float[][] ys = SimdSpecies.withBits(bits, () -> SimdThreads.withThreads(threads, () -> {
                    SimdLinear.Activation xa = new SimdLinear.Activation(x, 1);
                    SimdLinear.Activation[] acts = {xa, new SimdLinear.Activation(c, 1), xa};
                    float[][] out = new float[ws.length][];
                    for (int i = 0; i < ws.length; i++) out[i] = new float[ws[i].rows()];
                    SimdLinear.multiplyEach(ops, acts, ws, out);
                    return out;
                }));
                for (int i = 0; i < ws.length; i++) {
                    assertArrayEquals(expected[i], ys[i], mode + ", product " + i + ", width " + bits + ", " + threads + " threads");
                }
            }
        }
    }
}
