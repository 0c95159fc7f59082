package org.dsv32.conformance.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.logits.LogitsRunner;
import org.dsv32.conformance.mutants.MutantCatalogue;
import org.dsv32.optimized.SimdBackend;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.io.SafetensorsWriter;
import org.dsv32.spec.io.TensorData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replaying a trace: one's own decisions replay as AGREE with the same bits, another backend's are admissible, a
 * mutant's lost decisions are violations, and keys a query cannot see (DeepSeek's prefill selections) are dropped.
 */
class DecisionReplayTest {
    static final PrecisionMode MODE = PrecisionMode.FP8;
    @TempDir Path tmp;

    private Path traceOf(Backend b, UnaryOperator<TensorData> edit) throws IOException {
        DecisionTrace trace = new DecisionTrace(false);
        LogitsRunner.run(b, MODE, DecisionTraceTest.WEIGHTS, DecisionTraceTest.SCRIPT, Progress.NONE, trace);
        List<TensorData> tensors = new ArrayList<>();
        for (TensorData t : trace.tensors()) tensors.add(edit.apply(t));
        Path f = tmp.resolve(b.name() + "-" + System.nanoTime() + ".safetensors");
        SafetensorsWriter.write(f, tensors, Map.of("format", "dsv32-trace-v1"));
        return f;
    }

    private static DecisionReplay replay(Path trace, Backend on, Map<String, TensorData>[] logits) throws IOException {
        DecisionReplay r = DecisionReplay.open(trace, DecisionTraceTest.CONFIG, MODE);
        try (r) {
            Map<String, TensorData> out = LogitsRunner.run(on, MODE, DecisionTraceTest.WEIGHTS, DecisionTraceTest.SCRIPT, Progress.NONE, r);
            if (logits != null) logits[0] = out;
        }
        return r;
    }

    @Test
    @SuppressWarnings("unchecked")
    void ownDecisionsReplayAsAgreeWithTheSameBits() throws IOException {
        for (Backend b : List.of(new ReferenceBackend(), new SimdBackend())) {
            Map<String, TensorData> plain = LogitsRunner.run(b, MODE, DecisionTraceTest.WEIGHTS, DecisionTraceTest.SCRIPT, Progress.NONE);
            Map<String, TensorData>[] replayed = new Map[1];
            DecisionReplay r = replay(traceOf(b, t -> t), b, replayed);
            assertTrue(r.admissible(), r.violations().toString());
            assertEquals(r.indexerTally().total(), r.indexerTally().agree(), b.name() + " indexer " + r.indexerTally().describe());
            assertEquals(r.routingTally().total(), r.routingTally().agree(), b.name() + " routing " + r.routingTally().describe());
            assertTrue(r.indexerTally().total() > 0 && r.routingTally().total() > 0);
            for (String k : plain.keySet()) assertArrayEquals(plain.get(k).toDoubles(), replayed[0].get(k).toDoubles(), 0, k);
        }
    }

    @Test
    void theReferencesDecisionsAreAdmissibleOnSimd() throws IOException {
        DecisionReplay r = replay(traceOf(new ReferenceBackend(), t -> t), new SimdBackend(), null);
        assertTrue(r.admissible(), r.violations().toString());
    }

    @Test
    void aMutantsWorstKeysAreViolationsNamedByLayerAndQuery() throws IOException {
        Backend mutant = MutantCatalogue.byId("indexer-picks-worst").backend().get();
        DecisionReplay r = replay(traceOf(mutant, t -> t), new ReferenceBackend(), null);
        assertFalse(r.admissible());
        assertTrue(r.indexerTally().violation() > 0, r.indexerTally().describe());
        assertTrue(r.violations().getFirst().matches("seq\\d+\\.step\\d+\\.layer\\d+\\.indexer query \\d+: .*"), r.violations().getFirst());
    }

    @Test
    void anExpertThatLosesClearlyIsAViolation() throws IOException {
        // token 0 of the first MoE layer of the prompt: its last expert replaced by one outside every kept group
        String name = "seq0.step0.layer" + DecisionTraceTest.CONFIG.firstKDenseReplace() + ".moe.experts";
        DecisionReplay r = replay(traceOf(new ReferenceBackend(), t -> {
            if (!t.name().equals(name)) return t;
            int[] v = ints(t);
            int k = (int) t.shape()[1], e = DecisionTraceTest.CONFIG.nRoutedExperts(), per = e / DecisionTraceTest.CONFIG.nGroup();
            int group = v[0] / per, far = ((group + 1) * per + per / 2) % e; // an expert of another group than the best one
            for (int j = 0; j < k; j++) if (v[j] == far) far = (far + 1) % e;
            v[k - 1] = far;
            return TensorData.ofInts(t.name(), v, t.shape());
        }), new ReferenceBackend(), null);
        assertTrue(r.routingTally().violation() > 0, r.routingTally().describe() + " " + r.violations());
        assertFalse(r.admissible());
    }

    @Test
    void keysAQueryCannotSeeAreDroppedNotJudged() throws IOException {
        // fill the -1 padding of early prompt queries with future keys, as DeepSeek's prefill top-k does
        DecisionReplay r = replay(traceOf(new ReferenceBackend(), t -> {
            if (!t.name().startsWith("seq0.step0.") || !t.name().endsWith("indexer.selected")) return t;
            int[] v = ints(t);
            int k = (int) t.shape()[1];
            for (int q = 0; q < t.shape()[0]; q++) for (int j = q + 1; j < k; j++) v[q * k + j] = j;
            return TensorData.ofInts(t.name(), v, t.shape());
        }), new ReferenceBackend(), null);
        assertTrue(r.admissible(), r.violations().toString());
        assertTrue(r.invisibleKeysDropped() > 0);
        assertEquals(r.indexerTally().total(), r.indexerTally().agree());
    }

    private static int[] ints(TensorData t) {
        double[] d = t.toDoubles();
        int[] v = new int[d.length];
        for (int i = 0; i < d.length; i++) v[i] = (int) d[i];
        return v;
    }
}
