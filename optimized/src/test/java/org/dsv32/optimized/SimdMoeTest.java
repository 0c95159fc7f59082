package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.metrics.Metrics;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.MoeOp;
import org.dsv32.spec.ops.MoeResult;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.MoeWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * SimdMoeGate and SimdMoe against the reference on the tiny checkpoint's layer-1 MoE (16 experts in 4 groups, 2 kept,
 * top-4, one shared expert).
 *
 * <p>Router tolerance on s and b: {@link KernelTolerances#scoreRowExact} (a 256-long fp32 dot product errs by at
 * most 256 * 2^-24 times the sum of |w x|, here about 0.8, in practice ~1e-7, and the sigmoid's slope is at most 1/4). Selections may differ only where two selection scores lie within that tolerance (near ties).
 * MoE outputs are compared with the reference replaying simd's routing, with the attention tests' tolerances.
 */
class SimdMoeTest {
    static final double SCORE_TOL = KernelTolerances.scoreRowExact();

    static MoeWeights weights() { return SimdLayerFixtures.tiny().weights().layers().get(1).moe(); }

    @Test
    void gateMatchesTheReference() {
        ModelConfig c = SimdLayerFixtures.config();
        TensorF64 x = SimdLayerFixtures.activation(new Random(67), 24, c.hiddenSize());
        Routing s = SimdLayerFixtures.SIMD.require(MoeGateOp.class, SimdLayerFixtures.context(PrecisionMode.FP8)).route(x, weights());
        Routing r = SimdLayerFixtures.REFERENCE.require(MoeGateOp.class, SimdLayerFixtures.context(PrecisionMode.FP8)).route(x, weights());
        int differing = 0;
        for (int t = 0; t < 24; t++) {
            for (int e = 0; e < c.nRoutedExperts(); e++) assertEquals(r.scores()[t][e], s.scores()[t][e], SCORE_TOL, "s of token " + t);
            for (int g = 0; g < c.nGroup(); g++) assertEquals(r.groupScores()[t][g], s.groupScores()[t][g], 2 * SCORE_TOL, "group score");
            if (!Arrays.equals(r.groups()[t], s.groups()[t])) {
                differing++;
                nearTie(r.groupScores()[t], r.groups()[t], s.groups()[t], 2 * SCORE_TOL, "groups of token " + t);
                continue; // a different kept group changes which experts compete
            }
            for (int e = 0; e < c.nRoutedExperts(); e++) {
                double a = s.selectionScores()[t][e], b = r.selectionScores()[t][e];
                if (b == Double.NEGATIVE_INFINITY) assertEquals(b, a, "experts of dropped groups get -inf");
                else assertEquals(b, a, SCORE_TOL, "b of token " + t);
            }
            if (!Arrays.equals(r.experts()[t], s.experts()[t])) {
                differing++;
                nearTie(r.selectionScores()[t], r.experts()[t], s.experts()[t], SCORE_TOL, "experts of token " + t);
            } else {
                for (int i = 0; i < r.weights()[t].length; i++) {
                    // s_i / sum s * factor from s that agrees far better than SCORE_TOL when the choices agree
                    assertEquals(r.weights()[t][i], s.weights()[t][i], KernelTolerances.fp32(16), "weight " + i + " of token " + t);
                }
            }
            // fp32 weights, each within a few roundings of s_i / sum s * factor, summed in float64
            assertEquals(c.routedScalingFactor(), Arrays.stream(s.weights()[t]).sum(),
                    KernelTolerances.fp32(2 * s.weights()[t].length + 2) * c.routedScalingFactor(), "weights sum to routed_scaling_factor");
        }
        assertTrue(differing <= 1, differing + " tokens routed differently: more than near ties explain");
    }

    /** Two rankings that differ only where the values are within tol of the boundary. */
    static void nearTie(double[] values, int[] reference, int[] candidate, double tol, String what) {
        assertEquals(reference.length, candidate.length, what);
        double boundary = values[reference[reference.length - 1]];
        Set<Integer> r = new HashSet<>(), c = new HashSet<>();
        for (int i : reference) r.add(i);
        for (int i : candidate) c.add(i);
        Set<Integer> diff = new HashSet<>(r);
        diff.addAll(c);
        Set<Integer> both = new HashSet<>(r);
        both.retainAll(c);
        diff.removeAll(both);
        for (int i : diff) assertTrue(Math.abs(values[i] - boundary) <= tol, what + ": " + i + " is no near tie");
        for (int i = 1; i < candidate.length; i++) assertTrue(values[candidate[i]] <= values[candidate[i - 1]] + tol, what + ": order");
    }

    @ParameterizedTest
    @EnumSource(PrecisionMode.class)
    void moeMatchesTheReferenceReplayingTheRouting(PrecisionMode mode) {
        ModelConfig c = SimdLayerFixtures.config();
        TensorF64 x = SimdLayerFixtures.activation(new Random(71), 9, c.hiddenSize());
        MoeResult s = SimdLayerFixtures.SIMD.require(MoeOp.class, SimdLayerFixtures.context(mode)).forward(x, weights(), null);
        MoeResult r = SimdLayerFixtures.REFERENCE.require(MoeOp.class, SimdLayerFixtures.context(mode)).forward(x, weights(), s.routing());
        SimdMlaTest.compareOutputs(s.output(), r.output(), mode, "MoE " + mode);
    }

    @Test
    void tokensDoNotInteractAndThreadsDoNotMatter() {
        ModelConfig c = SimdLayerFixtures.config();
        TensorF64 x = SimdLayerFixtures.activation(new Random(73), 7, c.hiddenSize());
        for (PrecisionMode mode : PrecisionMode.values()) {
            MoeOp moe = SimdLayerFixtures.SIMD.require(MoeOp.class, SimdLayerFixtures.context(mode));
            TensorF64 one = SimdThreads.withThreads(1, () -> moe.forward(x, weights(), null).output());
            TensorF64 two = SimdThreads.withThreads(2, () -> moe.forward(x, weights(), null).output());
            assertArrayEquals(one.toArray(), two.toArray(), mode + ": 1 vs 2 threads");
            // grouping tokens per expert must not change a token's bits: each token alone gives the same row
            for (int t = 0; t < 7; t++) {
                TensorF64 alone = moe.forward(TensorF64.wrap(x.rowArray(t), 1, c.hiddenSize()), weights(), null).output();
                assertArrayEquals(one.rowArray(t), alone.rowArray(0), mode + ": token " + t + " in a batch vs alone");
            }
        }
    }

    /**
     * Experts of 512 rows (two GEMV units per thread at two threads, so not the small experts' schedule), 16 of
     * them over 6 tokens top-4: the routed experts one per thread (the schedule of a prefill with many experts)
     * give the bits of the same experts one after another with their products split across threads, and of one
     * thread. The routing gives experts of 1 row (the GEMV), of 2, 3 and 4 rows (few-row products) and one of all
     * 6 tokens (x itself, its act_quant shared between threads); half the weights have no subnormal codes (the
     * GEMV's fast path), half have some (the panel decode).
     */
    @Test
    void expertsOnePerThreadGiveTheBitsOfSplitProducts() {
        ModelConfig c = SimdLayerFixtures.config();
        int d = c.hiddenSize(), inter = 512, experts = 16, tokens = 6;
        Random rnd = new Random(89);
        java.util.List<org.dsv32.spec.weights.MlpWeights> mlps = new java.util.ArrayList<>();
        for (int e = 0; e < experts; e++) mlps.add(mlp(rnd, d, inter, e % 2 == 0));
        MoeWeights w = new MoeWeights(SimdTestData.denseWeight(rnd, experts, d, org.dsv32.spec.io.DType.BF16),
                SimdTestData.vectorWeight(new float[experts]), mlps, mlp(rnd, d, inter, true));
        int[][] ids = {{0, 1, 2, 3}, {0, 2, 4, 5}, {0, 2, 6, 7}, {0, 3, 8, 9}, {0, 3, 10, 11}, {0, 3, 12, 13}};
        double[][] gates = new double[tokens][4];
        for (double[] g : gates) for (int j = 0; j < 4; j++) g[j] = 0.1 + rnd.nextDouble();
        Routing routing = new Routing(ids, gates, null, null, null, null);
        TensorF64 x = SimdLayerFixtures.activation(new Random(97), tokens, d);
        int saved = SimdMoe.expertsPerThreadMin;
        for (PrecisionMode mode : PrecisionMode.values()) {
            MoeOp moe = SimdLayerFixtures.SIMD.require(MoeOp.class, SimdLayerFixtures.context(mode));
            double[] perThread, split, one;
            try {
                SimdMoe.expertsPerThreadMin = 4;
                perThread = SimdThreads.withThreads(2, () -> moe.forward(x, w, routing).output().toArray());
                one = SimdThreads.withThreads(1, () -> moe.forward(x, w, routing).output().toArray());
                SimdMoe.expertsPerThreadMin = Integer.MAX_VALUE;
                split = SimdThreads.withThreads(2, () -> moe.forward(x, w, routing).output().toArray());
            } finally {
                SimdMoe.expertsPerThreadMin = saved;
            }
            assertArrayEquals(split, perThread, mode + ": experts one per thread vs their products split");
            assertArrayEquals(split, one, mode + ": one thread");
            assertTrue(Metrics.calcDiff(split, new double[split.length]) > 0.5, "the output is not zero");
        }
    }

    private static org.dsv32.spec.weights.MlpWeights mlp(Random rnd, int d, int inter, boolean subnormals) {
        org.dsv32.spec.weights.Fp8BlockWeight[] p = {
            SimdTestData.fp8Weight(rnd, inter, d, 128, 128, false, false),
            SimdTestData.fp8Weight(rnd, inter, d, 128, 128, false, false),
            SimdTestData.fp8Weight(rnd, d, inter, 128, 128, false, false)};
        for (int i = 0; i < 3 && !subnormals; i++) p[i] = SimdTestData.withoutSubnormalCodes(p[i]);
        return new org.dsv32.spec.weights.MlpWeights(p[0], p[1], p[2]);
    }

    @Test
    void sharedExpertIsAddedUnscaled() {
        // with every routed weight zero, the output is the shared expert alone: the MLP of x, scale 1
        ModelConfig c = SimdLayerFixtures.config();
        TensorF64 x = SimdLayerFixtures.activation(new Random(79), 2, c.hiddenSize());
        Routing zero = new Routing(new int[][] {{0, 1, 2, 3}, {4, 5, 6, 7}}, new double[2][4], null, null, null, null);
        TensorF64 y = SimdLayerFixtures.SIMD.require(MoeOp.class, SimdLayerFixtures.context(PrecisionMode.EXACT)).forward(x, weights(), zero).output();
        TensorF64 shared = SimdLayerFixtures.SIMD.require(org.dsv32.spec.ops.MlpOp.class, SimdLayerFixtures.context(PrecisionMode.EXACT)).forward(x, weights().shared());
        assertArrayEquals(shared.toArray(), y.toArray());
        assertTrue(Metrics.calcDiff(shared.toArray(), new double[shared.size()]) > 0.5, "the shared expert is not zero");
    }

    @Test
    void malformedForcedRoutingIsRefused() {
        ModelConfig c = SimdLayerFixtures.config();
        TensorF64 x = SimdLayerFixtures.activation(new Random(83), 1, c.hiddenSize());
        MoeOp moe = SimdLayerFixtures.SIMD.require(MoeOp.class, SimdLayerFixtures.context(PrecisionMode.EXACT));
        assertThrows(IllegalArgumentException.class, () -> moe.forward(x, weights(), routing(new int[] {1, 1}, new double[] {1, 1})));
        assertThrows(IllegalArgumentException.class, () -> moe.forward(x, weights(), routing(new int[] {16}, new double[] {1})));
        assertThrows(IllegalArgumentException.class, () -> moe.forward(x, weights(), routing(new int[] {1, 2}, new double[] {1})));
        assertThrows(IllegalArgumentException.class, () -> moe.forward(x, weights(),
                new Routing(new int[][] {{1}, {2}}, new double[][] {{1}, {1}}, null, null, null, null)));
    }

    static Routing routing(int[] experts, double[] weights) {
        return new Routing(new int[][] {experts}, new double[][] {weights}, null, null, null, null);
    }
}
