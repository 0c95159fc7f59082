package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.format.Bf16Rounding;
import org.dsv32.spec.ops.BlockOp;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.LayerWeights;
import org.dsv32.spec.weights.Weight;
import org.junit.jupiter.api.Test;

/**
 * bf16 precision mode in simd (spec/SEMANTICS.md §5c): each one-point operation is its fp8-mode result stored bf16
 * (bitwise: the same fp32 kernel, then the store), through the float entries the composites use as well as the
 * TensorF64 contract; and the composites store bf16 where the reference does.
 */
class SimdBf16ModeTest {
    private static final OpContext FP8 = SimdTestData.context(PrecisionMode.FP8), BF16 = SimdTestData.context(PrecisionMode.BF16);

    private static TensorF64 rounded(TensorF64 t) { return Bf16Rounding.roundInPlace(t.copy()); }

    private static void assertBitwise(TensorF64 expected, TensorF64 got, String what) { assertArrayEquals(expected.toArray(), got.toArray(), 0.0, what); }

    private static void assertAllBf16(float[] a, String what) {
        for (int i = 0; i < a.length; i++) assertTrue(Bf16Rounding.isBf16(a[i]), what + ": element " + i + " = " + a[i]);
    }

    @Property(tries = 15)
    void oneRoundingPointOperationsAreTheirFp8ResultStoredBf16(@ForAll long seed) {
        Random rnd = new Random(seed);
        TensorF64 x = SimdTensors.toTensor(SimdTestData.gaussian(rnd, 3 * 256, 1f), 3, 256);
        Weight w = SimdTestData.fp8Weight(rnd, 130, 256, 128, 128, true, false);
        Weight norm = SimdTestData.vectorWeight(SimdTestData.gaussian(rnd, 256, 1f));
        Weight bias = SimdTestData.vectorWeight(SimdTestData.gaussian(rnd, 256, 0.1f));
        var simd = SimdLayerFixtures.SIMD;
        assertBitwise(rounded(simd.require(LinearOp.class, FP8).apply(x, w)), simd.require(LinearOp.class, BF16).apply(x, w), "linear");
        assertBitwise(rounded(simd.require(RmsNormOp.class, FP8).apply(x, norm, 1e-6)), simd.require(RmsNormOp.class, BF16).apply(x, norm, 1e-6), "rms_norm");
        assertBitwise(rounded(simd.require(LayerNormOp.class, FP8).apply(x, norm, bias, 1e-6)),
                simd.require(LayerNormOp.class, BF16).apply(x, norm, bias, 1e-6), "layer_norm");
        assertBitwise(rounded(simd.require(HadamardOp.class, FP8).apply(x)), simd.require(HadamardOp.class, BF16).apply(x), "hadamard");
        TensorF64 pe = SimdTensors.toTensor(SimdTestData.gaussian(rnd, 3 * 64, 1f), 3, 64);
        int[] positions = {0, 9, 5000};
        assertBitwise(rounded(simd.require(RopeOp.class, FP8).apply(pe, positions, RopeLayout.INTERLEAVED)),
                simd.require(RopeOp.class, BF16).apply(pe, positions, RopeLayout.INTERLEAVED), "rope");
        // the float entries the composites call round the same way
        RmsNormOp op = simd.require(RmsNormOp.class, BF16);
        float[] xf = SimdTensors.toFloats(x), res = xf.clone(), y = SimdOps.rmsNormWithResidual(op, xf, res, 3, 256, norm, 1e-6);
        assertAllBf16(y, "fused norm output");
        assertAllBf16(res, "stored residual");
    }

    @Test
    void theDecoderBlocksMlpAndStreamStoreBf16() {
        OpContext bf16 = SimdLayerFixtures.context(PrecisionMode.BF16);
        var ckpt = SimdLayerFixtures.tiny();
        int dim = ckpt.config().hiddenSize();
        TensorF64 x = SimdLayerFixtures.activation(new Random(3), 5, dim);
        for (LayerWeights layer : ckpt.weights().layers()) {
            if (!layer.isMoe()) {
                TensorF64 h = SimdLayerFixtures.SIMD.require(MlpOp.class, bf16).forward(x, layer.mlp());
                assertAllBf16(SimdTensors.toFloats(h), "mlp output");
            }
            TensorF64 out = SimdLayerFixtures.SIMD.require(BlockOp.class, bf16).forward(x, 0, layer, new LayerCache());
            TensorF64 ref = SimdLayerFixtures.REFERENCE.require(BlockOp.class, bf16).forward(x, 0, layer, new LayerCache());
            // the returned stream is the sum of two bf16 tensors (stored residual + FFN output), as the reference's
            double cd = org.dsv32.spec.metrics.Metrics.calcDiff(out.toArray(), ref.toArray());
            assertTrue(cd <= org.dsv32.spec.tolerance.Bf16Tolerance.of(new org.dsv32.spec.tolerance.Tolerance(0, Double.NaN, Double.NaN, "none"),
                    PrecisionMode.BF16, dim, 18, 6, org.dsv32.spec.tolerance.Bf16Tolerance.softmaxAmplification()).calcDiff(), "block calc_diff " + cd);
        }
    }
}
