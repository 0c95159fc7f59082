package org.dsv32.spec.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * The largest configurations this project accepts, in one place: per-key bounds derived from the published 671B
 * configuration, and the heap bound derived from the machine.
 *
 * <p><b>Size keys.</b> Every key that sizes a tensor, a loop or a cache may be at most {@link #MULTIPLE} (16)
 * times its value in the 671B configuration ({@link ModelConfig#deepseekV32()}, which matches
 * {@code config.json} of the published checkpoint): {@code hidden_size} 114,688, {@code num_hidden_layers} 976,
 * {@code n_routed_experts} 4,096, {@code vocab_size} 2,068,480, {@code max_position_embeddings} 2,621,440 and so
 * on ({@link #limits()} lists them all). Sixteen times the largest open model of this architecture leaves room
 * for any plausible successor and for unusual test shapes, while keeping every derived size far from integer
 * overflow (heads x head dimension, rows and columns of every tensor fit an {@code int}) and turning a typing
 * accident or a hostile file ({@code "n_routed_experts": 100000000}) into a one-line refusal instead of minutes
 * of allocation and an OutOfMemoryError. Keys bounded by another key ({@code first_k_dense_replace} by
 * {@code num_hidden_layers}, {@code topk_group} by {@code n_group}) are checked by the reader against that key.
 *
 * <p><b>Memory.</b> A configuration within these limits can still describe more than a machine can hold (all
 * keys at their limit is about 10^19 bytes). Commands that allocate per tensor or per token estimate their heap
 * need first and call {@link #requireHeap}, which refuses anything above {@link #heapLimit()} — the JVM's
 * {@code -Xmx} ({@link Runtime#maxMemory()}) — naming the key that drives the need and the bytes it would take.
 */
public final class ConfigLimits {
    private ConfigLimits() {}

    /** How many times its 671B value a size key may be. */
    public static final int MULTIPLE = 16;

    /** A size key: its name in config.json, its value in the 671B configuration and the largest value accepted. */
    public record Limit(String key, long v32Value, long max) {
        /** "4096 (16 x the 671B value 256)". */
        public String describe() {
            return String.format(Locale.ROOT, "%d (%d x the 671B value %d)", max, MULTIPLE, v32Value);
        }
    }

    private static final String QUANT_KEY = "quantization_config";

    /** Each size key and how to read it from a ModelConfig. */
    private static final Map<String, ToLongFunction<ModelConfig>> KEYS = new LinkedHashMap<>();

    static {
        KEYS.put("vocab_size", ModelConfig::vocabSize);
        KEYS.put("hidden_size", ModelConfig::hiddenSize);
        KEYS.put("intermediate_size", ModelConfig::intermediateSize);
        KEYS.put("moe_intermediate_size", ModelConfig::moeIntermediateSize);
        KEYS.put("num_hidden_layers", ModelConfig::numHiddenLayers);
        KEYS.put("num_nextn_predict_layers", ModelConfig::numNextnPredictLayers);
        KEYS.put("num_attention_heads", ModelConfig::numAttentionHeads);
        KEYS.put("q_lora_rank", ModelConfig::qLoraRank);
        KEYS.put("kv_lora_rank", ModelConfig::kvLoraRank);
        KEYS.put("qk_nope_head_dim", ModelConfig::qkNopeHeadDim);
        KEYS.put("qk_rope_head_dim", ModelConfig::qkRopeHeadDim);
        KEYS.put("v_head_dim", ModelConfig::vHeadDim);
        KEYS.put("n_routed_experts", ModelConfig::nRoutedExperts);
        KEYS.put("num_experts_per_tok", ModelConfig::numExpertsPerTok);
        KEYS.put("n_group", ModelConfig::nGroup);
        KEYS.put("n_shared_experts", ModelConfig::nSharedExperts);
        KEYS.put("index_n_heads", ModelConfig::indexNHeads);
        KEYS.put("index_head_dim", ModelConfig::indexHeadDim);
        KEYS.put("index_topk", ModelConfig::indexTopk);
        KEYS.put("max_position_embeddings", ModelConfig::maxPositionEmbeddings);
        KEYS.put(QUANT_KEY + ".weight_block_size[0]", c -> c.quantization().blockRows());
        KEYS.put(QUANT_KEY + ".weight_block_size[1]", c -> c.quantization().blockCols());
        KEYS.put("rope_scaling.original_max_position_embeddings", c -> c.ropeScaling().originalMaxPositionEmbeddings());
    }

    private static final Map<String, Limit> LIMITS = new LinkedHashMap<>();

    static {
        ModelConfig v32 = ModelConfig.deepseekV32();
        KEYS.forEach((k, f) -> LIMITS.put(k, new Limit(k, f.applyAsLong(v32), MULTIPLE * f.applyAsLong(v32))));
    }

    /** Every size key's limit. */
    public static List<Limit> limits() { return List.copyOf(LIMITS.values()); }

    /** The limit of a size key ({@code rope_scaling.original_max_position_embeddings} for nested ones), or null. */
    public static Limit limit(String key) { return LIMITS.get(key); }

    /**
     * Refuses {@code value} for {@code key} above the key's limit: "{@code <source>: <key>: <value> exceeds the
     * limit <max> (16 x the 671B value <v>)"}. Keys without a limit pass.
     */
    public static void check(String source, String key, long value) throws ConfigException {
        Limit l = LIMITS.get(key);
        if (l != null && value > l.max()) throw new ConfigException(source, key, value + " exceeds the limit " + l.describe());
    }

    /**
     * Checks every size key of a configuration built in code (the reader checks each key as it reads it), so that
     * a preset or a test config meets the same bounds as a config.json.
     */
    public static void check(ModelConfig c, String source) throws ConfigException {
        for (Map.Entry<String, ToLongFunction<ModelConfig>> e : KEYS.entrySet()) {
            if (e.getKey().startsWith(QUANT_KEY) && c.quantization() == null) continue;
            check(source, e.getKey(), e.getValue().applyAsLong(c));
        }
    }

    /** The most heap this JVM may use: {@link Runtime#maxMemory()} (the {@code -Xmx} setting or its default). */
    public static long heapLimit() { return Runtime.getRuntime().maxMemory(); }

    /**
     * Refuses work estimated to need {@code bytes} of heap when that exceeds {@link #heapLimit()}:
     * "{@code <source>: <key>: <value> — <what> needs about <bytes> bytes (<GiB>) of heap, more than the <limit>
     * bytes this JVM may use}". {@code key} and {@code value} name what drives the need.
     */
    public static void requireHeap(String source, String key, long value, String what, long bytes) throws ConfigException {
        long limit = heapLimit();
        if (bytes <= limit) return;
        throw new ConfigException(source, key, String.format(Locale.ROOT,
                "%d: %s needs about %,d bytes (%s) of heap, more than the %,d bytes (%s) this JVM may use (-Xmx; "
                        + "DSV32_JAVA_OPTS=-Xmx<size> raises it where the machine has the memory)",
                value, what, bytes, gib(bytes), limit, gib(limit)));
    }

    private static String gib(long bytes) { return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30)); }
}
