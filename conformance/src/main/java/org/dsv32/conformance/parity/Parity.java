package org.dsv32.conformance.parity;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.checkpoint.Fp32BoundaryReference;
import org.dsv32.conformance.logits.LogitsRunner;
import org.dsv32.conformance.logits.LogitsScript;
import org.dsv32.conformance.trace.DecisionReplay;
import org.dsv32.conformance.trace.DecisionTrace;
import org.dsv32.conformance.trace.Decisions;
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
 * <li>{@link Verdict#ADMISSIBLE_ROUNDING} (fp8 mode, and only when their trace does not record act_quant's roundings at a
 * midpoint, which replay forces like any decision): with their decisions forced the difference remains, but it stays
 * within {@link #BAND_FACTOR} times the spread of our own reference under the fp32 error a conforming implementation may
 * carry into act_quant ({@link Fp32BoundaryReference}, {@link #PERTURBED_RUNS} runs, their decisions forced too):
 * e4m3 codes at rounding midpoints taken the other way (spec/SEMANTICS.md §10b), the judgement the checkpoint suite
 * makes for simd against the reference;</li>
 * <li>{@link Verdict#MAY_BE_ADMISSIBLE}: no trace of theirs, and our side took near-tie decisions up to this step, which
 * may explain the difference (their trace would prove or refute it);</li>
 * <li>{@link Verdict#VIOLATION}: one of their decisions loses by more than rounding explains under our scores;</li>
 * <li>{@link Verdict#UNEXPLAINED}: the logits differ and decisions do not explain it (with their decisions forced, the
 * difference remains; or without their trace, no near-tie precedes it): an arithmetic difference.</li>
 * </ul>
 * When their trace carries hidden states ({@code --trace-hidden}), a step that is not proven also names the first block
 * whose output departs from ours ({@link Departure}).
 */
public final class Parity {
    private Parity() {}

    public enum Verdict {
        AGREE, ADMISSIBLE, ADMISSIBLE_ROUNDING, MAY_BE_ADMISSIBLE, VIOLATION, UNEXPLAINED;

        public String label() { return name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '); }

        /** Whether the step counts as proven equivalent. */
        public boolean proven() { return this == AGREE || this == ADMISSIBLE || this == ADMISSIBLE_ROUNDING; }
    }

    /**
     * One step: their logits against ours ({@code calcDiff}, argmax) and, with their trace, against ours with their
     * decisions forced ({@code replayedCalcDiff}, NaN without); our near-tie decisions up to this step of the sequence.
     */
    public record Step(String name, double calcDiff, boolean argmaxAgrees, double replayedCalcDiff, int nearTies, int exactTies,
                       Verdict verdict, String detail) {
        Step withDetail(String d) { return new Step(name, calcDiff, argmaxAgrees, replayedCalcDiff, nearTies, exactTies, verdict, d); }
    }

    /** The whole comparison. */
    public record Report(String backend, String precision, double bound, boolean theirTrace, List<Step> steps,
                         DecisionReplay.Tally indexerReplay, DecisionReplay.Tally routingReplay, DecisionReplay.Tally actQuantReplay,
                         DecisionReplay.Tally oursUnderTheirs,
                         List<String> violations) {
        /** 0 when every step agrees or is proven admissible and no decision of theirs was a violation, 1 otherwise. */
        public int exitCode() { return violations.isEmpty() && steps.stream().allMatch(s -> s.verdict().proven()) ? 0 : 1; }
    }

    /**
     * Compares {@code theirs} (logits by step name, as {@code ./dsv32 logits} writes them) with {@code backend}'s run of
     * {@code script}; {@code theirTrace} (may be null) is replayed. Refuses (IllegalArgumentException) their logits
     * when a step is missing or has another length.
     */
    /** Every tensor of a logits file ({@code seq{b}.step{k}}, as {@code ./dsv32 logits} writes them) by name, widened to double. */
    public static Map<String, double[]> readLogits(Path file) throws IOException {
        Map<String, double[]> out = new java.util.LinkedHashMap<>();
        try (org.dsv32.spec.io.SafetensorsFile f = org.dsv32.spec.io.SafetensorsFile.open(file)) {
            for (String n : f.names()) out.put(n, f.tensor(n).toDoubles());
        }
        return out;
    }

    /** Perturbed reference runs that measure the spread of act_quant rounding decisions (fp8 mode only). */
    public static final int PERTURBED_RUNS = 3;
    /** A remaining difference up to this multiple of that spread is a rounding decision. */
    public static final double BAND_FACTOR = 2;

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
        Map<String, double[]> theirHidden = Map.of(), ourHidden = Map.of();
        DecisionTrace ourTrace = null;
        if (theirTrace != null) {
            theirHidden = Departure.readHidden(theirTrace);
            // Their hidden states are compared with ours under THEIR decisions, so a departure is arithmetic.
            DecisionTrace hidden = theirHidden.isEmpty() ? null : new DecisionTrace(true);
            // Our own decisions are recorded in the run that follows theirs (before each is overridden): there our
            // state equals theirs up to rounding, so judging our choices under their scores is meaningful.
            ourTrace = new DecisionTrace(false);
            try (DecisionReplay r = DecisionReplay.open(theirTrace, weights.config(), mode)) {
                Decisions forced = ourTrace.then(r);
                replayed = LogitsRunner.run(backend, mode, weights, script, progress, hidden == null ? forced : forced.then(hidden));
                replay = r;
            }
            if (hidden != null) ourHidden = Departure.hidden(hidden.tensors());
        }
        OurDecisions.Result mine = ourTrace == null ? null : OurDecisions.judge(ourTrace.tensors(), theirTrace, weights.config(), mode);
        List<String> violations = new ArrayList<>();
        if (replay != null) violations.addAll(replay.violations());
        if (mine != null) violations.addAll(mine.violations());
        List<Step> steps = new ArrayList<>();
        Map<String, double[]> band = null; // per step: {calc_diff, max abs} spread of the perturbed runs, made when needed
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
            Step judged = judge(step, cd, argmax, cdReplayed, nearTies, exactTies, bound, replay, violations);
            // The statistical fallback, for a trace without act_quant records (an exporter that does not write them);
            // with them, their roundings at a midpoint were replayed and the remaining difference is not rounding.
            if (judged.verdict() == Verdict.UNEXPLAINED && replay != null && mode.hasFp8RoundingPoints() && !replay.wantsActQuant()) {
                if (band == null) band = roundingBand(mode, weights, script, theirTrace, progress);
                judged = rounding(judged, t, replayed.get(step).toDoubles(), band.get(step));
            }
            String departs = judged.verdict().proven() ? "" : Departure.first(step, theirHidden, ourHidden, bound);
            if (!departs.isEmpty()) judged = judged.withDetail(judged.detail().isEmpty() ? departs : judged.detail() + "; " + departs);
            steps.add(judged);
        }
        return new Report(backend.name(), mode.label(), bound, theirTrace != null, steps,
                replay == null ? null : replay.indexerTally(), replay == null ? null : replay.routingTally(),
                replay == null ? null : replay.actQuantTally(), mine == null ? null : mine.tally(), List.copyOf(violations));
    }

    /**
     * Per step, the largest calc_diff and max |difference| between the reference with their decisions forced and
     * {@link #PERTURBED_RUNS} runs of {@link Fp32BoundaryReference} with their decisions forced too.
     */
    static Map<String, double[]> roundingBand(PrecisionMode mode, ModelWeights weights, LogitsScript script, Path theirTrace, Progress progress)
            throws IOException {
        Backend reference = new org.dsv32.reference.ReferenceBackend();
        Map<String, TensorData> base;
        try (DecisionReplay r = DecisionReplay.open(theirTrace, weights.config(), mode)) {
            base = LogitsRunner.run(reference, mode, weights, script, progress, r);
        }
        Map<String, double[]> out = new java.util.HashMap<>();
        for (int j = 0; j < PERTURBED_RUNS; j++) {
            Map<String, TensorData> p;
            try (DecisionReplay r = DecisionReplay.open(theirTrace, weights.config(), mode)) {
                p = LogitsRunner.run(new Fp32BoundaryReference(0x5EEDL + j), mode, weights, script, progress, r);
            }
            for (String step : base.keySet()) {
                double[] x = p.get(step).toDoubles(), y = base.get(step).toDoubles();
                double[] b = out.computeIfAbsent(step, k -> new double[2]);
                b[0] = Math.max(b[0], Metrics.calcDiff(x, y));
                b[1] = Math.max(b[1], Metrics.maxAbs(x, y));
            }
        }
        return out;
    }

    /** An unexplained step whose remaining difference lies within the rounding band becomes ADMISSIBLE_ROUNDING. */
    static Step rounding(Step s, double[] theirs, double[] ourReplayed, double[] band) {
        double gap = ourReplayed[Metrics.argmax(ourReplayed)] - ourReplayed[Metrics.argmax(theirs)];
        boolean within = s.replayedCalcDiff() <= BAND_FACTOR * band[0] && gap <= BAND_FACTOR * band[1]
                && Metrics.nonFiniteMismatches(theirs, ourReplayed) == 0;
        String what = String.format(java.util.Locale.ROOT, "with their decisions forced calc_diff %.3g (argmax gap %.3g); under admissible fp32"
                + " error at act_quant inputs the reference itself moves by up to calc_diff %.3g, max abs %.3g (%d runs, gate %.0fx)",
                s.replayedCalcDiff(), gap, band[0], band[1], PERTURBED_RUNS, BAND_FACTOR);
        if (within) return new Step(s.name(), s.calcDiff(), s.argmaxAgrees(), s.replayedCalcDiff(), s.nearTies(), s.exactTies(),
                Verdict.ADMISSIBLE_ROUNDING, "e4m3 rounding decisions: " + what);
        return s.withDetail(s.detail() + "; beyond the rounding spread: " + what);
    }

    private static Step judge(String step, double cd, boolean argmax, double cdReplayed, int nearTies, int exactTies, double bound, DecisionReplay replay,
                              List<String> violations) {
        String violation = violations.stream().filter(v -> v.startsWith(step + ".")).findFirst().orElse(null);
        if (violation != null) return new Step(step, cd, argmax, cdReplayed, nearTies, exactTies, Verdict.VIOLATION, violation);
        if (cd <= bound && argmax) return new Step(step, cd, argmax, cdReplayed, nearTies, exactTies, Verdict.AGREE, "");
        if (replay != null) {
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
