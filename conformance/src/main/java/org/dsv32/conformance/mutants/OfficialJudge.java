package org.dsv32.conformance.mutants;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.Status;
import org.dsv32.conformance.official.OfficialSuite;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.ops.Operation;

/**
 * The catalogue judged by DeepSeek's own outputs alone ({@code ./dsv32 mutants --judge official}): each mutant is
 * taken as if the bug were in our DEFINITION, so the reference cannot judge it (every reference-judged check would
 * compare the bug with itself) and only the committed outputs of DeepSeek's {@code inference/model.py}
 * ({@link OfficialSuite}) can kill it. This is what running DeepSeek's code in CI buys: a bug shared by every backend
 * of ours still dies.
 */
public final class OfficialJudge {
    private OfficialJudge() {}

    /**
     * The operations a logits run calls, found by running the model (prefill and a decode step, both modes) on a
     * reference that records every operation its composites request: a mutant of any other operation cannot act on
     * DeepSeek's logits. Derived, so a new operation needs no entry here.
     */
    public static final Set<Class<? extends Operation>> IN_A_LOGITS_RUN = usedByTheModel();

    private static Set<Class<? extends Operation>> usedByTheModel() {
        Set<Class<? extends Operation>> used = java.util.concurrent.ConcurrentHashMap.newKeySet();
        Backend recording = new org.dsv32.reference.ReferenceBackend() {
            @Override
            public <T extends Operation> java.util.Optional<T> operation(Class<T> type, org.dsv32.spec.backend.OpContext context) {
                used.add(type);
                return super.operation(type, context);
            }
        };
        org.dsv32.spec.config.ModelConfig c = org.dsv32.conformance.generate.ConformanceConfigs.small();
        org.dsv32.spec.weights.ModelWeights w = org.dsv32.conformance.generate.RandomWeights.model(new java.util.SplittableRandom(1), c,
                c.activationScaleFormat());
        for (org.dsv32.spec.backend.PrecisionMode mode : org.dsv32.spec.backend.PrecisionMode.values()) {
            org.dsv32.spec.ops.ModelSession s = recording.require(org.dsv32.spec.ops.ModelOp.class, new org.dsv32.spec.backend.OpContext(c, mode)).open(w);
            s.forwardLast(new int[] {1, 2, 3});
            s.forwardLast(new int[] {4});
        }
        return Set.copyOf(used);
    }

    /**
     * Mutants that act on a logits run but cannot be seen in one, with why: each survives the official suite and
     * OfficialCasesTest proves it (the mutant's logits of every committed case stay within the parity bound). The
     * reference-judged operation checks kill them.
     */
    public static final java.util.Map<String, String> INVISIBLE_END_TO_END = java.util.Map.of(
            "layer-norm-eps", "the indexer key's LayerNorm with eps 1e-5 instead of 1e-6 rescales every key of a unit-variance row by the"
                    + " same factor (1 - 4.5e-6): the scores keep their order, so no selection and no logit moves",
            "indexer-key-norm-eps", "the same eps change, injected through the indexer: every key rescaled alike, no selection moves",
            "amax-floor-missing", "only an all-zero act_quant tile reaches the 1e-4 amax floor; no activation of a logits run is all zero",
            "indexer-chunk-row-as-position", "acts only on a forward of several tokens after cached ones (a chunked prefill); a logits run"
                    + " prefills from position 0 and decodes one token at a time, as DeepSeek's inference code does (its prefill mask assumes"
                    + " start 0)",
            "ragged-padded-keys-visible", "acts only on a ragged batch; a logits run, like DeepSeek's code here, runs one sequence at a time",
            "ragged-padded-rows-read", "acts only on a ragged batch; a logits run, like DeepSeek's code here, runs one sequence at a time");

    /** Whether {@code m} can act on a logits run at all. */
    public static boolean reachable(Mutant m) { return IN_A_LOGITS_RUN.contains(m.operation()); }

    /** Runs the official suite against {@code m} (its own judge) until a case fails. */
    public static MutantResult run(Mutant m, OfficialSuite suite, CheckOptions options, Progress progress) {
        long t0 = System.nanoTime();
        Backend mutant = m.backend().get();
        List<String> ran = new ArrayList<>();
        for (CheckResult r : suite.run(mutant, mutant, options, progress)) {
            ran.add(r.operation());
            if (r.status() != Status.FAIL) continue;
            CaseResult failed = r.cases().stream().filter(x -> !x.passed()).findFirst().orElse(null);
            return new MutantResult(m, true, r.operation() + " " + r.mode() + "/" + r.tier().label(), failed == null ? "" : failed.name(),
                    failed == null || failed.failures().isEmpty() ? r.note() : failed.failures().getFirst(), ran, (System.nanoTime() - t0) / 1e9,
                    r.margin(), null);
        }
        return new MutantResult(m, false, "", "", "", ran, (System.nanoTime() - t0) / 1e9);
    }
}
