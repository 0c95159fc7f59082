package org.dsv32.conformance.logits;

import java.nio.file.Path;
import java.util.Locale;
import org.dsv32.spec.config.ConfigException;
import org.dsv32.spec.config.ConfigLimits;
import org.dsv32.spec.config.ModelConfig;

/**
 * The heap a {@link LogitsRunner} run needs, estimated from the configuration and the script before anything is
 * allocated, so that a configuration or script too large for the machine is refused by name instead of ending in
 * an OutOfMemoryError after minutes of work.
 *
 * <p>The weights are memory-mapped, not on the heap. What grows with the input, per sequence (each runs in its
 * own session, one after another), with P prompt tokens and S = P + decode tokens:
 * <ul>
 *   <li>the caches of every layer, MTP included: S x (kv_lora_rank + qk_rope_head_dim + index_head_dim) float64
 *       values plus the fp8 indexer codes and the per-token array headers (about 100 bytes);</li>
 *   <li>the prefill's logits, one row of vocab_size float64 values (the LM head runs on the last token only,
 *       {@code ModelSession.forwardLast}), and its indexer scores, P x P float64 values;</li>
 *   <li>the prefill's per-token activations: hidden states, queries (heads x (qk_head_dim + v_head_dim)), the
 *       indexer queries — counted as 16 x hidden_size + 2 x heads x (qk_head_dim + v_head_dim) + 2 x index heads x
 *       index_head_dim float64 values per token;</li>
 * </ul>
 * plus, kept for all sequences until written, the float32 logits of every step. The largest sequence's session
 * and all outputs are summed. It is an estimate of the big allocations, not an exact account: a refusal means the
 * run could not have fit; an acceptance near the limit may still run out (and is then reported as out of memory).
 */
public final class LogitsMemory {
    private LogitsMemory() {}

    /** What dominates an estimate: the key (config.json or script) and its value, a description and the bytes. */
    public record Estimate(long bytes, String source, String key, long value, String what) {}

    /** The estimate of running {@code script} on a model of {@code config} (read from {@code configFile}). */
    public static Estimate estimate(ModelConfig config, Path configFile, LogitsScript script, Path scriptFile) {
        long layers = config.numHiddenLayers() + config.numNextnPredictLayers();
        double perCachedToken = layers * (8.0 * (config.kvCacheWidth() + config.indexHeadDim()) + config.indexHeadDim() + 100);
        double perPromptToken = 8.0 * (16.0 * config.hiddenSize()
                + 2.0 * config.numAttentionHeads() * (config.qkHeadDim() + config.vHeadDim())
                + 2.0 * config.indexNHeads() * config.indexHeadDim());
        double outputs = 0, worstSession = 0, worstLogits = 0, worstScores = 0, worstCaches = 0;
        int worstSequence = 0;
        for (int b = 0; b < script.sequences().size(); b++) {
            LogitsScript.Sequence s = script.sequences().get(b);
            double p = s.prompt().length, tokens = p + s.decode().length;
            outputs += (1 + s.decode().length) * (4.0 * config.vocabSize() + 100);
            double logits = 8.0 * config.vocabSize(), scores = p * p * 8, caches = tokens * perCachedToken;
            double session = logits + scores + caches + p * perPromptToken;
            if (session > worstSession) {
                worstSession = session;
                worstSequence = b;
                worstLogits = logits;
                worstScores = scores;
                worstCaches = caches;
            }
        }
        double total = worstSession + outputs;
        long bytes = total >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) total;
        String prompt = "sequences[" + worstSequence + "].prompt";
        int promptLength = script.sequences().get(worstSequence).prompt().length;
        String file = configFile.toString();
        String run = String.format(Locale.ROOT, "this logits run (%d layers, %d sequences)", layers, script.sequences().size());
        if (worstScores >= Math.max(worstLogits, Math.max(worstCaches, outputs))) {
            return new Estimate(bytes, scriptFile.toString(), prompt, promptLength, run + ", mostly its prompt's indexer scores,");
        }
        if (worstCaches >= Math.max(worstLogits, outputs)) {
            return new Estimate(bytes, file, "num_hidden_layers", config.numHiddenLayers(), run + ", mostly caches for " + prompt + " and its decode tokens,");
        }
        return new Estimate(bytes, file, "vocab_size", config.vocabSize(), run + ", mostly logits of " + promptLength + "-token " + prompt + " and every step,");
    }

    /** Refuses the run when {@link #estimate} exceeds the heap ({@link ConfigLimits#requireHeap}). */
    public static void requireHeap(ModelConfig config, Path configFile, LogitsScript script, Path scriptFile) throws ConfigException {
        Estimate e = estimate(config, configFile, script, scriptFile);
        ConfigLimits.requireHeap(e.source(), e.key(), e.value(), e.what(), e.bytes());
    }
}
