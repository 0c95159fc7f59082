package org.dsv32.conformance.official;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.CheckSuite;
import org.dsv32.conformance.Decision;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.SelectionCheck;
import org.dsv32.conformance.Status;
import org.dsv32.conformance.golden.GoldenSource;
import org.dsv32.conformance.logits.LogitsScript;
import org.dsv32.conformance.parity.OurDecisions;
import org.dsv32.conformance.parity.Parity;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.checkpoint.CheckpointLoader;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;

/**
 * DeepSeek's own inference code as a judge: every committed output of {@code inference/model.py} (run by
 * {@code conformance/python/dsv32_official.py} on a tiny checkpoint, {@link OfficialCase}) against each backend,
 * decision-aware ({@link Parity} with their trace replayed). A case passes when every step agrees with their logits
 * within the logits parity bound, or differs only through decisions of theirs that are admissible under the
 * backend's own scores and, forced on the backend, give their logits within that bound. No PyTorch is needed: the
 * outputs are committed, and the checkpoint is regenerated from its seed and checked byte for byte against the one
 * their run used.
 */
public final class OfficialSuite implements CheckSuite {
    public static final String NAME = "official";
    private static final Tolerance GATE = new Tolerance(Tolerances.LOGITS_PARITY_CALC_DIFF, Double.NaN, Double.NaN,
            "DeepSeek's own logits: calc_diff <= " + Tolerances.LOGITS_PARITY_CALC_DIFF
                    + " and equal argmax per step, directly or with their decisions forced (each admissible under our scores)");

    private final Path directory;

    /** The committed cases from the class path. */
    public OfficialSuite() { this(null); }

    /** The cases of {@code directory} (an index.json and one folder per case); null: the committed ones. */
    public OfficialSuite(Path directory) { this.directory = directory; }

    @Override
    public String name() { return NAME; }

    @Override
    public List<CheckResult> run(Backend candidate, Backend reference, CheckOptions options, Progress progress) {
        return run(candidate, reference, options, progress, u -> true);
    }

    /** The cases of the index; an unreadable or missing set is one unit (it reports itself as such). */
    @Override
    public List<String> unitKeys(CheckOptions options) {
        List<String> names = OfficialCases.caseNames(directory);
        return names.isEmpty() ? List.of(WHOLE_UNIT) : names.stream().map(n -> "official[" + n + "]").toList();
    }

    @Override
    public String unitKeyOf(CheckResult result) { return result.operation(); }

    /**
     * Unit {@code u} is case {@code u} of the index; an unreadable set is unit 0 (so exactly one shard reports it).
     */
    @Override
    public List<CheckResult> run(Backend candidate, Backend reference, CheckOptions options, Progress progress,
                                 java.util.function.IntPredicate owned) {
        Path dir = directory, extracted = null;
        try {
            if (dir == null) {
                if (!OfficialCases.shippedAvailable()) {
                    if (!owned.test(0)) return List.of();
                    return List.of(CheckResult.notRun(NAME, candidate.name(), "*", "-", Tier.TIGHT, Status.NOT_IMPLEMENTED,
                            "no committed outputs of DeepSeek's code on the class path"));
                }
                dir = extracted = OfficialCases.extractShipped();
            }
            List<CheckResult> out = new ArrayList<>();
            List<OfficialCase> cases = OfficialCases.read(dir);
            for (int u = 0; u < cases.size(); u++) if (owned.test(u)) out.add(runOne(candidate, cases.get(u), progress));
            return out;
        } catch (IOException | RuntimeException e) {
            if (!owned.test(0)) return List.of();
            return List.of(new CheckResult(NAME, candidate.name(), "*", "-", Tier.TIGHT, Status.FAIL, "official outputs unreadable: " + e.getMessage(),
                    null, List.of(CaseResult.failed(NAME, String.valueOf(e.getMessage()))), 0));
        } finally {
            GoldenSource.deleteTree(extracted);
        }
    }

    /** The report label of a case. */
    static String label(OfficialCase c) { return "official[" + c.name() + "]"; }

    CheckResult runOne(Backend candidate, OfficialCase c, Progress progress) {
        String op = label(c), mode = c.precision().label();
        long t0 = System.nanoTime();
        try {
            List<String> damaged = c.damaged();
            if (!damaged.isEmpty()) return failed(candidate, c, "case damaged: " + String.join("; ", damaged), t0);
            Path ckptDir = org.dsv32.conformance.checkpoint.CheckpointSuite.checkpoint(c.preset(), c.variant(), c.seed());
            List<String> differs = c.checkpointDiffers(ckptDir);
            if (!differs.isEmpty()) {
                return failed(candidate, c, "the tiny checkpoint generator no longer writes the checkpoint their run used ("
                        + String.join("; ", differs) + "): regenerate the official outputs with scripts/official-cases", t0);
            }
            try (CheckpointLoader ckpt = CheckpointLoader.open(ckptDir)) {
                if (candidate.operation(ModelOp.class, new OpContext(ckpt.config(), c.precision())).isEmpty()) {
                    return CheckResult.notRun(NAME, candidate.name(), op, mode, Tier.TIGHT, Status.NOT_IMPLEMENTED,
                            "backend '" + candidate.name() + "' does not implement ModelOp");
                }
                LogitsScript script = LogitsScript.read(c.script());
                Map<String, double[]> theirs = Parity.readLogits(c.logits());
                Progress steps = progress.asSteps().withPrefix("[" + candidate.name() + "] " + op + " " + mode + ": ");
                Parity.Report r = Parity.run(candidate, c.precision(), ckpt.weights(), script, theirs, c.trace(), GATE.calcDiff(), steps);
                List<CaseResult> cases = cases(r, theirs, script);
                boolean pass = r.exitCode() == 0 && cases.stream().allMatch(CaseResult::passed);
                double secs = (System.nanoTime() - t0) / 1e9;
                progress.report(String.format(Locale.ROOT, "[%s] %-28s %-11s %3d cases %-5s (%.1f s)", candidate.name(), op, mode + "/tight",
                        cases.size(), pass ? "PASS" : "FAIL", secs));
                return new CheckResult(NAME, candidate.name(), op, mode, Tier.TIGHT, pass ? Status.PASS : Status.FAIL, note(c, r), GATE, cases, secs);
            }
        } catch (IOException | RuntimeException e) {
            return failed(candidate, c, "threw " + e.getClass().getSimpleName() + ": " + e.getMessage(), t0);
        }
    }

    /** One case per sequence: each step's difference (reported), its verdict as a decision (a tie-break proven = near-tie). */
    static List<CaseResult> cases(Parity.Report r, Map<String, double[]> theirs, LogitsScript script) {
        List<CaseResult> out = new ArrayList<>();
        for (int b = 0; b < script.sequences().size(); b++) {
            LogitsScript.Sequence s = script.sequences().get(b);
            CaseEval ev = new CaseEval("sequence " + b + " (" + s.prompt().length + " prompt + " + s.decode().length + " decode)", GATE);
            for (Parity.Step step : r.steps()) {
                if (!step.name().startsWith("seq" + b + ".")) continue;
                Decision d = switch (step.verdict()) {
                    case AGREE -> Decision.AGREE;
                    case ADMISSIBLE, ADMISSIBLE_ROUNDING -> Decision.NEAR_TIE;
                    default -> Decision.VIOLATION;
                };
                ev.decision(step.name(), new SelectionCheck.Outcome(d, step.verdict().label() + (step.detail().isEmpty() ? "" : ": " + step.detail())));
                if (step.verdict() == Parity.Verdict.AGREE) {
                    double cd = step.calcDiff();
                    if (!(cd <= GATE.calcDiff())) ev.fail(step.name() + ": calc_diff " + cd);
                }
            }
            for (String v : r.violations()) {
                if (v.startsWith("seq" + b + ".")) ev.fail((v.contains(OurDecisions.MARK) ? "our decision " : "their decision ") + v);
            }
            out.add(ev.result());
        }
        return out;
    }

    private static String note(OfficialCase c, Parity.Report r) {
        long admissible = r.steps().stream().filter(s -> s.verdict() == Parity.Verdict.ADMISSIBLE).count();
        long rounding = r.steps().stream().filter(s -> s.verdict() == Parity.Verdict.ADMISSIBLE_ROUNDING).count();
        double worst = r.steps().stream().mapToDouble(s -> Double.isNaN(s.replayedCalcDiff()) ? s.calcDiff() : s.replayedCalcDiff()).max().orElse(0);
        String commit = c.provenance().getOrDefault("official_commit", "unknown");
        return String.format(Locale.ROOT, "DeepSeek's model.py @ %s (%s, act %s), %s seed %d; %d of %d steps agree, %d admissible (decisions replayed, proven), %d admissible by the statistical rounding band"
                        + "; worst calc_diff (with their decisions) %.3g; their decisions under ours: indexer %s; MoE %s; act_quant at a midpoint %s; ours under theirs: %s",
                commit.length() > 12 ? commit.substring(0, 12) : commit, c.precision().label(), c.actDtype(), c.variant().label(), c.seed(),
                r.steps().stream().filter(s -> s.verdict() == Parity.Verdict.AGREE).count(), r.steps().size(), admissible, rounding, worst,
                r.indexerReplay() == null ? "-" : r.indexerReplay().describe(), r.routingReplay() == null ? "-" : r.routingReplay().describe(),
                r.actQuantReplay() == null ? "-" : r.actQuantReplay().describe(), r.oursUnderTheirs() == null ? "-" : r.oursUnderTheirs().describe());
    }

    private CheckResult failed(Backend candidate, OfficialCase c, String why, long t0) {
        return new CheckResult(NAME, candidate.name(), label(c), c.precision().label(), Tier.TIGHT, Status.FAIL, why, GATE,
                List.of(CaseResult.failed(c.name(), why)), (System.nanoTime() - t0) / 1e9);
    }
}
