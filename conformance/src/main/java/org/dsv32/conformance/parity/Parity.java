package org.dsv32.conformance.parity;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.logits.LogitsRunner;
import org.dsv32.conformance.logits.LogitsScript;
import org.dsv32.conformance.trace.DecisionReplay;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.io.TensorData;
import org.dsv32.spec.metrics.Metrics;
import org.dsv32.spec.weights.ModelWeights;

/**
 * Parity of another implementation's logits with ours, decision by decision (spec/TRACE_FORMAT.md). Our side runs
 * the script and counts the decisions another correct implementation could have taken differently ({@link NearTies});
 * with their trace, it runs again with their decisions forced ({@link DecisionReplay}). Each step is then
 * <ul>
 * <li>{@link Verdict#AGREE}: their logits within the bound of ours, the same argmax;</li>
 * <li>{@link Verdict#ADMISSIBLE}: their decisions were all admissible under our scores and, forced on our side, give
 * their logits within the bound — the difference is proven to be tie-breaking;</li>
 * <li>{@link Verdict#MAY_BE_ADMISSIBLE}: no trace of theirs, and our side took near-tie decisions up to this step, which
 * may explain the difference (their trace would prove or refute it);</li>
 * <li>{@link Verdict#VIOLATION}: one of their decisions loses by more than rounding explains under our scores;</li>
 * <li>{@link Verdict#UNEXPLAINED}: the logits differ and decisions do not explain it (with their decisions forced, the
 * difference remains; or without their trace, no near-tie precedes it): an arithmetic difference.</li>
 * </ul>
 */
public final class Parity {
    private Parity() {}

    public enum Verdict {
        AGREE, ADMISSIBLE, MAY_BE_ADMISSIBLE, VIOLATION, UNEXPLAINED;

        public String label() { return name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '); }

        /** Whether the step counts as proven equivalent. */
        public boolean proven() { return this == AGREE || this == ADMISSIBLE; }
    }

    /**
     * One step: their logits against ours ({@code calcDiff}, argmax) and, with their trace, against ours with their
     * decisions forced ({@code replayedCalcDiff}, NaN without); our near-tie decisions up to this step of the sequence.
     */
    public record Step(String name, double calcDiff, boolean argmaxAgrees, double replayedCalcDiff, int nearTies, int exactTies,
                       Verdict verdict, String detail) {}

    /** The whole comparison. */
    public record Report(String backend, String precision, double bound, boolean theirTrace, List<Step> steps,
                         DecisionReplay.Tally indexerReplay, DecisionReplay.Tally routingReplay, List<String> violations) {
        /** 0 when every step agrees or is proven admissible and no decision of theirs was a violation, 1 otherwise. */
        public int exitCode() { return violations.isEmpty() && steps.stream().allMatch(s -> s.verdict().proven()) ? 0 : 1; }
    }

    /**
     * Compares {@code theirs} (logits by step name, as {@code ./dsv32 logits} writes them) with {@code backend}'s run of
     * {@code script}; {@code theirTrace} (may be null) is replayed. Refuses (IllegalArgumentException) their logits
     * when a step is missing or has another length.
     */
    public static Report run(Backend backend, PrecisionMode mode, ModelWeights weights, LogitsScript script, Map<String, double[]> theirs,
                             Path theirTrace, double bound, Progress progress) throws IOException {
        NearTies ties = new NearTies(weights.config(), mode);
        Map<String, TensorData> ours = LogitsRunner.run(backend, mode, weights, script, progress, ties);
        for (String step : ours.keySet()) {
            double[] t = theirs.get(step);
            if (t == null) throw new IllegalArgumentException("their logits have no tensor '" + step + "' (the script has " + ours.size() + " steps)");
            if (t.length != ours.get(step).elementCount()) {
                throw new IllegalArgumentException("their '" + step + "' has " + t.length + " logits, ours " + ours.get(step).elementCount());
            }
        }
        Map<String, TensorData> replayed = null;
        DecisionReplay replay = null;
        if (theirTrace != null) {
            try (DecisionReplay r = DecisionReplay.open(theirTrace, weights.config(), mode)) {
                replayed = LogitsRunner.run(backend, mode, weights, script, progress, r);
                replay = r;
            }
        }
        List<Step> steps = new ArrayList<>();
        String sequence = null;
        int nearTies = 0, exactTies = 0;
        for (String step : ours.keySet()) {
            String seq = step.substring(0, step.indexOf('.'));
            if (!seq.equals(sequence)) { sequence = seq; nearTies = 0; exactTies = 0; }
            NearTies.Count c = ties.perStep().getOrDefault(step, new NearTies.Count(0, 0));
            nearTies += c.nearTies();
            exactTies += c.exactTies();
            double[] t = theirs.get(step), o = ours.get(step).toDoubles();
            double cd = Metrics.calcDiff(t, o);
            boolean argmax = Metrics.argmax(t) == Metrics.argmax(o);
            double cdReplayed = replayed == null ? Double.NaN : Metrics.calcDiff(t, replayed.get(step).toDoubles());
            steps.add(judge(step, cd, argmax, cdReplayed, nearTies, exactTies, bound, replay));
        }
        return new Report(backend.name(), mode.label(), bound, theirTrace != null, steps,
                replay == null ? null : replay.indexerTally(), replay == null ? null : replay.routingTally(),
                replay == null ? List.of() : replay.violations());
    }

    private static Step judge(String step, double cd, boolean argmax, double cdReplayed, int nearTies, int exactTies, double bound, DecisionReplay replay) {
        if (cd <= bound && argmax) return new Step(step, cd, argmax, cdReplayed, nearTies, exactTies, Verdict.AGREE, "");
        if (replay != null) {
            String violation = replay.violations().stream().filter(v -> v.startsWith(step + ".")).findFirst().orElse(null);
            if (violation != null) return new Step(step, cd, argmax, cdReplayed, nearTies, exactTies, Verdict.VIOLATION, violation);
            if (cdReplayed <= bound) {
                return new Step(step, cd, argmax, cdReplayed, nearTies, exactTies, Verdict.ADMISSIBLE,
                        String.format(java.util.Locale.ROOT, "with their decisions forced on ours: calc_diff %.3g", cdReplayed));
            }
            return new Step(step, cd, argmax, cdReplayed, nearTies, exactTies, Verdict.UNEXPLAINED, String.format(java.util.Locale.ROOT,
                    "with their decisions forced on ours calc_diff is still %.3g > %.3g: an arithmetic difference, not a decision", cdReplayed, bound));
        }
        if (nearTies > 0) {
            return new Step(step, cd, argmax, cdReplayed, nearTies, exactTies, Verdict.MAY_BE_ADMISSIBLE, nearTies + " near-tie decision(s) on our side ("
                    + exactTies + " exact ties) up to this step may explain it; pass their trace (--theirs-trace) to prove it");
        }
        return new Step(step, cd, argmax, cdReplayed, nearTies, exactTies, Verdict.UNEXPLAINED,
                "no near-tie decision on our side up to this step: the difference is not a tie-break");
    }
}
