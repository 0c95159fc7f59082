package org.dsv32.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.ScaleFormat;
import org.dsv32.spec.weights.Weight;
import org.junit.jupiter.api.Test;

class ReferenceLinearTest {
    /** Two float64 summation orders of at most 512 terms, relative to sum |terms|. */
    private static final double SUM_RTOL = KernelTolerances.float64Reordered(512);

    /** y[m][n] = sum_k a[m][k] W[n][k] written out directly, with the sum of |terms| per element as [1]. */
    private static double[][] naive(TensorF64 a, Weight w, double[] absSum) {
        double[][] y = new double[a.rows()][w.rows()];
        for (int m = 0; m < a.rows(); m++) {
            for (int n = 0; n < w.rows(); n++) {
                double s = 0, abs = 0;
                for (int k = 0; k < w.cols(); k++) {
                    double t = a.at(m, k) * w.get(n, k);
                    s += t;
                    abs += Math.abs(t);
                }
                y[m][n] = s;
                absSum[m * w.rows() + n] = abs;
            }
        }
        return y;
    }

    private static void assertProduct(TensorF64 expectedInput, Weight w, TensorF64 y) {
        assertEquals(expectedInput.rows(), y.rows());
        assertEquals(w.rows(), y.cols());
        double[] abs = new double[y.rows() * y.cols()];
        double[][] expected = naive(expectedInput, w, abs);
        for (int m = 0; m < y.rows(); m++) {
            for (int n = 0; n < y.cols(); n++) {
                assertEquals(expected[m][n], y.at(m, n), SUM_RTOL * abs[m * y.cols() + n] + Double.MIN_NORMAL,
                        "y[" + m + "][" + n + "]");
            }
        }
    }

    @Property(tries = 12, seed = "20251117")
    void fp8ModeIsTheProductOfTheDequantisedCodes(@ForAll long seed, @ForAll boolean ue8m0,
                                                  @IntRange(min = 1, max = 3) @ForAll int m,
                                                  @IntRange(min = 1, max = 3) @ForAll int kBlocks) {
        Random rnd = new Random(seed);
        ScaleFormat f = ue8m0 ? ScaleFormat.UE8M0 : ScaleFormat.PLAIN;
        OpContext ctx = TestContexts.context(PrecisionMode.FP8, f);
        Fp8BlockWeight w = TestWeights.fp8("kv_a_proj_with_mqa", 576, 128 * kBlocks, rnd); // ragged: 576 = 4.5 blocks
        TensorF64 x = TestWeights.activation(m, 128 * kBlocks, rnd);
        TensorF64 y = TestContexts.op(LinearOp.class, ctx).apply(x, w);
        QuantizedActivation qa = TestContexts.op(ActQuantOp.class, ctx).quantize(x, f);
        assertProduct(qa.dequantize(), w, y);
    }

    @Test
    void fp8SingleRowSingleBlockRaggedWeight() {
        Random rnd = new Random(576);
        Fp8BlockWeight w = TestWeights.fp8("w", 576, 128, rnd);
        TensorF64 x = TestWeights.matrix(1, 128, 3.0, rnd);
        TensorF64 y = TestContexts.op(LinearOp.class, TestContexts.fp8()).apply(x, w);
        QuantizedActivation qa = TestContexts.op(ActQuantOp.class, TestContexts.fp8()).quantize(x, ScaleFormat.UE8M0);
        assertProduct(qa.dequantize(), w, y);
        // rows 512..575 live in the fifth, partial scale block: their scale must be S[4][0]
        for (int n = 512; n < 576; n++) {
            double dot = 0, abs = 0;
            for (int k = 0; k < 128; k++) {
                double term = qa.dequantize().at(0, k) * (w.get(n, k) / w.scale(4, 0));
                dot += term;
                abs += Math.abs(term);
            }
            assertEquals(dot * w.scale(4, 0), y.at(0, n), KernelTolerances.float64Reordered(128 + 1) * abs * w.scale(4, 0) + Double.MIN_NORMAL);
        }
    }

    @Property(tries = 10, seed = "99")
    void exactModeIsTheFloat64ProductWithTheDequantisedWeight(@ForAll long seed, @IntRange(min = 1, max = 3) @ForAll int m) {
        Random rnd = new Random(seed);
        Fp8BlockWeight w = TestWeights.fp8("q_b_proj", 200, 256, rnd);
        TensorF64 x = TestWeights.activation(m, 256, rnd);
        TensorF64 y = TestContexts.op(LinearOp.class, TestContexts.exact()).apply(x, w);
        assertProduct(x, w, y); // x itself: exact mode has no activation rounding
    }

    @Test
    void exactModeDoesNotQuantiseTheInput() {
        Random rnd = new Random(1);
        Fp8BlockWeight w = TestWeights.fp8("w", 8, 128, rnd);
        TensorF64 x = TestWeights.matrix(1, 128, 1.0, rnd);
        TensorF64 exact = TestContexts.op(LinearOp.class, TestContexts.exact()).apply(x, w);
        TensorF64 fp8 = TestContexts.op(LinearOp.class, TestContexts.fp8()).apply(x, w);
        assertTrue(!Arrays.equals(exact.toArray(), fp8.toArray()), "fp8 mode must differ from exact mode (act_quant)");
    }

    @Test
    void denseWeightIsAPlainProductInBothModes() {
        Random rnd = new Random(2);
        DenseWeight w = TestWeights.dense("lm_head.weight", 33, 100, 0.5, rnd); // K need not be a multiple of 128
        TensorF64 x = TestWeights.matrix(2, 100, 2.0, rnd);
        for (OpContext ctx : new OpContext[] {TestContexts.fp8(), TestContexts.exact()}) {
            assertProduct(x, w, TestContexts.op(LinearOp.class, ctx).apply(x, w));
        }
    }

    @Test
    void fp8ModeQuantisesThroughTheBackendsActQuant() {
        // A backend whose act_quant forgets the ue8m0 rounding must change the linear's result: the linear takes
        // its act_quant from the backend, not by constructing one.
        ReferenceBackend mutant = new ReferenceBackend() {{
            register(ActQuantOp.class, (ctx, self) -> new ReferenceActQuant(ctx, self) {
                @Override protected float roundScale(float s, ScaleFormat format) { return s; }
            });
        }};
        Random rnd = new Random(3);
        Fp8BlockWeight w = TestWeights.fp8("w", 16, 256, rnd);
        TensorF64 x = TestWeights.activation(2, 256, rnd);
        TensorF64 good = TestContexts.op(LinearOp.class, TestContexts.fp8()).apply(x, w);
        TensorF64 bad = mutant.require(LinearOp.class, TestContexts.fp8()).apply(x, w);
        assertTrue(!Arrays.equals(good.toArray(), bad.toArray()));
    }

    @Test
    void shapeMismatchNamesTheWeight() {
        Fp8BlockWeight w = TestWeights.fp8("model.layers.0.self_attn.o_proj.weight", 128, 256, new Random(4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TestContexts.op(LinearOp.class, TestContexts.exact()).apply(TensorF64.zeros(1, 128), w));
        assertTrue(e.getMessage().contains("o_proj"), e.getMessage());
    }

    @Test
    void inputIsNotModified() {
        Random rnd = new Random(6);
        TensorF64 x = TestWeights.activation(2, 128, rnd);
        double[] before = x.toArray();
        TestContexts.op(LinearOp.class, TestContexts.fp8()).apply(x, TestWeights.fp8("w", 4, 128, rnd));
        assertTrue(Arrays.equals(before, x.toArray()));
    }
}
