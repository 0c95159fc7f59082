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
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.tolerance.Bf16Tolerance;
import org.dsv32.spec.tolerance.Tolerances;

/**
 * The record-and-replay harness of the composite checks at {@code --dims real} ({@link BlockCheck}, {@link MtpCheck}):
 * the candidate and the reference behind {@link TracingBackend}s sharing one {@link DecisionTape}.
 */
final class Replayed {
    private Replayed() {}

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
        String bf16 = String.format(java.util.Locale.ROOT, " (%d routing(s) of the bf16 rows judged on the candidate's router input)", tape.routedOnCandidateInput());
        List<CheckResult> out = new ArrayList<>();
        for (CheckResult x : results) {
            String mine = x.mode().equals(PrecisionMode.BF16.label()) ? replayed + bf16 : replayed;
            String note = x.status() == Status.PASS || x.status() == Status.FAIL ? (own.isEmpty() ? mine : own + "; " + mine) : x.note();
            out.add(new CheckResult(x.suite(), x.backend(), x.operation(), x.mode(), x.tier(), x.status(), note, x.tolerance(), x.cases(), x.seconds()));
        }
        return out;
    }

    /**
     * bf16 rounding points on the indexer's longest path inside a block: the {@link IndexerCheck}'s four, plus the two
     * bf16 stores its q latent went through before it (q_a_proj's output, B1, and q_a_layernorm's, B2).
     */
    static final int BLOCK_INDEXER_BF16_POINTS = 6;

    /**
     * Arms {@code tape} for one step of a case of {@code config} in comparison {@code mt}, judging with the derived
     * score tolerances: the indexer's of the comparison's tier (in bf16 widened by {@link Bf16Tolerance} for the
     * flips on its path, as {@link IndexerCheck} does, with {@link #BLOCK_INDEXER_BF16_POINTS}); the router's own
     * (fp32), and in bf16 each routing judged on the candidate's router input (see {@link DecisionTape}).
     */
    static void arm(DecisionTape tape, CaseEval ev, String at, ModelConfig config, ModeTier mt, long maxPosition) {
        tape.arm(ev, at, config, indexerScoreRel(config, mt, maxPosition), Tolerances.moeGate(config), mt.candidateMode() == PrecisionMode.BF16);
    }

    /** The indexer selections' score tolerance inside a block or MTP module (relative to the query's score scale). */
    static double indexerScoreRel(ModelConfig config, ModeTier mt, long maxPosition) {
        return Bf16Tolerance.of(Tolerances.indexer(config, mt.candidateMode(), mt.tier(), maxPosition), mt.candidateMode(),
                config.hiddenSize(), BLOCK_INDEXER_BF16_POINTS, 2, 1.0).scoreRel();
    }
}
