package org.dsv32.conformance.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.conformance.logits.LogitsRunner;
import org.dsv32.conformance.logits.LogitsScript;
import org.dsv32.conformance.mutants.MutantCatalogue;
import org.dsv32.conformance.trace.DecisionReplay;
import org.dsv32.conformance.trace.DecisionTrace;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.io.SafetensorsWriter;
import org.dsv32.spec.io.TensorData;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.ModelWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parity tells a tie-break from a bug: another implementation that breaks an exact indexer tie the other way is
 * "may be admissible" without its trace and proven admissible with it; a mutant's lost decisions are violations at
 * their layer; our own logits agree.
 */
class ParityTest {
    static final ModelConfig CONFIG = ConformanceConfigs.small();
    static final ModelWeights WEIGHTS = RandomWeights.model(new SplittableRandom(11), CONFIG, CONFIG.activationScaleFormat());
    static final PrecisionMode MODE = PrecisionMode.EXACT;
    static final Backend REFERENCE = new ReferenceBackend();
    /** A prompt long enough for queries with more visible keys than the top-k, and exact ties among the zero scores. */
    static final LogitsScript SCRIPT = new LogitsScript(List.of(new LogitsScript.Sequence(prompt(40), new int[] {3, 1})));

    @TempDir Path tmp;

    static int[] prompt(int n) {
        SplittableRandom rng = new SplittableRandom(3);
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = rng.nextInt(CONFIG.vocabSize());
        return p;
    }

    record Run(Map<String, double[]> logits, List<TensorData> trace) {}

    static Run run(Backend b, DecisionReplay forced) { return run(b, forced, false); }

    static Run run(Backend b, DecisionReplay forced, boolean hidden) {
        DecisionTrace trace = new DecisionTrace(hidden);
        Map<String, TensorData> out = LogitsRunner.run(b, MODE, WEIGHTS, SCRIPT, Progress.NONE, forced == null ? trace : forced.then(trace));
        Map<String, double[]> logits = new LinkedHashMap<>();
        out.forEach((k, v) -> logits.put(k, v.toDoubles()));
        return new Run(logits, trace.tensors());
    }

    Path write(List<TensorData> tensors, String name) throws IOException {
        Path f = tmp.resolve(name);
        SafetensorsWriter.write(f, tensors, Map.of("format", "dsv32-trace-v1"));
        return f;
    }

    @Test
    void ourOwnLogitsAgree() throws IOException {
        Run ours = run(REFERENCE, null);
        Parity.Report r = Parity.run(REFERENCE, MODE, WEIGHTS, SCRIPT, ours.logits(), write(ours.trace(), "own.safetensors"),
                Tolerances.LOGITS_PARITY_CALC_DIFF, Progress.NONE);
        assertEquals(0, r.exitCode());
        assertTrue(r.steps().stream().allMatch(s -> s.verdict() == Parity.Verdict.AGREE), r.steps().toString());
    }

    @Test
    void anExactTieBrokenTheOtherWayIsAdmissibleAndProvenWithTheirTrace() throws IOException {
        Run ours = run(REFERENCE, null);
        List<TensorData> swapped = new ArrayList<>();
        boolean[] done = {false};
        Map<String, TensorData> byName = new LinkedHashMap<>();
        for (TensorData t : ours.trace()) byName.put(t.name(), t);
        for (TensorData t : ours.trace()) swapped.add(done[0] || !t.name().endsWith("indexer.selected") ? t : swapTie(t, byName, done));
        assertTrue(done[0], "the seeded run has an exact tie at some query's k-th key");
        Path theirTrace = write(swapped, "theirs.safetensors");
        Run theirs;
        try (DecisionReplay forced = DecisionReplay.open(theirTrace, CONFIG, MODE)) {
            theirs = run(REFERENCE, forced);
            assertTrue(forced.admissible());
            assertTrue(forced.indexerTally().exactTie() > 0, forced.indexerTally().describe());
        }

        Parity.Report without = Parity.run(REFERENCE, MODE, WEIGHTS, SCRIPT, theirs.logits(), null, Tolerances.LOGITS_PARITY_CALC_DIFF, Progress.NONE);
        assertTrue(without.steps().stream().anyMatch(s -> s.verdict() == Parity.Verdict.MAY_BE_ADMISSIBLE && s.exactTies() > 0), without.steps().toString());
        assertEquals(1, without.exitCode(), "not proven without their trace");

        // Their trace as their run records it: their decisions, and scores computed in the state those decisions led to.
        Path recorded = write(theirs.trace(), "theirs-recorded.safetensors");
        Parity.Report with = Parity.run(REFERENCE, MODE, WEIGHTS, SCRIPT, theirs.logits(), recorded, Tolerances.LOGITS_PARITY_CALC_DIFF, Progress.NONE);
        assertTrue(with.steps().stream().anyMatch(s -> s.verdict() == Parity.Verdict.ADMISSIBLE), with.steps().toString());
        assertEquals(0, with.exitCode(), with.steps().toString());
    }

    @Test
    void aMutantsDecisionsAreAViolationAtTheirLayer() throws IOException {
        Run mutant = run(MutantCatalogue.byId("indexer-picks-worst").backend().get(), null);
        Parity.Report r = Parity.run(REFERENCE, MODE, WEIGHTS, SCRIPT, mutant.logits(), write(mutant.trace(), "mutant.safetensors"),
                Tolerances.LOGITS_PARITY_CALC_DIFF, Progress.NONE);
        assertEquals(1, r.exitCode());
        Parity.Step first = r.steps().getFirst();
        assertEquals(Parity.Verdict.VIOLATION, first.verdict(), r.steps().toString());
        assertTrue(first.detail().matches("seq0\\.step0\\.layer\\d+\\.indexer query \\d+: .*"), first.detail());
    }

    @Test
    void anArithmeticDifferenceNamesTheFirstBlockThatDeparts() throws IOException {
        // Layer 0 is dense, so a mutant of the routed experts' scaling changes nothing before block 1's output.
        Run mutant = run(MutantCatalogue.byId("routed-scale-missing").backend().get(), null, true);
        Parity.Report r = Parity.run(REFERENCE, MODE, WEIGHTS, SCRIPT, mutant.logits(), write(mutant.trace(), "mutant-hidden.safetensors"),
                Tolerances.LOGITS_PARITY_CALC_DIFF, Progress.NONE);
        assertEquals(1, r.exitCode());
        for (Parity.Step s : r.steps()) {
            assertEquals(Parity.Verdict.UNEXPLAINED, s.verdict(), s.toString());
            assertTrue(s.detail().contains("first departs at block 1's output"), s.detail());
        }

        // Without hidden states in their trace, nothing can be pointed at.
        Run plain = run(MutantCatalogue.byId("routed-scale-missing").backend().get(), null, false);
        Parity.Report r2 = Parity.run(REFERENCE, MODE, WEIGHTS, SCRIPT, plain.logits(), write(plain.trace(), "mutant-plain.safetensors"),
                Tolerances.LOGITS_PARITY_CALC_DIFF, Progress.NONE);
        assertTrue(r2.steps().stream().noneMatch(s -> s.detail().contains("first departs")), r2.steps().toString());
    }

    @Test
    void ourOwnDecisionsAreJudgedUnderTheirScoresEvenThoughReplayOverridesThem() throws IOException {
        // Their side is the reference; ours picks the worst keys from correct scores. Replaying their trace forces
        // their (right) choice on us, so only judging OUR choices under THEIR scores can see the bug.
        Run theirs = run(REFERENCE, null);
        Backend mutant = MutantCatalogue.byId("indexer-picks-worst").backend().get();
        Parity.Report r = Parity.run(mutant, MODE, WEIGHTS, SCRIPT, theirs.logits(), write(theirs.trace(), "right.safetensors"),
                Tolerances.LOGITS_PARITY_CALC_DIFF, Progress.NONE);
        assertEquals(1, r.exitCode());
        assertTrue(r.oursUnderTheirs().violation() > 0, r.oursUnderTheirs().describe());
        assertEquals(0, r.indexerReplay().violation(), "their decisions are right: " + r.indexerReplay().describe());
        assertTrue(r.violations().stream().anyMatch(v -> v.matches("seq0\\.step0\\.layer\\d+\\.indexer query \\d+ \\(ours under their scores\\): .*")),
                r.violations().toString());
        assertEquals(Parity.Verdict.VIOLATION, r.steps().getFirst().verdict());
    }

    /** The first query whose k-th selected key ties exactly with a key left out: that key selected in its place. */
    static TensorData swapTie(TensorData selected, Map<String, TensorData> trace, boolean[] done) {
        String scoresName = selected.name().replace("indexer.selected", "indexer.scores");
        double[] sel = selected.toDoubles(), scores = trace.get(scoresName).toDoubles();
        int rows = (int) selected.shape()[0], k = (int) selected.shape()[1], keys = (int) trace.get(scoresName).shape()[1];
        int[] out = new int[sel.length];
        for (int i = 0; i < sel.length; i++) out[i] = (int) sel[i];
        for (int q = 0; q < rows && !done[0]; q++) {
            if (out[q * k + k - 1] < 0) continue; // fewer visible keys than k: nothing left out
            int last = out[q * k + k - 1];
            double kth = scores[q * keys + last];
            for (int s = 0; s < keys && !done[0]; s++) {
                boolean chosen = false;
                for (int j = 0; j < k; j++) chosen |= out[q * k + j] == s;
                if (!chosen && scores[q * keys + s] == kth) {
                    out[q * k + k - 1] = s;
                    done[0] = true;
                }
            }
        }
        return TensorData.ofInts(selected.name(), out, selected.shape());
    }
}
