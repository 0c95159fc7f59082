package org.dsv32.spec.config;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * Writes a Hugging Face style {@code config.json} for a {@link ModelConfig}: the keys Hugging Face uses, sorted
 * (as {@code save_pretrained} sorts them), two-space indentation, one array element per line, newline at the
 * end. Deterministic: the same config gives the same bytes.
 *
 * <p>Besides the model's own fields it writes {@code architectures} ["DeepseekV32ForCausalLM"], {@code model_type}
 * "deepseek_v32", {@code torch_dtype} "bfloat16", {@code tie_word_embeddings} false, {@code hidden_act} "silu",
 * {@code num_key_value_heads} (= heads), {@code moe_layer_freq} 1, {@code attention_bias} false and the published
 * bos/eos ids. A config without an indexer ({@code index_n_heads} 0) is written as DeepSeek-V3
 * ({@code deepseek_v3}, no {@code index_*} keys). {@code rope_scaling} is omitted when there is none;
 * {@code quantization_config} ({@code activation_scheme}, {@code fmt}, {@code quant_method} "fp8",
 * {@code scale_fmt}, {@code weight_block_size}) is written when present, with {@code scale_fmt} only for ue8m0
 * (the original V3 checkpoints, with plain fp32 scales, have none). Integral numbers are written without a
 * fraction, as in the published file, except mscale and mscale_all_dim (1.0 there).
 */
public final class ModelConfigWriter {
    private ModelConfigWriter() {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** The config.json text. */
    public static String toJson(ModelConfig c) {
        try {
            DefaultPrettyPrinter pp = new DefaultPrettyPrinter(
                    Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER));
            pp.indentArraysWith(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"));
            pp.indentObjectsWith(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"));
            return JSON.writer(pp).writeValueAsString(tree(c)) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes config.json to {@code file} (creating its directory) through {@link org.dsv32.spec.io.OutputFiles}. */
    public static void write(ModelConfig c, Path file) throws IOException {
        org.dsv32.spec.io.OutputFiles.writeString(file, toJson(c));
    }

    /** The config as a JSON tree with sorted keys. */
    public static ObjectNode tree(ModelConfig c) {
        boolean v32 = c.indexNHeads() > 0;
        Map<String, JsonNode> m = new TreeMap<>();
        m.put("architectures", F.arrayNode().add(v32 ? "DeepseekV32ForCausalLM" : "DeepseekV3ForCausalLM"));
        m.put("model_type", F.textNode(v32 ? "deepseek_v32" : "deepseek_v3"));
        m.put("torch_dtype", F.textNode("bfloat16"));
        m.put("tie_word_embeddings", F.booleanNode(false));
        m.put("hidden_act", F.textNode("silu"));
        m.put("attention_bias", F.booleanNode(false));
        m.put("bos_token_id", F.numberNode(0));
        m.put("eos_token_id", F.numberNode(1));
        m.put("moe_layer_freq", F.numberNode(1));
        m.put("num_key_value_heads", F.numberNode(c.numAttentionHeads()));
        m.put("vocab_size", F.numberNode(c.vocabSize()));
        m.put("hidden_size", F.numberNode(c.hiddenSize()));
        m.put("intermediate_size", F.numberNode(c.intermediateSize()));
        m.put("moe_intermediate_size", F.numberNode(c.moeIntermediateSize()));
        m.put("num_hidden_layers", F.numberNode(c.numHiddenLayers()));
        m.put("num_nextn_predict_layers", F.numberNode(c.numNextnPredictLayers()));
        m.put("first_k_dense_replace", F.numberNode(c.firstKDenseReplace()));
        m.put("num_attention_heads", F.numberNode(c.numAttentionHeads()));
        m.put("q_lora_rank", F.numberNode(c.qLoraRank()));
        m.put("kv_lora_rank", F.numberNode(c.kvLoraRank()));
        m.put("qk_nope_head_dim", F.numberNode(c.qkNopeHeadDim()));
        m.put("qk_rope_head_dim", F.numberNode(c.qkRopeHeadDim()));
        m.put("v_head_dim", F.numberNode(c.vHeadDim()));
        m.put("n_routed_experts", F.numberNode(c.nRoutedExperts()));
        m.put("num_experts_per_tok", F.numberNode(c.numExpertsPerTok()));
        m.put("n_group", F.numberNode(c.nGroup()));
        m.put("topk_group", F.numberNode(c.topkGroup()));
        m.put("n_shared_experts", F.numberNode(c.nSharedExperts()));
        m.put("scoring_func", F.textNode(c.scoringFunc()));
        m.put("topk_method", F.textNode(c.topkMethod()));
        m.put("norm_topk_prob", F.booleanNode(c.normTopkProb()));
        m.put("routed_scaling_factor", number(c.routedScalingFactor()));
        if (v32) {
            m.put("index_n_heads", F.numberNode(c.indexNHeads()));
            m.put("index_head_dim", F.numberNode(c.indexHeadDim()));
            m.put("index_topk", F.numberNode(c.indexTopk()));
        }
        m.put("rope_theta", number(c.ropeTheta()));
        RopeScaling rs = c.ropeScaling();
        if (rs != null && !"none".equals(rs.type())) {
            Map<String, JsonNode> r = new TreeMap<>();
            r.put("type", F.textNode(rs.type()));
            r.put("factor", number(rs.factor()));
            r.put("original_max_position_embeddings", F.numberNode(rs.originalMaxPositionEmbeddings()));
            r.put("beta_fast", number(rs.betaFast()));
            r.put("beta_slow", number(rs.betaSlow()));
            r.put("mscale", F.numberNode(rs.mscale())); // written 1.0 in the published file
            r.put("mscale_all_dim", F.numberNode(rs.mscaleAllDim()));
            m.put("rope_scaling", object(r));
        }
        m.put("rms_norm_eps", F.numberNode(c.rmsNormEps()));
        m.put("max_position_embeddings", F.numberNode(c.maxPositionEmbeddings()));
        QuantizationConfig q = c.quantization();
        if (q != null) {
            Map<String, JsonNode> r = new TreeMap<>();
            r.put("activation_scheme", F.textNode(q.activationScheme()));
            r.put("fmt", F.textNode(q.fmt()));
            r.put("quant_method", F.textNode("fp8"));
            if (q.scaleFormat() == ScaleFormat.UE8M0) r.put("scale_fmt", F.textNode("ue8m0"));
            r.put("weight_block_size", F.arrayNode().add(q.blockRows()).add(q.blockCols()));
            m.put("quantization_config", object(r));
        }
        return object(m);
    }

    private static ObjectNode object(Map<String, JsonNode> sorted) {
        ObjectNode o = F.objectNode();
        sorted.forEach(o::set);
        return o;
    }

    /** An integral value as an integer (10000, 40, 32), anything else as a double (2.5, 1e-06). */
    private static JsonNode number(double x) {
        if (x == Math.rint(x) && Math.abs(x) < 0x1p53) return F.numberNode((long) x);
        return F.numberNode(x);
    }
}
