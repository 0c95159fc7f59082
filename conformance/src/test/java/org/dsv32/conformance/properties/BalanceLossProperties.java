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
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.checks.BalanceLossCheck;
import org.dsv32.conformance.checks.ExpertBiasUpdateCheck;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.ops.BalanceLossOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tolerances;

/**
 * The sequence-wise balance loss of every backend against the reference, and its mathematics on every backend (the
 * reference included): the reference's gradient is the derivative of its loss (central finite differences in
 * float64); a balanced selection gives f = 1 exactly, L = α and a zero gradient; relabelling the experts relabels f,
 * P and the gradient; the sequences of a batch are independent and averaged; L is invariant to scaling a token's
 * affinities, so Σ_m ∂L/∂l_m / (1 − s_m) = 0; 0 ≤ L ≤ α N_r / K_r with Σ_i f_i = N_r and Σ_i P_i = 1. Every
 * approximate comparison uses the derived float32 bounds (spec/TOLERANCES.md, balance_loss).
 */
class BalanceLossProperties extends OperationProperties<BalanceLossCheck> {
    BalanceLossProperties() { super(new BalanceLossCheck()); }

    /** A batch: logits of a skewed router, lengths, and the biased top-k selection. */
    private record Batch(TensorF64 logits, int[][] selected, int[] lengths) {
        static Batch of(long seed, int sequences, int maxLength, int experts, int k, double std) {
            SplittableRandom rng = new SplittableRandom(seed);
            int[] lengths = new int[sequences];
            int tokens = 0;
            for (int b = 0; b < sequences; b++) tokens += lengths[b] = 1 + rng.nextInt(maxLength);
            TensorF64 logits = BalanceLossCheck.skewedLogits(rng, tokens, experts, std, rng.nextDouble() * 2);
            int[][] selected = BalanceLossCheck.biasedTopK(logits, ExpertBiasUpdateCheck.bias(rng, experts, 0.05), Math.min(k, experts));
            return new Batch(logits, selected, lengths);
        }

        BalanceLossOp.Result on(Backend b, double alpha) { return op(b).compute(logits, selected, lengths, alpha); }
    }

    private static List<Backend> everyBackend() {
        List<Backend> all = new ArrayList<>(candidates(BalanceLossOp.class));
        all.add(reference());
        return all;
    }

    private static BalanceLossOp op(Backend b) {
        return b.require(BalanceLossOp.class, new OpContext(ConformanceConfigs.small(), PrecisionMode.EXACT));
    }

    private static double lossTolerance(Batch batch) { return BalanceLossCheck.tolerance(batch.logits(), batch.lengths()).maxErrInf(); }

    /** Fails unless {@code got} is within the gradient gate of {@code want} (f gives the unit s' max g). */
    private static void assertGradient(String who, Batch batch, double alpha, TensorF64 frequency, TensorF64 got, TensorF64 want) {
        CaseEval ev = new CaseEval(who, BalanceLossCheck.tolerance(batch.logits(), batch.lengths()));
        BalanceLossCheck.requireGradient(ev, batch.logits(), batch.lengths(), alpha, frequency, got, want);
        assertTrue(!ev.failed(), () -> who + ": " + ev.result().failures());
    }

    @Property(tries = 30, seed = "141")
    void conformsToTheReference(@ForAll @IntRange(min = 1, max = 3) int sequences, @ForAll @IntRange(min = 1, max = 24) int maxLength,
                                @ForAll @IntRange(min = 1, max = 300) int experts, @ForAll @IntRange(min = 1, max = 8) int k,
                                @ForAll @DoubleRange(min = 0, max = 2) double alpha, @ForAll long seed,
                                @ForAll @IntRange(min = 0, max = 1) int comparison) {
        Batch b = Batch.of(seed, sequences, maxLength, experts, k, 3);
        assertConforms(check, new BalanceLossCheck.Case("generated", ConformanceConfigs.small(), b.logits(), b.selected(), b.lengths(), alpha),
                modeTier(check, comparison));
    }

    /**
     * The reference's gradient against central differences of its own loss, selection held fixed (f carries no
     * gradient). The differences' truncation error is estimated from two step sizes (h and h/2: it shrinks by 4, so
     * |fd(h) − fd(h/2)| bounds fd(h/2)'s), their rounding error by γ_{NT} |L| / h in float64.
     */
    @Property(tries = 20, seed = "142")
    void gradientIsTheDerivativeOfTheLoss(@ForAll @IntRange(min = 1, max = 2) int sequences, @ForAll @IntRange(min = 1, max = 5) int maxLength,
                                          @ForAll @IntRange(min = 2, max = 12) int experts, @ForAll @IntRange(min = 1, max = 4) int k,
                                          @ForAll long seed) {
        Batch b = Batch.of(seed, sequences, maxLength, experts, k, 2);
        BalanceLossOp ref = op(reference());
        double alpha = 1, h = 1e-3;
        BalanceLossOp.Result r = ref.compute(b.logits(), b.selected(), b.lengths(), alpha);
        int tokens = b.logits().rows();
        double rounding = Tolerances.gamma((long) experts * tokens, Tolerances.U_FP64) * Math.abs(r.loss()) / (h / 2);
        for (int t = 0; t < tokens; t++) {
            for (int m = 0; m < experts; m++) {
                double coarse = centralDifference(ref, b, t, m, h, alpha), fine = centralDifference(ref, b, t, m, h / 2, alpha);
                double bound = Math.abs(coarse - fine) + rounding, analytic = r.gradient().at(t, m);
                int tt = t, mm = m;
                assertEquals(fine, analytic, bound, () -> "token " + tt + " expert " + mm + ": analytic " + analytic + ", differences " + fine + " (h/2), " + coarse + " (h)");
            }
        }
    }

    private static double centralDifference(BalanceLossOp op, Batch b, int t, int m, double h, double alpha) {
        TensorF64 plus = b.logits().copy(), minus = b.logits().copy();
        plus.put(t, m, plus.at(t, m) + h);
        minus.put(t, m, minus.at(t, m) - h);
        double up = op.compute(plus, b.selected(), b.lengths(), alpha).loss(), down = op.compute(minus, b.selected(), b.lengths(), alpha).loss();
        return (up - down) / (2 * h);
    }

    @Property(tries = 20, seed = "143")
    void aBalancedSelectionGivesFrequencyOneLossAlphaAndNoGradient(@ForAll @IntRange(min = 1, max = 3) int sequences,
                                                                   @ForAll @IntRange(min = 1, max = 3) int repeats,
                                                                   @ForAll @IntRange(min = 1, max = 40) int experts,
                                                                   @ForAll @IntRange(min = 1, max = 8) int k,
                                                                   @ForAll @DoubleRange(min = 0.01, max = 1) double alpha, @ForAll long seed) {
        int kk = Math.min(k, experts), length = repeats * experts;
        SplittableRandom rng = new SplittableRandom(seed);
        int[][] once = ExpertBiasUpdateCheck.balancedRouting(experts, kk);
        int[][] selected = new int[sequences * length][];
        for (int t = 0; t < selected.length; t++) selected[t] = once[(t + rng.nextInt(experts)) % experts].clone(); // any order
        // a sequence of `repeats` blocks, each a permutation of the balanced rows: every expert repeats * kk times
        for (int b = 0; b < sequences; b++) {
            for (int r = 0; r < repeats; r++) {
                int shift = rng.nextInt(experts);
                for (int j = 0; j < experts; j++) selected[b * length + r * experts + j] = once[(j + shift) % experts].clone();
            }
        }
        int[] lengths = new int[sequences];
        java.util.Arrays.fill(lengths, length);
        Batch batch = new Batch(BalanceLossCheck.skewedLogits(rng, selected.length, experts, 3, 1), selected, lengths);
        double eps = lossTolerance(batch);
        for (Backend be : everyBackend()) {
            BalanceLossOp.Result r = batch.on(be, alpha);
            for (int i = 0; i < r.frequency().size(); i++) assertEquals(1.0, r.frequency().getFlat(i), 0, be.name() + ": f of element " + i);
            assertEquals(alpha, r.loss(), eps * alpha, be.name() + ": L_Bal of a balanced batch");
            assertGradient(be.name() + " (gradient of a balanced batch)", batch, alpha, r.frequency(), r.gradient(), TensorF64.zeros(selected.length, experts));
        }
    }

    @Property(tries = 15, seed = "144")
    void relabellingTheExpertsRelabelsEverything(@ForAll @IntRange(min = 1, max = 3) int sequences, @ForAll @IntRange(min = 1, max = 10) int maxLength,
                                                 @ForAll @IntRange(min = 2, max = 48) int experts, @ForAll @IntRange(min = 1, max = 8) int k,
                                                 @ForAll long seed) {
        Batch b = Batch.of(seed, sequences, maxLength, experts, k, 2);
        SplittableRandom rng = new SplittableRandom(~seed);
        int[] perm = new int[experts];
        for (int i = 0; i < experts; i++) perm[i] = i;
        for (int i = experts - 1; i > 0; i--) { int j = rng.nextInt(i + 1), t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
        int tokens = b.logits().rows();
        TensorF64 logits = TensorF64.zeros(tokens, experts);
        int[][] selected = new int[tokens][];
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < experts; i++) logits.put(t, perm[i], b.logits().at(t, i));
            selected[t] = new int[b.selected()[t].length];
            for (int j = 0; j < selected[t].length; j++) selected[t][j] = perm[b.selected()[t][j]];
        }
        Batch permuted = new Batch(logits, selected, b.lengths());
        double eps = lossTolerance(b);
        for (Backend be : everyBackend()) {
            BalanceLossOp.Result r = b.on(be, 1), rp = permuted.on(be, 1);
            assertEquals(r.loss(), rp.loss(), eps * r.loss(), be.name() + ": the loss");
            TensorF64 back = TensorF64.zeros(tokens, experts);
            for (int t = 0; t < tokens; t++) for (int i = 0; i < experts; i++) back.put(t, i, rp.gradient().at(t, perm[i]));
            assertGradient(be.name() + " (gradient relabelled back)", b, 1, r.frequency(), back, r.gradient());
            for (int s = 0; s < sequences; s++) {
                for (int i = 0; i < experts; i++) {
                    assertEquals(r.frequency().at(s, i), rp.frequency().at(s, perm[i]), 0, be.name() + ": f");
                    assertEquals(r.meanAffinity().at(s, i), rp.meanAffinity().at(s, perm[i]), eps * r.meanAffinity().at(s, i), be.name() + ": P");
                }
            }
        }
    }

    @Property(tries = 15, seed = "145")
    void theSequencesOfABatchAreIndependentAndAveraged(@ForAll @IntRange(min = 2, max = 4) int sequences, @ForAll @IntRange(min = 1, max = 10) int maxLength,
                                                       @ForAll @IntRange(min = 1, max = 48) int experts, @ForAll @IntRange(min = 1, max = 8) int k,
                                                       @ForAll long seed) {
        Batch b = Batch.of(seed, sequences, maxLength, experts, k, 2);
        double eps = lossTolerance(b);
        for (Backend be : everyBackend()) {
            BalanceLossOp.Result whole = b.on(be, 1);
            double mean = 0;
            TensorF64 stitched = TensorF64.zeros(b.logits().rows(), experts);
            int from = 0;
            for (int s = 0; s < sequences; s++) {
                int len = b.lengths()[s];
                TensorF64 part = TensorF64.zeros(len, experts);
                for (int t = 0; t < len; t++) for (int i = 0; i < experts; i++) part.put(t, i, b.logits().at(from + t, i));
                BalanceLossOp.Result alone = op(be).compute(part, java.util.Arrays.copyOfRange(b.selected(), from, from + len), new int[] {len}, 1);
                mean += alone.loss() / sequences;
                for (int t = 0; t < len; t++) for (int i = 0; i < experts; i++) stitched.put(from + t, i, alone.gradient().at(t, i) / sequences);
                for (int i = 0; i < experts; i++) assertEquals(alone.frequency().at(0, i), whole.frequency().at(s, i), 0, be.name() + ": f of sequence " + s);
                from += len;
            }
            assertEquals(mean, whole.loss(), 2 * eps * mean, be.name() + ": the batch's loss is the mean of its sequences'");
            assertGradient(be.name() + " (each sequence's gradient / B)", b, 1, whole.frequency(), whole.gradient(), stitched);
        }
    }

    @Property(tries = 15, seed = "146")
    void scalingATokensAffinitiesChangesNothing(@ForAll @IntRange(min = 1, max = 3) int sequences, @ForAll @IntRange(min = 1, max = 10) int maxLength,
                                                @ForAll @IntRange(min = 2, max = 300) int experts, @ForAll @IntRange(min = 1, max = 8) int k,
                                                @ForAll long seed) {
        Batch b = Batch.of(seed, sequences, maxLength, experts, k, 2);
        double eps = Tolerances.balanceLossGradient(experts).maxErrInf();
        for (Backend be : everyBackend()) {
            BalanceLossOp.Result r = b.on(be, 1);
            int from = 0;
            for (int s = 0; s < sequences; s++) {
                double maxG = 0;
                for (int i = 0; i < experts; i++) maxG = Math.max(maxG, r.frequency().at(s, i) / ((double) sequences * b.lengths()[s]));
                for (int t = from; t < from + b.lengths()[s]; t++) {
                    // Σ_m ∂L/∂s_m s_m = 0; with ∂L/∂l = ∂L/∂s s (1 − s): Σ_m ∂L/∂l_m / (1 − s_m) = 0 = Σ_m s'_m (g_m − ḡ)
                    double sum = 0;
                    for (int m = 0; m < experts; m++) sum += r.gradient().at(t, m) * (1 + Math.exp(-b.logits().at(t, m))) / Math.exp(-b.logits().at(t, m));
                    double scale = 0, ssum = 0;
                    for (int m = 0; m < experts; m++) ssum += 1 / (1 + Math.exp(-b.logits().at(t, m)));
                    for (int m = 0; m < experts; m++) scale += 1 / (1 + Math.exp(-b.logits().at(t, m))) / ssum / (1 / (1 + Math.exp(b.logits().at(t, m))));
                    assertEquals(0, sum, eps * maxG * scale, be.name() + ": token " + t + " (sum of the s-gradient times s)");
                }
                from += b.lengths()[s];
            }
        }
    }

    @Property(tries = 15, seed = "147")
    void theLossIsBoundedAndItsPartsSumAsTheyMust(@ForAll @IntRange(min = 1, max = 3) int sequences, @ForAll @IntRange(min = 1, max = 16) int maxLength,
                                                  @ForAll @IntRange(min = 1, max = 300) int experts, @ForAll @IntRange(min = 1, max = 8) int k,
                                                  @ForAll @DoubleRange(min = 0, max = 1) double alpha, @ForAll long seed) {
        Batch b = Batch.of(seed, sequences, maxLength, experts, k, 4);
        double eps = lossTolerance(b);
        int kk = b.selected()[0].length;
        for (Backend be : everyBackend()) {
            BalanceLossOp.Result r = b.on(be, alpha);
            assertTrue(r.loss() >= 0 && r.loss() <= alpha * experts / kk * (1 + eps), be.name() + ": L = " + r.loss() + " outside [0, alpha N/K]");
            for (int s = 0; s < sequences; s++) {
                double f = 0, p = 0;
                for (int i = 0; i < experts; i++) { f += r.frequency().at(s, i); p += r.meanAffinity().at(s, i); }
                assertEquals(experts, f, eps * experts, be.name() + ": sum of f over the experts");
                assertEquals(1, p, eps, be.name() + ": sum of P over the experts");
            }
        }
    }

    @Property(tries = 10, seed = "148")
    void refusesWhatTheContractDoesNotDefine(@ForAll @IntRange(min = 2, max = 16) int experts, @ForAll long seed) {
        Batch b = Batch.of(seed, 1, 4, experts, 2, 1);
        int tokens = b.logits().rows();
        for (Backend be : everyBackend()) {
            BalanceLossOp op = op(be);
            assertRefused(() -> op.compute(b.logits(), b.selected(), new int[] {tokens + 1}, 1), "sum to " + (tokens + 1));
            assertRefused(() -> op.compute(b.logits(), b.selected(), new int[] {tokens, 0}, 1), "has 0 tokens");
            assertRefused(() -> op.compute(b.logits(), b.selected(), b.lengths(), -1), "alpha must be finite and >= 0");
            assertRefused(() -> op.compute(b.logits(), b.selected(), b.lengths(), Double.POSITIVE_INFINITY), "alpha must be finite and >= 0");
            int[][] bad = b.selected().clone();
            bad[0] = new int[] {experts, 0};
            assertRefused(() -> op.compute(b.logits(), bad, b.lengths(), 1), "outside [0, " + experts + ")");
            bad[0] = new int[] {1, 1};
            assertRefused(() -> op.compute(b.logits(), bad, b.lengths(), 1), "twice");
            TensorF64 nan = b.logits().copy();
            nan.put(0, 0, Double.NaN);
            assertRefused(() -> op.compute(nan, b.selected(), b.lengths(), 1), "is NaN");
        }
    }

    private static void assertRefused(Runnable call, String says) {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains(says), e.getMessage());
    }
}
