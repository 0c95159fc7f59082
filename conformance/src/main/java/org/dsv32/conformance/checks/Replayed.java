package org.dsv32.conformance.checks;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.ModeTier;
import org.dsv32.conformance.Status;
import org.dsv32.conformance.trace.DecisionTape;
import org.dsv32.conformance.trace.TracingBackend;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.Operation;
import org.dsv32.spec.ops.OperationCatalog;
import org.dsv32.spec.tolerance.Tolerances;

/**
 * The record-and-replay harness of the composite checks at {@code --dims real} ({@link BlockCheck}, {@link MtpCheck}):
 * the candidate and the reference behind {@link TracingBackend}s sharing one {@link DecisionTape}.
 */
final class Replayed {
    private Replayed() {}

    /**
     * Why comparison {@code mt} cannot be judged through the tape, or null when it can. The tape replays indexer
     * selections and routings, not the deployment's bf16 stores: across a whole 671B layer one flipped store moves a
     * router score past the bf16 tier's score tolerance (measured: a routing deficit of 1.02 tolerances on a correct
     * simd, full real run, default seed), so bf16 is judged at the small shapes only.
     */
    static String notReplayable(ModeTier mt) {
        return mt == ModeTier.BF16_TIGHT ? "bf16 at real dims needs the bf16 stores replayed as decisions (not yet): a flipped store "
                + "moves a router score past the bf16 score tolerance across a 671B layer; judged at --dims small" : null;
    }

    /**
     * Runs {@code checked} (the check's own run) on the traced candidate and reference, {@code setTape} handing the
     * check the tape for the run's duration. A candidate that cannot be traced gets NOT IMPLEMENTED for every
     * comparison (its decisions cannot be replayed), never a pass. The results' notes are the candidate's own
     * (tracing delegates every operation, which is no delegation of the candidate's) plus what was replayed.
     */
    static List<CheckResult> run(Class<? extends Operation> type, List<ModeTier> comparisons, Backend candidate, Backend reference,
                                 Consumer<DecisionTape> setTape, BiFunction<Backend, Backend, List<CheckResult>> checked) {
        DecisionTape tape = new DecisionTape();
        Backend c, r;
        try {
            c = TracingBackend.of(candidate, tape.recorder());
            r = TracingBackend.of(reference, tape.replayer());
        } catch (IllegalArgumentException e) {
            List<CheckResult> out = new ArrayList<>();
            for (ModeTier mt : comparisons) {
                out.add(CheckResult.notRun(org.dsv32.conformance.AbstractOperationCheck.SUITE,
                        candidate.name(), OperationCatalog.label(type), mt.candidateMode().label(), mt.tier(), Status.NOT_IMPLEMENTED,
                        "at --dims real the candidate's decisions are replayed into the reference, but " + e.getMessage()));
            }
            return out;
        }
        List<CheckResult> results;
        setTape.accept(tape);
        try {
            results = checked.apply(c, r);
        } finally {
            setTape.accept(null);
        }
        String own = candidate.delegateOf(type).map(d -> "delegated to " + d).orElse("");
        String replayed = String.format(java.util.Locale.ROOT, "decisions replayed into the reference: %d indexer selection(s), %d routing(s)",
                tape.replayedSelections(), tape.replayedRoutings());
        List<CheckResult> out = new ArrayList<>();
        for (CheckResult x : results) {
            String note = x.status() == Status.PASS || x.status() == Status.FAIL ? (own.isEmpty() ? replayed : own + "; " + replayed) : x.note();
            out.add(new CheckResult(x.suite(), x.backend(), x.operation(), x.mode(), x.tier(), x.status(), note, x.tolerance(), x.cases(), x.seconds()));
        }
        return out;
    }

    /** Arms {@code tape} for one step of a case of {@code config} in comparison {@code mt}, judging with the derived score tolerances. */
    static void arm(DecisionTape tape, CaseEval ev, String at, ModelConfig config, ModeTier mt, long maxPosition) {
        tape.arm(ev, at, config, Tolerances.indexer(config, mt.candidateMode(), mt.tier(), maxPosition).scoreRel(), Tolerances.moeGate(config));
    }
}
