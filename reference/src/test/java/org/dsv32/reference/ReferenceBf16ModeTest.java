package org.dsv32.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.format.Bf16Rounding;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.ops.MoeOp;
import org.dsv32.spec.ops.MoeResult;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MlpWeights;
import org.dsv32.spec.weights.MoeWeights;
import org.dsv32.spec.weights.ScaleFormat;
import org.dsv32.spec.weights.Weight;
import org.junit.jupiter.api.Test;

/**
 * bf16 precision mode in the reference (spec/SEMANTICS.md §5c): a one-point operation in bf16 mode IS the fp8-mode
 * operation followed by a bf16 store (the fp8 rounding points are shared, the bf16 one is the only difference), the
 * composites store bf16 exactly where the fact sheet says, and the fp32 islands are not rounded.
 */
class ReferenceBf16ModeTest {
    private static final OpContext FP8 = TestContexts.context(PrecisionMode.FP8, ScaleFormat.UE8M0);
    private static final OpContext BF16 = TestContexts.context(PrecisionMode.BF16, ScaleFormat.UE8M0);
    private static final OpContext FP8_PLAIN = TestContexts.context(PrecisionMode.FP8, ScaleFormat.PLAIN);
    private static final OpContext BF16_PLAIN = TestContexts.context(PrecisionMode.BF16, ScaleFormat.PLAIN);

    private static TensorF64 rounded(TensorF64 t) { return Bf16Rounding.roundInPlace(t.copy()); }

    private static void assertBitwise(TensorF64 expected, TensorF64 got, String what) {
        assertArrayEquals(expected.toArray(), got.toArray(), 0.0, what);
    }

    private static void assertAllBf16(TensorF64 t, String what) {
        for (int i = 0; i < t.size(); i++) assertTrue(Bf16Rounding.isBf16(t.getFlat(i)), what + ": element " + i + " = " + t.getFlat(i) + " is not a bf16 value");
    }

    @Property(tries = 20)
    void linearInBf16IsTheFp8LinearStoredBf16(@ForAll @IntRange(min = 1, max = 5) int rows, @ForAll long seed, @ForAll boolean plain) {
        Random rnd = new Random(seed);
        OpContext fp8 = plain ? FP8_PLAIN : FP8, bf16 = plain ? BF16_PLAIN : BF16;
        TensorF64 x = TestWeights.activation(rows, 256, rnd);
        for (Weight w : new Weight[] {TestWeights.fp8Gaussian("w", 130, 256, rnd), TestWeights.bf16Gaussian("d", 70, 256, 0.05, rnd)}) {
            TensorF64 y = TestContexts.op(LinearOp.class, bf16).apply(x, w);
            assertBitwise(rounded(TestContexts.op(LinearOp.class, fp8).apply(x, w)), y, w.name());
            assertAllBf16(y, w.name());
        }
    }

    @Property(tries = 20)
    void normsRopeAndHadamardInBf16AreTheirFp8ResultStoredBf16(@ForAll long seed) {
        Random rnd = new Random(seed);
        TensorF64 x = TestWeights.activation(3, 128, rnd);
        Weight w = TestWeights.bf16Gaussian("norm", 1, 128, 1.0, rnd), b = TestWeights.bf16Gaussian("bias", 1, 128, 0.1, rnd);
        assertBitwise(rounded(TestContexts.op(RmsNormOp.class, FP8).apply(x, w, 1e-6)), TestContexts.op(RmsNormOp.class, BF16).apply(x, w, 1e-6), "rms_norm");
        assertBitwise(rounded(TestContexts.op(LayerNormOp.class, FP8).apply(x, w, b, 1e-6)), TestContexts.op(LayerNormOp.class, BF16).apply(x, w, b, 1e-6), "layer_norm");
        assertBitwise(rounded(TestContexts.op(HadamardOp.class, FP8).apply(x)), TestContexts.op(HadamardOp.class, BF16).apply(x), "hadamard");
        TensorF64 pe = TestWeights.activation(3, 64, rnd);
        int[] positions = {0, 17, 4000};
        for (RopeLayout layout : RopeLayout.values()) {
            assertBitwise(rounded(TestContexts.op(RopeOp.class, FP8).apply(pe, positions, layout)),
                    TestContexts.op(RopeOp.class, BF16).apply(pe, positions, layout), "rope " + layout);
        }
    }

    @Property(tries = 20)
    void fusedRmsNormNormalisesTheWideSumAndStoresTheResidualBf16(@ForAll long seed) {
        Random rnd = new Random(seed);
        TensorF64 x = TestWeights.activation(2, 128, rnd), r = TestWeights.activation(2, 128, rnd);
        Weight w = TestWeights.bf16Gaussian("norm", 1, 128, 1.0, rnd);
        TensorF64 rFp8 = r.copy(), rBf16 = r.copy();
        TensorF64 yFp8 = TestContexts.op(RmsNormOp.class, FP8).applyWithResidual(x, rFp8, w, 1e-6);
        TensorF64 yBf16 = TestContexts.op(RmsNormOp.class, BF16).applyWithResidual(x, rBf16, w, 1e-6);
        assertBitwise(rounded(yFp8), yBf16, "output: the norm of the unrounded sum, stored bf16");
        assertBitwise(rounded(rFp8), rBf16, "residual: the sum stored bf16");
    }

    @Property(tries = 10)
    void mlpStoresTheGatedProductBf16BetweenItsLinears(@ForAll long seed) {
        Random rnd = new Random(seed);
        MlpWeights w = MoeFixtures.mlp("mlp", rnd);
        TensorF64 x = Bf16Rounding.roundInPlace(TestWeights.activation(3, w.gate().cols(), rnd));
        LinearOp linear = TestContexts.op(LinearOp.class, BF16);
        TensorF64 g = linear.apply(x, w.gate()), u = linear.apply(x, w.up());
        TensorF64 h = TensorF64.zeros(g.rows(), g.cols());
        for (int i = 0; i < h.size(); i++) {
            double z = g.getFlat(i);
            h.setFlat(i, Bf16Rounding.round(z / (1.0 + Math.exp(-z)) * u.getFlat(i)));
        }
        TensorF64 y = TestContexts.op(MlpOp.class, BF16).forward(x, w);
        assertBitwise(linear.apply(h, w.down()), y, "mlp");
        assertAllBf16(y, "mlp");
    }

    @Property(tries = 5)
    void moeStoresItsWideSumBf16(@ForAll long seed) {
        Random rnd = new Random(seed);
        ModelConfig c = MoeFixtures.standard();
        MoeWeights w = MoeFixtures.layer(c, 0.0, rnd);
        TensorF64 x = Bf16Rounding.roundInPlace(MoeFixtures.input(4, rnd));
        MoeResult fp8 = TestContexts.op(MoeOp.class, new OpContext(c, PrecisionMode.FP8)).forward(x, w, null);
        MoeResult bf16 = TestContexts.op(MoeOp.class, new OpContext(c, PrecisionMode.BF16)).forward(x, w, fp8.routing());
        assertAllBf16(bf16.output(), "moe");
        // the router is an fp32 island: the same routing as fp8 mode on the same input
        MoeResult routedBf16 = TestContexts.op(MoeOp.class, new OpContext(c, PrecisionMode.BF16)).forward(x, w, null);
        assertEquals(java.util.Arrays.deepToString(fp8.routing().experts()), java.util.Arrays.deepToString(routedBf16.routing().experts()));
    }

    @Test
    void mlaCachesBf16LatentsAndReturnsABf16Output() {
        ModelConfig c = MlaFixture.config(4, 8);
        OpContext bf16 = new OpContext(c, PrecisionMode.BF16);
        LayerCache cache = new LayerCache();
        TensorF64 x = Bf16Rounding.roundInPlace(MlaFixture.input(6, 3));
        var weights = MlaFixture.weights(c, 5);
        TensorF64 prefill = MlaFixture.mla(bf16).forward(x, 0, weights, cache, null).output();
        assertAllBf16(prefill, "naive (prefill) output");
        TensorF64 decode = MlaFixture.mla(bf16).forward(MlaFixture.rows(MlaFixture.input(7, 3), 6, 7), 6, weights, cache, null).output();
        assertAllBf16(decode, "absorbed (decode) output");
        for (int s = 0; s < cache.length(); s++) {
            for (double v : cache.latent(s)) assertTrue(Bf16Rounding.isBf16(v), "latent " + s);
            for (double v : cache.keyRope(s)) assertTrue(Bf16Rounding.isBf16(v), "k_pe " + s);
        }
    }

    @Test
    void theLmHeadIsAnFp32Island() {
        assertEquals(PrecisionMode.FP8, BF16.fp32Island().mode());
        assertEquals(FP8, FP8.fp32Island());
        Random rnd = new Random(9);
        TensorF64 hidden = Bf16Rounding.roundInPlace(TestWeights.activation(2, 256, rnd));
        Weight head = TestWeights.bf16Gaussian("lm_head", 300, 256, 0.05, rnd);
        TensorF64 logits = TestContexts.op(LinearOp.class, BF16.fp32Island()).apply(hidden, head);
        boolean someNotBf16 = false;
        for (int i = 0; i < logits.size(); i++) someNotBf16 |= !Bf16Rounding.isBf16(logits.getFlat(i));
        assertTrue(someNotBf16, "logits through the fp32 island are not bf16-rounded");
    }

    @Test
    void bf16ModeKeepsTheFp8RoundingPoints() {
        assertTrue(BF16.fp8() && BF16.bf16() && FP8.fp8() && !FP8.bf16());
        assertFalse(TestContexts.exact().fp8() || TestContexts.exact().bf16());
        // act_quant is the same operation in both modes
        TensorF64 x = TestWeights.activation(2, 128, new Random(1));
        assertArrayEquals(TestContexts.op(ActQuantOp.class, FP8).quantize(x, ScaleFormat.UE8M0).codes(),
                TestContexts.op(ActQuantOp.class, BF16).quantize(x, ScaleFormat.UE8M0).codes());
        assertEquals(PrecisionMode.BF16, PrecisionMode.parse("bf16"));
    }
}
