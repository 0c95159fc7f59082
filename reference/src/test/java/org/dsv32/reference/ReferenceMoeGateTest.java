package org.dsv32.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.MoeWeights;
import org.dsv32.spec.weights.Weight;
import org.junit.jupiter.api.Test;

/** The reference router against the rules of spec/SEMANTICS.md §9, each trap with a case where it would show. */
class ReferenceMoeGateTest {
    /**
     * The gate against the test's own float64 routing: a D-term router logit, the sigmoid (exp, a sum, a quotient),
     * the bias, and for the weights a sum over the k selected and a quotient, relative to O(1) scores and weights.
     */
    private static final double TOL = KernelTolerances.float64Reordered(MoeFixtures.D + 8);

    /** (experts, groups, kept groups, top-k): V3.2-like, no group limit, and uneven shapes. */
    private static final int[][] SHAPES = {{16, 4, 2, 4}, {16, 1, 1, 4}, {32, 8, 3, 6}, {8, 2, 1, 2}, {16, 4, 4, 8}, {12, 3, 2, 5}};

    private static Routing route(ModelConfig c, PrecisionMode mode, TensorF64 x, MoeWeights w) {
        return new ReferenceBackend().require(MoeGateOp.class, MoeFixtures.context(c, mode)).route(x, w);
    }

    private static Routing route(ModelConfig c, TensorF64 x, MoeWeights w) { return route(c, PrecisionMode.EXACT, x, w); }

    /** A layer whose router is zero (every s = 1/2) and whose bias is {@code b - 1/2}: selection scores are b. */
    private static MoeWeights withSelectionScores(ModelConfig c, double[] b) {
        double[] bias = new double[b.length];
        for (int e = 0; e < b.length; e++) bias[e] = b[e] - 0.5;
        return MoeFixtures.withRouter(MoeFixtures.gate(c, 0, new Random(1)), new double[b.length * MoeFixtures.D], bias);
    }

    // ---- an independent statement of the rules: ranks by counting, not by sorting ----

    private static double sigmoid(double z) { return 1 / (1 + Math.exp(-z)); }

    /** Number of entries that beat v[i]: larger, or equal at a lower index. */
    private static int rank(double[] v, int i, boolean[] eligible) {
        int r = 0;
        for (int j = 0; j < v.length; j++) {
            if (j != i && (eligible == null || eligible[j]) && (v[j] > v[i] || (v[j] == v[i] && j < i))) r++;
        }
        return r;
    }

    private static void assertMatchesRules(ModelConfig c, TensorF64 x, MoeWeights w, Routing r) {
        int e = c.nRoutedExperts(), g = c.nGroup(), per = e / g, k = c.numExpertsPerTok();
        Weight router = w.router();
        for (int t = 0; t < x.rows(); t++) {
            double[] s = new double[e], b = new double[e];
            for (int i = 0; i < e; i++) {
                double z = 0;
                for (int d = 0; d < x.cols(); d++) z += router.get(i, d) * x.at(t, d);
                s[i] = sigmoid(z);
                b[i] = s[i] + w.correctionBias().get(i);
            }
            double[] gs = new double[g];
            for (int h = 0; h < g; h++) {
                double[] in = Arrays.copyOfRange(b, h * per, (h + 1) * per);
                int best = 0;
                for (int i = 1; i < per; i++) if (in[i] > in[best]) best = i;
                double second = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < per; i++) if (i != best) second = Math.max(second, in[i]);
                gs[h] = in[best] + (per > 1 ? second : 0);
            }
            int[] keptExpected = new int[g == 1 ? 1 : c.topkGroup()];
            boolean[] eligible = new boolean[e];
            for (int h = 0; h < g; h++) {
                int rk = g == 1 ? 0 : rank(gs, h, null);
                if (rk < keptExpected.length) {
                    keptExpected[rk] = h;
                    for (int i = h * per; i < (h + 1) * per; i++) eligible[i] = true;
                }
            }
            int[] expertsExpected = new int[k];
            double sumS = 0;
            for (int i = 0; i < e; i++) {
                if (!eligible[i]) continue;
                int rk = rank(b, i, eligible);
                if (rk < k) {
                    expertsExpected[rk] = i;
                    sumS += s[i];
                }
            }
            assertArrayEquals(keptExpected, r.groups()[t], "kept groups of token " + t);
            assertArrayEquals(expertsExpected, r.experts()[t], "experts of token " + t);
            assertArrayEquals(gs, r.groupScores()[t], TOL, "group scores of token " + t);
            assertArrayEquals(s, r.scores()[t], TOL, "sigmoid scores of token " + t);
            for (int i = 0; i < e; i++) {
                double want = eligible[i] ? b[i] : Double.NEGATIVE_INFINITY;
                assertEquals(want, r.selectionScores()[t][i], TOL, "selection score of expert " + i);
            }
            for (int i = 0; i < k; i++) {
                double want = (c.normTopkProb() ? s[expertsExpected[i]] / sumS : s[expertsExpected[i]]) * c.routedScalingFactor();
                assertEquals(want, r.weights()[t][i], TOL, "weight " + i + " of token " + t);
            }
        }
    }

    @Property(tries = 60, seed = "20250929")
    void routingFollowsTheRules(@ForAll @IntRange(min = 0, max = 5) int shape, @ForAll boolean norm, @ForAll long seed) {
        int[] sh = SHAPES[shape];
        Random rnd = new Random(seed);
        ModelConfig c = MoeFixtures.config(sh[0], sh[1], sh[2], sh[3], norm, 1 + 2 * rnd.nextDouble());
        MoeWeights w = MoeFixtures.gate(c, 0.3 * rnd.nextDouble(), rnd);
        TensorF64 x = MoeFixtures.input(3, rnd);
        assertMatchesRules(c, x, w, route(c, x, w));
    }

    @Property(tries = 40, seed = "777")
    void weightsSumToTheRoutedScaleWhenNormalised(@ForAll @IntRange(min = 0, max = 5) int shape, @ForAll long seed) {
        int[] sh = SHAPES[shape];
        Random rnd = new Random(seed);
        double scale = 0.5 + 3 * rnd.nextDouble();
        ModelConfig c = MoeFixtures.config(sh[0], sh[1], sh[2], sh[3], true, scale);
        MoeWeights w = MoeFixtures.gate(c, 0.2, rnd);
        Routing r = route(c, MoeFixtures.input(4, rnd), w);
        for (double[] weights : r.weights()) {
            assertEquals(scale, Arrays.stream(weights).sum(), KernelTolerances.float64Reordered(weights.length + 2) * scale);
            for (double v : weights) assertTrue(v > 0);
        }
    }

    @Property(tries = 20, seed = "31")
    void routerIsNotQuantisedInFp8Mode(@ForAll long seed) {
        Random rnd = new Random(seed);
        ModelConfig c = MoeFixtures.standard();
        MoeWeights w = MoeFixtures.gate(c, 0.1, rnd);
        TensorF64 x = MoeFixtures.input(3, rnd);
        Routing exact = route(c, PrecisionMode.EXACT, x, w), fp8 = route(c, PrecisionMode.FP8, x, w);
        for (int t = 0; t < 3; t++) {
            assertArrayEquals(exact.scores()[t], fp8.scores()[t], 0.0);
            assertArrayEquals(exact.weights()[t], fp8.weights()[t], 0.0);
        }
    }

    @Test
    void tiesGoToTheLowerGroupAndExpert() {
        ModelConfig c = MoeFixtures.standard();
        // Groups 1, 2 and 3 tie at 0.6 + 0.6 (group 0 has 0.5 + 0.5); the two lower ones are kept. Inside them four
        // experts tie at 0.6 and the others at 0.5.
        double[] b = {0.5, 0.5, 0.5, 0.5, 0.6, 0.6, 0.5, 0.5, 0.5, 0.6, 0.6, 0.5, 0.6, 0.6, 0.6, 0.6};
        Routing r = route(c, MoeFixtures.input(1, new Random(2)), withSelectionScores(c, b));
        assertArrayEquals(new int[] {1, 2}, r.groups()[0]);
        assertArrayEquals(new int[] {4, 5, 9, 10}, r.experts()[0]);
        // Every expert ties at b = 1/2: groups 0 and 1, then experts 0..3.
        Arrays.fill(b, 0.5);
        r = route(c, MoeFixtures.input(1, new Random(2)), withSelectionScores(c, b));
        assertArrayEquals(new int[] {0, 1}, r.groups()[0]);
        assertArrayEquals(new int[] {0, 1, 2, 3}, r.experts()[0]);
        assertArrayEquals(new double[] {0.625, 0.625, 0.625, 0.625}, r.weights()[0], KernelTolerances.float64Reordered(4 + 2) * 2.5);
    }

    @Test
    void groupScoreIsTheSumOfTheTopTwoNotTheMaximum() {
        ModelConfig c = MoeFixtures.standard();
        // By maximum groups 0 (0.9) and 2 (0.85) would be kept; by top-2 sum groups 1 (1.6) and 2 (1.55).
        double[] b = {0.9, 0.1, 0.1, 0.1, 0.8, 0.8, 0, 0, 0.85, 0.7, 0, 0, 0.2, 0.2, 0.2, 0.2};
        Routing r = route(c, MoeFixtures.input(1, new Random(3)), withSelectionScores(c, b));
        assertArrayEquals(new int[] {1, 2}, r.groups()[0]);
        assertArrayEquals(new int[] {8, 4, 5, 9}, r.experts()[0]);
        assertEquals(Double.NEGATIVE_INFINITY, r.selectionScores()[0][0], "expert 0 has the largest b but its group is dropped");
        assertEquals(1.6, r.groupScores()[0][1], KernelTolerances.float64Reordered(4) * 1.6);
    }

    @Test
    void droppedGroupsStayExcludedWhenEverySelectionScoreIsNegative() {
        ModelConfig c = MoeFixtures.standard();
        // All b negative: had dropped experts been given 0 instead of -inf, they would all beat the kept ones.
        double[] b = new double[16];
        for (int e = 0; e < 16; e++) b[e] = -3 - 0.1 * e;
        Routing r = route(c, MoeFixtures.input(1, new Random(4)), withSelectionScores(c, b));
        assertArrayEquals(new int[] {0, 1}, r.groups()[0]);
        assertArrayEquals(new int[] {0, 1, 2, 3}, r.experts()[0]);
        for (int e = 8; e < 16; e++) assertEquals(Double.NEGATIVE_INFINITY, r.selectionScores()[0][e]);
        // The same with top-6: the last two come from group 1, still not from a dropped group.
        ModelConfig c6 = MoeFixtures.config(16, 4, 2, 6, true, 2.5);
        r = route(c6, MoeFixtures.input(1, new Random(4)), withSelectionScores(c6, b));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, r.experts()[0]);
    }

    @Test
    void biasSelectsButDoesNotWeigh() {
        ModelConfig c = MoeFixtures.config(16, 1, 1, 4, true, 2.5);
        Random rnd = new Random(5);
        MoeWeights plain = MoeFixtures.gate(c, 0, rnd);
        TensorF64 x = MoeFixtures.input(1, rnd);
        Routing unbiased = route(c, x, plain);
        // Promote the expert with the lowest sigmoid score to the top with a large bias.
        double[] s = unbiased.scores()[0];
        int weakest = 0;
        for (int e = 1; e < 16; e++) if (s[e] < s[weakest]) weakest = e;
        double[] bias = new double[16];
        bias[weakest] = 1.0;
        MoeWeights biased = MoeFixtures.withRouter(plain, plain.router().toDoubleArray(), bias);
        Routing r = route(c, x, biased);
        assertEquals(weakest, r.experts()[0][0], "the bias decides the selection");
        assertArrayEquals(s, r.scores()[0], 0.0, "scores are the sigmoid without the bias");
        double sum = 0;
        for (int e : r.experts()[0]) sum += s[e];
        double sumB = sum + 1.0;
        for (int i = 0; i < 4; i++) {
            int e = r.experts()[0][i];
            double tol = KernelTolerances.float64Reordered(4 + 2) * 2.5;
            assertEquals(s[e] / sum * 2.5, r.weights()[0][i], tol);
            double withBias = (s[e] + bias[e]) / sumB * 2.5;
            assertNotEquals(withBias, r.weights()[0][i], tol, "weights built from b would differ");
        }
    }

    @Test
    void oneGroupMeansNoGroupLimit() {
        ModelConfig c = MoeFixtures.config(16, 1, 1, 4, true, 2.5);
        double[] b = {0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.4, 0.6, 0.5, 0.55, 0.45, 0.35, 0.25, 0.15, 0.05, 0.95};
        Routing r = route(c, MoeFixtures.input(1, new Random(6)), withSelectionScores(c, b));
        assertArrayEquals(new int[] {0}, r.groups()[0]);
        assertArrayEquals(new int[] {15, 1, 3, 5}, r.experts()[0]);
        for (double v : r.selectionScores()[0]) assertTrue(Double.isFinite(v));
    }

    @Test
    void refusesWhatV32DoesNotUse() {
        ReferenceBackend be = new ReferenceBackend();
        var softmax = MoeFixtures.context(MoeFixtures.config(16, 4, 2, 4, true, 2.5, "softmax", "noaux_tc"), PrecisionMode.EXACT);
        var e = assertThrows(IllegalArgumentException.class, () -> be.require(MoeGateOp.class, softmax));
        assertTrue(e.getMessage().contains("scoring_func 'softmax'") && e.getMessage().contains("sigmoid"), e.getMessage());
        var greedy = MoeFixtures.context(MoeFixtures.config(16, 4, 2, 4, true, 2.5, "sigmoid", "greedy"), PrecisionMode.EXACT);
        e = assertThrows(IllegalArgumentException.class, () -> be.require(MoeGateOp.class, greedy));
        assertTrue(e.getMessage().contains("topk_method 'greedy'"), e.getMessage());
        var tooMany = MoeFixtures.context(MoeFixtures.config(16, 4, 1, 5, true, 2.5), PrecisionMode.EXACT);
        e = assertThrows(IllegalArgumentException.class, () -> be.require(MoeGateOp.class, tooMany));
        assertTrue(e.getMessage().contains("num_experts_per_tok = 5"), e.getMessage());
    }

    @Test
    void routerOfTheWrongShapeIsNamed() {
        ModelConfig c = MoeFixtures.standard();
        MoeWeights w = MoeFixtures.gate(MoeFixtures.config(8, 2, 1, 2, true, 2.5), 0, new Random(7));
        var e = assertThrows(IllegalArgumentException.class, () -> route(c, MoeFixtures.input(1, new Random(7)), w));
        assertTrue(e.getMessage().contains("mlp.gate.weight"), e.getMessage());
    }
}
