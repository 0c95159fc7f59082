package org.dsv32.conformance.properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.checks.ExpertBiasUpdateCheck;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.ops.ExpertBiasUpdateOp;
import org.dsv32.spec.tensor.TensorF64;

/**
 * The expert bias update of every backend against the reference, and its mathematics on every backend (the reference
 * included): γ = 0 freezes the bias; each bias moves by γ toward the mean load (up when underloaded, down when
 * overloaded, not at all at the mean); relabelling the experts relabels the update.
 */
class ExpertBiasUpdateProperties extends OperationProperties<ExpertBiasUpdateCheck> {
    ExpertBiasUpdateProperties() { super(new ExpertBiasUpdateCheck()); }

    /** A batch of T tokens over n experts, K of them each (K <= n), skewed toward low indices. */
    private static int[][] routing(SplittableRandom rng, int tokens, int n, int k) {
        return ExpertBiasUpdateCheck.skewedRouting(rng, tokens, n, Math.min(k, n));
    }

    /** A layer's bias and a training step's routing, drawn from {@code seed}. */
    private record Batch(TensorF64 bias, int[][] selected) {
        static Batch of(long seed, int tokens, int experts, int k) {
            SplittableRandom rng = new SplittableRandom(seed);
            TensorF64 bias = ExpertBiasUpdateCheck.bias(rng, experts, 0.05);
            return new Batch(bias, routing(rng, tokens, experts, k));
        }
    }

    private static List<Backend> everyBackend() {
        List<Backend> all = new ArrayList<>(candidates(ExpertBiasUpdateOp.class));
        all.add(reference());
        return all;
    }

    private static ExpertBiasUpdateOp op(Backend b) {
        return b.require(ExpertBiasUpdateOp.class, new OpContext(ConformanceConfigs.small(), PrecisionMode.EXACT));
    }

    @Property(tries = 30, seed = "114")
    void conformsToTheReference(@ForAll @IntRange(min = 0, max = 64) int tokens, @ForAll @IntRange(min = 1, max = 300) int experts,
                                @ForAll @IntRange(min = 1, max = 8) int k, @ForAll @DoubleRange(min = 0, max = 0.01) double gamma,
                                @ForAll long seed, @ForAll @IntRange(min = 0, max = 1) int comparison) {
        SplittableRandom rng = new SplittableRandom(seed);
        assertConforms(check, new ExpertBiasUpdateCheck.Case("generated", ConformanceConfigs.small(),
                ExpertBiasUpdateCheck.bias(rng, experts, 0.05), routing(rng, tokens, experts, k), gamma), modeTier(check, comparison));
    }

    @Property(tries = 20, seed = "115")
    void movesEachBiasByGammaTowardTheMeanLoad(@ForAll @IntRange(min = 0, max = 48) int tokens, @ForAll @IntRange(min = 1, max = 64) int experts,
                                               @ForAll @IntRange(min = 1, max = 8) int k, @ForAll long seed) {
        double gamma = 1e-3;
        Batch batch = Batch.of(seed, tokens, experts, k);
        TensorF64 bias = batch.bias();
        int[][] selected = batch.selected();
        long[] load = new long[experts];
        long total = 0;
        for (int[] t : selected) for (int e : t) { load[e]++; total++; }
        for (Backend b : everyBackend()) {
            TensorF64 y = op(b).update(bias, selected, gamma);
            for (int i = 0; i < experts; i++) {
                double mean = (double) total / experts, moved = y.getFlat(i) - bias.getFlat(i);
                double expected = load[i] < mean ? gamma : load[i] > mean ? -gamma : 0;
                // fp32 rounding of b + γ: at most an ulp of the result, plus γ's own rounding
                double slack = Math.ulp((float) y.getFlat(i)) + Math.ulp((float) gamma);
                int e = i;
                assertEquals(expected, moved, expected == 0 ? 0 : slack,
                        () -> b.name() + ": expert " + e + " with load " + load[e] + " (mean " + mean + ") moved by " + moved);
            }
        }
    }

    @Property(tries = 15, seed = "116")
    void gammaZeroFreezesTheBias(@ForAll @IntRange(min = 0, max = 32) int tokens, @ForAll @IntRange(min = 1, max = 64) int experts,
                                 @ForAll @IntRange(min = 1, max = 8) int k, @ForAll long seed) {
        Batch batch = Batch.of(seed, tokens, experts, k);
        TensorF64 bias = batch.bias();
        for (Backend b : everyBackend()) {
            TensorF64 y = op(b).update(bias, batch.selected(), 0);
            for (int i = 0; i < experts; i++) assertEquals(bias.getFlat(i), y.getFlat(i), 0, b.name() + " expert " + i);
        }
    }

    @Property(tries = 15, seed = "117")
    void relabellingTheExpertsRelabelsTheUpdate(@ForAll @IntRange(min = 1, max = 32) int tokens, @ForAll @IntRange(min = 2, max = 64) int experts,
                                                @ForAll @IntRange(min = 1, max = 8) int k, @ForAll long seed) {
        Batch batch = Batch.of(seed, tokens, experts, k);
        TensorF64 bias = batch.bias();
        int[][] selected = batch.selected();
        SplittableRandom rng = new SplittableRandom(~seed);
        int[] perm = new int[experts];
        for (int i = 0; i < experts; i++) perm[i] = i;
        for (int i = experts - 1; i > 0; i--) { int j = rng.nextInt(i + 1), t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
        TensorF64 permutedBias = TensorF64.zeros(experts);
        for (int i = 0; i < experts; i++) permutedBias.setFlat(perm[i], bias.getFlat(i));
        int[][] permutedSelected = new int[selected.length][];
        for (int t = 0; t < selected.length; t++) {
            permutedSelected[t] = new int[selected[t].length];
            for (int j = 0; j < selected[t].length; j++) permutedSelected[t][j] = perm[selected[t][j]];
        }
        for (Backend b : everyBackend()) {
            TensorF64 y = op(b).update(bias, selected, 1e-3), yp = op(b).update(permutedBias, permutedSelected, 1e-3);
            for (int i = 0; i < experts; i++) assertEquals(y.getFlat(i), yp.getFlat(perm[i]), 0, b.name() + " expert " + i);
        }
    }

    @Property(tries = 10, seed = "118")
    void refusesWhatTheContractDoesNotDefine(@ForAll @IntRange(min = 1, max = 16) int experts, @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        TensorF64 bias = ExpertBiasUpdateCheck.bias(rng, experts, 0.05);
        for (Backend b : everyBackend()) {
            ExpertBiasUpdateOp op = op(b);
            assertRefused(() -> op.update(bias, new int[][] {{experts}}, 1e-3), "outside [0, " + experts + ")");
            assertRefused(() -> op.update(bias, new int[][] {{0}}, -1e-3), "gamma must be finite and >= 0");
            assertRefused(() -> op.update(bias, new int[][] {{0}}, Double.NaN), "gamma must be finite and >= 0");
            assertRefused(() -> op.update(TensorF64.zeros(1, experts), new int[][] {{0}}, 1e-3), "one vector");
            if (experts > 1) assertRefused(() -> op.update(bias, new int[][] {{0, 0}}, 1e-3), "twice");
        }
    }

    private static void assertRefused(Runnable call, String says) {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains(says), e.getMessage());
    }
}
