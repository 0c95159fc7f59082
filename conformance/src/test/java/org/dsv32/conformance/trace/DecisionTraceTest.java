package org.dsv32.conformance.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.conformance.logits.LogitsRunner;
import org.dsv32.conformance.logits.LogitsScript;
import org.dsv32.optimized.SimdBackend;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.io.TensorData;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.ModelWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Decision traces of a logits run: tracing changes no logit bit, every (sequence, step, layer) has its decisions, and
 * each recorded decision is what the rules say it must be against the recorded scores.
 */
class DecisionTraceTest {
    static final ModelConfig CONFIG = ConformanceConfigs.small();
    static final ModelWeights WEIGHTS = RandomWeights.model(new SplittableRandom(5), CONFIG, CONFIG.activationScaleFormat());
    /** A prompt longer than index_topk, then decode steps; and a one-token sequence. */
    static final LogitsScript SCRIPT = new LogitsScript(List.of(
            new LogitsScript.Sequence(new int[] {5, 9, 2, 7, 7, 1, 3, 8, 4, 6, 0, 11}, new int[] {12, 13, 14}),
            new LogitsScript.Sequence(new int[] {42}, new int[] {43})));

    static Stream<Backend> backends() { return Stream.of(new ReferenceBackend(), new SimdBackend()); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void tracingChangesNoLogitAndRecordsEveryDecision(Backend backend) {
        for (PrecisionMode mode : PrecisionMode.values()) {
            Map<String, TensorData> plain = LogitsRunner.run(backend, mode, WEIGHTS, SCRIPT, Progress.NONE);
            DecisionTrace trace = new DecisionTrace(true);
            Map<String, TensorData> traced = LogitsRunner.run(backend, mode, WEIGHTS, SCRIPT, Progress.NONE, trace);
            assertEquals(plain.keySet(), traced.keySet());
            for (String k : plain.keySet()) assertArrayEquals(plain.get(k).toDoubles(), traced.get(k).toDoubles(), 0, k);

            Map<String, TensorData> t = new LinkedHashMap<>();
            for (TensorData d : trace.tensors()) t.put(d.name(), d);
            Set<String> expected = new HashSet<>();
            for (int b = 0; b < SCRIPT.sequences().size(); b++) {
                LogitsScript.Sequence s = SCRIPT.sequences().get(b);
                int start = 0;
                for (int step = 0; step <= s.decode().length; step++) {
                    int tokens = step == 0 ? s.prompt().length : 1;
                    String p = "seq" + b + ".step" + step;
                    expected.add(p + ".final_hidden");
                    for (int layer = 0; layer < CONFIG.numHiddenLayers(); layer++) {
                        String l = p + ".layer" + layer + ".";
                        for (String n : List.of("indexer.selected", "indexer.scores", "hidden")) expected.add(l + n);
                        checkSelections(t.get(l + "indexer.selected"), t.get(l + "indexer.scores"), start, tokens, l);
                        if (layer >= CONFIG.firstKDenseReplace()) {
                            for (String n : List.of("moe.input", "moe.selection_scores", "moe.group_scores", "moe.groups", "moe.experts", "moe.weights")) {
                                expected.add(l + n);
                            }
                            checkRouting(t.get(l + "moe.experts"), t.get(l + "moe.weights"), t.get(l + "moe.selection_scores"), tokens, l);
                        }
                    }
                    start += tokens;
                }
            }
            assertEquals(expected, t.keySet(), backend.name() + " " + mode.label());
        }
    }

    /** Each query sees keys 0..pos and selects the best min(topk, pos + 1) of them, best first, ties to the lower index. */
    static void checkSelections(TensorData selected, TensorData scores, int start, int tokens, String where) {
        int topk = CONFIG.indexTopk(), keys = start + tokens;
        assertArrayEquals(new long[] {tokens, topk}, selected.shape(), where);
        assertArrayEquals(new long[] {tokens, keys}, scores.shape(), where);
        double[] sel = selected.toDoubles(), sc = scores.toDoubles();
        for (int q = 0; q < tokens; q++) {
            int pos = start + q, n = Math.min(topk, pos + 1);
            for (int j = 0; j < topk; j++) {
                int key = (int) sel[q * topk + j];
                if (j >= n) { assertEquals(-1, key, where + " padding"); continue; }
                assertTrue(key >= 0 && key <= pos, where + " query " + pos + " selects invisible key " + key);
                if (j > 0) {
                    int prev = (int) sel[q * topk + j - 1];
                    double a = sc[q * keys + prev], c = sc[q * keys + key];
                    assertTrue(a > c || (a == c && prev < key), where + " query " + pos + ": not best first at rank " + j);
                }
            }
            // nothing left out scores better than the last selected key
            double last = sc[q * keys + (int) sel[q * topk + n - 1]];
            Set<Integer> chosen = new HashSet<>();
            for (int j = 0; j < n; j++) chosen.add((int) sel[q * topk + j]);
            for (int s = 0; s <= pos; s++) if (!chosen.contains(s)) assertTrue(sc[q * keys + s] <= last, where + " key " + s + " left out");
        }
    }

    /** K distinct experts per token, each not worse than any expert left out; the weights sum to the routed scale. */
    static void checkRouting(TensorData experts, TensorData weights, TensorData selectionScores, int tokens, String where) {
        int k = CONFIG.numExpertsPerTok(), e = CONFIG.nRoutedExperts();
        assertArrayEquals(new long[] {tokens, k}, experts.shape(), where);
        double[] ex = experts.toDoubles(), w = weights.toDoubles(), b = selectionScores.toDoubles();
        for (int t = 0; t < tokens; t++) {
            Set<Integer> chosen = new HashSet<>();
            double sum = 0, worst = Double.POSITIVE_INFINITY;
            for (int j = 0; j < k; j++) {
                int x = (int) ex[t * k + j];
                assertTrue(chosen.add(x), where + " token " + t + " picks expert " + x + " twice");
                sum += w[t * k + j];
                worst = Math.min(worst, b[t * e + x]);
            }
            for (int x = 0; x < e; x++) if (!chosen.contains(x)) assertTrue(b[t * e + x] <= worst, where + " expert " + x + " left out");
            assertEquals(CONFIG.routedScalingFactor(), sum, Tolerances.gamma(k + 3, Tolerances.U_FP32) * CONFIG.routedScalingFactor(), where + " weights of token " + t);
        }
    }

    @Test
    void aDecisionBeforeAStepOrTwiceInOneStepIsRefused() {
        DecisionTrace trace = new DecisionTrace(false);
        IndexerResult r = new IndexerResult(TensorF64.zeros(1, 1), new int[][] {{0}});
        assertThrows(IllegalStateException.class, () -> trace.indexer(0, r, 0, 1));
        trace.at(0, 0);
        trace.indexer(0, r, 0, 1);
        assertThrows(IllegalStateException.class, () -> trace.indexer(0, r, 0, 1));
        trace.blockOutput(0, TensorF64.zeros(1, 4)); // hidden states not requested: nothing recorded
        assertEquals(2, trace.tensors().size());
    }

    @Test
    void theLayerComesFromTheHuggingFaceName() {
        assertEquals(61, TracingBackend.layerOf("model.layers.61.mlp.gate.weight"));
        assertEquals(3, TracingBackend.layerOf("model.layers.3.self_attn.indexer.wk.weight"));
        assertThrows(IllegalStateException.class, () -> TracingBackend.layerOf("lm_head.weight"));
    }
}
