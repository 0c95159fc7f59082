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

    static Run run(Backend b, DecisionReplay forced) {
        DecisionTrace trace = new DecisionTrace(false);
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

        Parity.Report with = Parity.run(REFERENCE, MODE, WEIGHTS, SCRIPT, theirs.logits(), theirTrace, Tolerances.LOGITS_PARITY_CALC_DIFF, Progress.NONE);
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
