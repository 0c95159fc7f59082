package org.dsv32.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.metrics.Metrics;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.ops.MoeOp;
import org.dsv32.spec.ops.MoeResult;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.MlpWeights;
import org.dsv32.spec.weights.MoeWeights;
import org.dsv32.spec.weights.Weight;
import org.junit.jupiter.api.Test;

/** The reference MoE layer: y = sum_i w_i Expert_i(x) + Shared(x) (spec/SEMANTICS.md §9). */
class ReferenceMoeTest {
    private static final Backend REFERENCE = new ReferenceBackend();

    private static MoeResult moe(Backend b, ModelConfig c, PrecisionMode mode, TensorF64 x, MoeWeights w, Routing forced) {
        return b.require(MoeOp.class, MoeFixtures.context(c, mode)).forward(x, w, forced);
    }

    /**
     * The reference backend with every MLP replaced by "multiply x by a constant": expert i by i + 1, the shared
     * expert by 1000. The MoE output then is (sum_i w_i (e_i + 1) + 1000) x, exactly checkable.
     */
    private static final class ScalingExpertsBackend extends ReferenceBackend {
        ScalingExpertsBackend(MoeWeights w) {
            Map<MlpWeights, Double> factor = new IdentityHashMap<>();
            for (int i = 0; i < w.expertCount(); i++) factor.put(w.experts().get(i), i + 1.0);
            factor.put(w.shared(), 1000.0);
            register(MlpOp.class, (ctx, self) -> (x, mlp) -> {
                double f = factor.get(mlp);
                double[] y = x.toArray();
                for (int i = 0; i < y.length; i++) y[i] *= f;
                return TensorF64.wrap(y, x.shape());
            });
        }
    }

    private static void assertScalingCombination(TensorF64 x, Routing r, TensorF64 y) {
        for (int t = 0; t < x.rows(); t++) {
            double f = 1000;
            for (int i = 0; i < r.experts()[t].length; i++) f += r.weights()[t][i] * (r.experts()[t][i] + 1);
            // y sums k + 1 terms of x's sign (the shared 1000 x and each weighted f_i x), f the same terms in another order
            double tol = KernelTolerances.float64Reordered(2 * (r.experts()[t].length + 2));
            for (int d = 0; d < x.cols(); d++) assertEquals(f * x.at(t, d), y.at(t, d), tol * Math.abs(f * x.at(t, d)));
        }
    }

    @Test
    void combinesExpertsByTheirWeightsAndAddsTheSharedExpertUnscaled() {
        ModelConfig c = MoeFixtures.standard();
        Random rnd = new Random(11);
        MoeWeights w = MoeFixtures.gate(c, 0.1, rnd);
        List<MlpWeights> experts = new ArrayList<>();
        for (int i = 0; i < 16; i++) experts.add(new MlpWeights(w.router(), w.router(), w.router())); // identities only
        w = new MoeWeights(w.router(), w.correctionBias(), experts, new MlpWeights(w.router(), w.router(), w.router()));
        TensorF64 x = MoeFixtures.input(5, rnd);
        MoeResult out = moe(new ScalingExpertsBackend(w), c, PrecisionMode.EXACT, x, w, null);
        assertScalingCombination(x, out.routing(), out.output());
    }

    /** Hand-computed SwiGLU on the dequantised weights, one token: down(silu(gate x) * up x). */
    private static double[] swiglu(MlpWeights m, double[] x) {
        int inter = m.gate().rows();
        double[] h = new double[inter];
        for (int i = 0; i < inter; i++) {
            double g = dot(m.gate(), i, x), u = dot(m.up(), i, x);
            h[i] = g / (1 + Math.exp(-g)) * u;
        }
        double[] y = new double[m.down().rows()];
        for (int d = 0; d < y.length; d++) y[d] = dot(m.down(), d, h);
        return y;
    }

    private static double dot(Weight w, int row, double[] x) {
        double s = 0;
        for (int k = 0; k < x.length; k++) s += w.get(row, k) * x[k];
        return s;
    }

    @Test
    void routedScaleIsAppliedOnceAndNotToTheSharedExpert() {
        for (boolean norm : new boolean[] {true, false}) {
            ModelConfig c = MoeFixtures.config(1, 1, 1, 1, norm, 2.5);
            Random rnd = new Random(12);
            MoeWeights w = MoeFixtures.layer(c, 0.3, rnd);
            TensorF64 x = MoeFixtures.input(2, rnd);
            TensorF64 y = moe(REFERENCE, c, PrecisionMode.EXACT, x, w, null).output();
            for (int t = 0; t < 2; t++) {
                double[] xt = x.rowArray(t);
                double s = 1 / (1 + Math.exp(-dot(w.router(), 0, xt)));
                double weight = 2.5 * (norm ? 1 : s);
                double[] expert = swiglu(w.experts().get(0), xt), shared = swiglu(w.shared(), xt);
                // two SwiGLU chains (D -> I -> D) against the reference's, relative to their scale
                double tol = KernelTolerances.float64Chain(MoeFixtures.D, MoeFixtures.INTER) * (weight * maxAbs(expert) + maxAbs(shared));
                for (int d = 0; d < MoeFixtures.D; d++) {
                    double want = weight * expert[d] + shared[d];
                    assertEquals(want, y.at(t, d), tol, "norm=" + norm + " t=" + t + " d=" + d);
                }
            }
        }
    }

    @Property(tries = 8, seed = "4242")
    void permutingExpertsWithTheirRouterRowsAndBiasesChangesNothing(@ForAll boolean fp8, @ForAll long seed) {
        ModelConfig c = MoeFixtures.standard();
        PrecisionMode mode = fp8 ? PrecisionMode.FP8 : PrecisionMode.EXACT;
        Random rnd = new Random(seed);
        MoeWeights w = MoeFixtures.layer(c, 0.1, rnd);
        int groups = c.nGroup(), per = c.expertsPerGroup(), e = c.nRoutedExperts();
        List<Integer> groupOrder = shuffled(groups, rnd);
        int[] map = new int[e]; // old expert index -> new one
        for (int g = 0; g < groups; g++) {
            List<Integer> inner = shuffled(per, rnd);
            for (int j = 0; j < per; j++) map[g * per + j] = groupOrder.get(g) * per + inner.get(j);
        }
        double[] router = w.router().toDoubleArray(), bias = w.correctionBias().toDoubleArray();
        double[] pRouter = new double[router.length], pBias = new double[e];
        MlpWeights[] pExperts = new MlpWeights[e];
        for (int i = 0; i < e; i++) {
            System.arraycopy(router, i * MoeFixtures.D, pRouter, map[i] * MoeFixtures.D, MoeFixtures.D);
            pBias[map[i]] = bias[i];
            pExperts[map[i]] = w.experts().get(i);
        }
        MoeWeights pw = MoeFixtures.withRouter(new MoeWeights(w.router(), w.correctionBias(), List.of(pExperts), w.shared()), pRouter, pBias);
        TensorF64 x = MoeFixtures.input(3, rnd);
        MoeResult a = moe(REFERENCE, c, mode, x, w, null), b = moe(REFERENCE, c, mode, x, pw, null);
        for (int t = 0; t < 3; t++) {
            int[] mapped = new int[c.numExpertsPerTok()];
            for (int i = 0; i < mapped.length; i++) mapped[i] = map[a.routing().experts()[t][i]];
            assertArrayEquals(mapped, b.routing().experts()[t]);
            // s_i / sum s * factor, the sum over the same selected experts in the same order or another
            assertArrayEquals(a.routing().weights()[t], b.routing().weights()[t],
                    KernelTolerances.float64Reordered(c.numExpertsPerTok() + 2) * c.routedScalingFactor());
        }
        double[] ya = a.output().toArray(), yb = b.output().toArray();
        // the same experts' outputs summed in another order
        assertTrue(Metrics.maxAbs(yb, ya) <= KernelTolerances.float64Chain(c.numExpertsPerTok() + 1) * maxAbs(ya), "outputs differ by " + Metrics.maxAbs(yb, ya));
    }

    private static List<Integer> shuffled(int n, Random rnd) {
        List<Integer> l = new ArrayList<>();
        for (int i = 0; i < n; i++) l.add(i);
        Collections.shuffle(l, rnd);
        return l;
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double d : v) m = Math.max(m, Math.abs(d));
        return m;
    }

    @Property(tries = 5, seed = "99")
    void forcedRoutingReproducesTheRoutingItWasGiven(@ForAll boolean fp8, @ForAll long seed) {
        ModelConfig c = MoeFixtures.standard();
        PrecisionMode mode = fp8 ? PrecisionMode.FP8 : PrecisionMode.EXACT;
        Random rnd = new Random(seed);
        MoeWeights w = MoeFixtures.layer(c, 0.1, rnd);
        TensorF64 x = MoeFixtures.input(4, rnd);
        MoeResult routed = moe(REFERENCE, c, mode, x, w, null);
        MoeResult replayed = moe(REFERENCE, c, mode, x, w, routed.routing());
        assertArrayEquals(routed.output().toArray(), replayed.output().toArray(), 0.0);
        assertSame(routed.routing(), replayed.routing());
    }

    @Test
    void forcedRoutingOverridesTheGate() {
        ModelConfig c = MoeFixtures.standard();
        Random rnd = new Random(13);
        MoeWeights w = MoeFixtures.gate(c, 0.1, rnd);
        List<MlpWeights> experts = new ArrayList<>();
        for (int i = 0; i < 16; i++) experts.add(new MlpWeights(w.router(), w.router(), w.router()));
        w = new MoeWeights(w.router(), w.correctionBias(), experts, new MlpWeights(w.router(), w.router(), w.router()));
        TensorF64 x = MoeFixtures.input(2, rnd);
        Backend b = new ScalingExpertsBackend(w);
        Routing own = moe(b, c, PrecisionMode.EXACT, x, w, null).routing();
        // Per token: the experts the gate did not pick, with arbitrary weights (a replayed decision of another run).
        int[][] other = new int[2][];
        double[][] weights = {{0.25, 2.0, 0.5}, {1.5, 0.125, 0.75}};
        for (int t = 0; t < 2; t++) {
            List<Integer> unpicked = new ArrayList<>();
            for (int e = 15; e >= 0 && unpicked.size() < 3; e--) {
                final int id = e;
                if (java.util.Arrays.stream(own.experts()[t]).noneMatch(v -> v == id)) unpicked.add(e);
            }
            other[t] = unpicked.stream().mapToInt(Integer::intValue).toArray();
        }
        Routing forced = new Routing(other, weights, null, null, null, null);
        MoeResult out = moe(b, c, PrecisionMode.EXACT, x, w, forced);
        assertSame(forced, out.routing());
        assertScalingCombination(x, forced, out.output());
        assertNotEquals(moe(b, c, PrecisionMode.EXACT, x, w, null).output().at(0, 0), out.output().at(0, 0));
    }

    @Test
    void forcedRoutingMustBeWellFormed() {
        ModelConfig c = MoeFixtures.standard();
        MoeWeights w = MoeFixtures.layer(c, 0.1, new Random(14));
        TensorF64 x = MoeFixtures.input(1, new Random(14));
        var dup = new Routing(new int[][] {{3, 3}}, new double[][] {{1, 1}}, null, null, null, null);
        var e = assertThrows(IllegalArgumentException.class, () -> moe(REFERENCE, c, PrecisionMode.EXACT, x, w, dup));
        assertTrue(e.getMessage().contains("expert 3 twice"), e.getMessage());
        var range = new Routing(new int[][] {{16}}, new double[][] {{1}}, null, null, null, null);
        e = assertThrows(IllegalArgumentException.class, () -> moe(REFERENCE, c, PrecisionMode.EXACT, x, w, range));
        assertTrue(e.getMessage().contains("expert 16"), e.getMessage());
        var ragged = new Routing(new int[][] {{1, 2}}, new double[][] {{1}}, null, null, null, null);
        assertThrows(IllegalArgumentException.class, () -> moe(REFERENCE, c, PrecisionMode.EXACT, x, w, ragged));
        var tokens = new Routing(new int[][] {{1}, {2}}, new double[][] {{1}, {1}}, null, null, null, null);
        assertThrows(IllegalArgumentException.class, () -> moe(REFERENCE, c, PrecisionMode.EXACT, x, w, tokens));
    }

    /** In fp8 mode every expert sees its input through act_quant, token by token, as the backend's MlpOp defines. */
    @Test
    void fp8ModeRunsEachExpertAsTheFp8Mlp() {
        ModelConfig c = MoeFixtures.standard();
        Random rnd = new Random(15);
        MoeWeights w = MoeFixtures.layer(c, 0.1, rnd);
        TensorF64 x = MoeFixtures.input(3, rnd);
        MoeResult out = moe(REFERENCE, c, PrecisionMode.FP8, x, w, null);
        MlpOp mlp = REFERENCE.require(MlpOp.class, MoeFixtures.context(c, PrecisionMode.FP8));
        Routing r = out.routing();
        for (int t = 0; t < 3; t++) {
            TensorF64 xt = TensorF64.wrap(x.rowArray(t), 1, MoeFixtures.D);
            double[] want = mlp.forward(xt, w.shared()).toArray();
            for (int i = 0; i < r.experts()[t].length; i++) {
                double[] ye = mlp.forward(xt, w.experts().get(r.experts()[t][i])).toArray();
                for (int d = 0; d < want.length; d++) want[d] += r.weights()[t][i] * ye[d];
            }
            assertArrayEquals(want, out.output().rowArray(t), KernelTolerances.float64Chain(r.experts()[t].length + 1) * maxAbs(want));
        }
        double[] exact = moe(REFERENCE, c, PrecisionMode.EXACT, x, w, null).output().toArray();
        assertTrue(Metrics.maxAbs(exact, out.output().toArray()) > 0, "fp8 mode must differ from exact mode");
    }
}
