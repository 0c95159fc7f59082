package org.dsv32.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.MlpWeights;
import org.dsv32.spec.weights.ScaleFormat;
import org.dsv32.spec.weights.Weight;
import org.junit.jupiter.api.Test;

class ReferenceMlpTest {
    /** a W^T written out. */
    private static double[][] times(double[][] a, Weight w) {
        double[][] y = new double[a.length][w.rows()];
        for (int m = 0; m < a.length; m++)
            for (int n = 0; n < w.rows(); n++)
                for (int k = 0; k < w.cols(); k++) y[m][n] += a[m][k] * w.get(n, k);
        return y;
    }

    private static double sigmoid(double z) { return 1.0 / (1.0 + Math.exp(-z)); }

    /** silu(a W_g^T) * (a W_u^T), by hand. */
    private static double[][] hidden(double[][] a, MlpWeights w) {
        double[][] g = times(a, w.gate()), u = times(a, w.up());
        double[][] h = new double[g.length][g[0].length];
        for (int m = 0; m < g.length; m++) for (int i = 0; i < g[0].length; i++) h[m][i] = g[m][i] * sigmoid(g[m][i]) * u[m][i];
        return h;
    }

    private static double[][] array(TensorF64 t) {
        double[][] a = new double[t.rows()][];
        for (int r = 0; r < t.rows(); r++) a[r] = t.rowArray(r);
        return a;
    }

    private static double[][] actQuantRoundTrip(double[][] a) {
        TensorF64 t = TensorF64.zeros(a.length, a[0].length);
        for (int r = 0; r < a.length; r++) for (int c = 0; c < a[0].length; c++) t.put(r, c, a[r][c]);
        return array(TestContexts.op(ActQuantOp.class, TestContexts.fp8()).quantize(t, ScaleFormat.UE8M0).dequantize());
    }

    private static void assertClose(double[][] expected, TensorF64 y, double rtol) {
        double scale = 0;
        for (double[] row : expected) for (double v : row) scale = Math.max(scale, Math.abs(v));
        for (int m = 0; m < expected.length; m++)
            for (int n = 0; n < expected[0].length; n++)
                assertEquals(expected[m][n], y.at(m, n), rtol * scale, "y[" + m + "][" + n + "]");
    }

    private static MlpWeights fp8Weights(int d, int inter, Random rnd) {
        return new MlpWeights(TestWeights.fp8("gate_proj", inter, d, rnd), TestWeights.fp8("up_proj", inter, d, rnd),
                TestWeights.fp8("down_proj", d, inter, rnd));
    }

    @Property(tries = 15, seed = "2048")
    void denseWeightsMatchAHandWrittenSwiGlu(@ForAll long seed) {
        Random rnd = new Random(seed);
        MlpWeights w = new MlpWeights(TestWeights.dense("gate", 24, 16, 0.5, rnd), TestWeights.dense("up", 24, 16, 0.5, rnd),
                TestWeights.dense("down", 16, 24, 0.5, rnd));
        TensorF64 x = TestWeights.matrix(3, 16, 2.0, rnd);
        for (OpContext ctx : new OpContext[] {TestContexts.exact(), TestContexts.fp8()}) {
            TensorF64 y = TestContexts.op(MlpOp.class, ctx).forward(x, w);
            assertEquals(3, y.rows());
            assertEquals(16, y.cols());
            assertClose(times(hidden(array(x), w), w.down()), y, KernelTolerances.float64Chain(16, 24));
        }
    }

    @Property(tries = 8, seed = "2049")
    void exactModeWithFp8WeightsUsesTheDequantisedWeights(@ForAll long seed) {
        Random rnd = new Random(seed);
        MlpWeights w = fp8Weights(128, 256, rnd);
        TensorF64 x = TestWeights.matrix(2, 128, 1.0, rnd);
        TensorF64 y = TestContexts.op(MlpOp.class, TestContexts.exact()).forward(x, w);
        assertClose(times(hidden(array(x), w), w.down()), y, KernelTolerances.float64Chain(128, 256));
    }

    @Property(tries = 8, seed = "2050")
    void fp8ModeQuantisesTheInputOfEveryProjectionIncludingDown(@ForAll long seed) {
        Random rnd = new Random(seed);
        MlpWeights w = fp8Weights(128, 256, rnd);
        TensorF64 x = TestWeights.matrix(2, 128, 1.0, rnd);
        TensorF64 y = TestContexts.op(MlpOp.class, TestContexts.fp8()).forward(x, w);
        double[][] h = hidden(actQuantRoundTrip(array(x)), w);
        assertClose(times(actQuantRoundTrip(h), w.down()), y, KernelTolerances.float64Chain(128, 256));
        // without the rounding of h the result differs beyond the gate above: the test sees a missing act_quant on down
        double[][] unrounded = times(h, w.down());
        double diff = 0, scale = 0;
        for (int m = 0; m < 2; m++) {
            for (int n = 0; n < 128; n++) {
                diff = Math.max(diff, Math.abs(unrounded[m][n] - y.at(m, n)));
                scale = Math.max(scale, Math.abs(unrounded[m][n]));
            }
        }
        assertTrue(diff > KernelTolerances.float64Chain(128, 256) * scale, "act_quant of down's input must matter");
    }

    @Test
    void eachProjectionGoesThroughTheBackendsLinear() {
        List<String> seen = new ArrayList<>();
        ReferenceBackend spy = new ReferenceBackend() {{
            register(LinearOp.class, (ctx, self) -> new ReferenceLinear(ctx, self) {
                @Override public TensorF64 apply(TensorF64 x, Weight w) {
                    seen.add(w.name());
                    return super.apply(x, w);
                }
            });
        }};
        MlpWeights w = fp8Weights(128, 128, new Random(1));
        spy.require(MlpOp.class, TestContexts.fp8()).forward(TestWeights.matrix(1, 128, 1.0, new Random(2)), w);
        assertEquals(List.of("gate_proj", "up_proj", "down_proj"), seen);
    }

    @Test
    void siluClosedForms() {
        ReferenceMlp mlp = new ReferenceMlp(TestContexts.exact(), TestContexts.REFERENCE);
        assertEquals(0.0, mlp.silu(0.0), 0.0);
        // x / (1 + e^-x): exp within one ulp (two roundings), the sum and the quotient one each
        assertEquals(1.0 / (1.0 + Math.exp(-1.0)), mlp.silu(1.0), KernelTolerances.float64(4) * 0.74);
        assertEquals(-2.0 / (1.0 + Math.exp(2.0)), mlp.silu(-2.0), KernelTolerances.float64(4) * 0.24);
        assertEquals(50.0, mlp.silu(50.0), KernelTolerances.float64(4) * 50);
        assertEquals(0.0, mlp.silu(-1000.0), 0.0); // e^1000 overflows to infinity: -1000 / inf = -0, not NaN
    }

    @Test
    void mismatchedWeightsAreNamed() {
        Random rnd = new Random(3);
        MlpWeights w = new MlpWeights(TestWeights.dense("gate_proj", 8, 4, 1, rnd), TestWeights.dense("up_proj", 8, 4, 1, rnd),
                TestWeights.dense("down_proj", 4, 6, 1, rnd));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TestContexts.op(MlpOp.class, TestContexts.exact()).forward(TensorF64.zeros(1, 4), w));
        assertTrue(e.getMessage().contains("down_proj"), e.getMessage());
    }
}
