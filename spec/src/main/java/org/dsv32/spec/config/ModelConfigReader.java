package org.dsv32.spec.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * Reads a Hugging Face {@code config.json} into a {@link ModelConfig}, checking types and consistency.
 *
 * <p>Every key of spec/SEMANTICS.md §0 is required, with these exceptions, each a default Hugging Face
 * documents:
 * <ul>
 *   <li>{@code num_nextn_predict_layers} absent: 0 (transformers' DeepseekV3Config has no such key and loads no MTP
 *       layer);</li>
 *   <li>{@code rope_scaling} absent or null: {@link RopeScaling#none()}. Inside it, {@code beta_fast} 32,
 *       {@code beta_slow} 1, {@code mscale} 1, {@code mscale_all_dim} 0 (the YaRN defaults of the DeepSeek modelling
 *       code on the Hub); the type may be spelled {@code type} or {@code rope_type};</li>
 *   <li>{@code quantization_config} absent or null: null (unquantised weights). Inside it (transformers'
 *       FineGrainedFP8Config): {@code weight_block_size} [128, 128], {@code activation_scheme} "dynamic";
 *       {@code fmt} "e4m3" (the fine-grained FP8 format); {@code scale_fmt} absent: plain fp32 scales.</li>
 * </ul>
 * transformers' config class also defaults every dimension to the 671B value; that default is deliberately not
 * taken: a small test model missing {@code hidden_size} must fail, not silently become 7168 wide.
 * Keys this project does not use ({@code architectures}, {@code model_type}, {@code torch_dtype}, token ids …) are
 * ignored.
 *
 * <p>Every size key is bounded by {@link ConfigLimits} (16 times its 671B value), checked as the key is read,
 * before any other rule about it, so a hostile value is refused by name and limit and never sized.
 *
 * <p>Errors are {@link ConfigException}s naming the file and the key.
 */
public final class ModelConfigReader {
    private ModelConfigReader() {}

    private static final ObjectMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    /** Reads and validates {@code configJson}. */
    public static ModelConfig read(Path configJson) throws ConfigException {
        String text;
        try {
            text = Files.readString(configJson);
        } catch (NoSuchFileException e) {
            throw new ConfigException(configJson.toString(), null, "no such file", e);
        } catch (IOException e) {
            throw new ConfigException(configJson.toString(), null, "cannot read: " + e, e);
        }
        return parse(text, configJson.toString());
    }

    /** Parses and validates config JSON text; {@code sourceName} names it in errors. */
    public static ModelConfig parse(String json, String sourceName) throws ConfigException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JacksonException e) {
            throw new ConfigException(sourceName, null, "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) throw new ConfigException(sourceName, null, "not a JSON object");
        Obj c = new Obj(sourceName, "", root);

        int hidden = c.positiveInt("hidden_size");
        int layers = c.positiveInt("num_hidden_layers");
        int nextn = c.has("num_nextn_predict_layers") ? c.nonNegativeInt("num_nextn_predict_layers") : 0;
        int firstDense = c.nonNegativeInt("first_k_dense_replace");
        if (firstDense > layers) c.fail("first_k_dense_replace", firstDense + " exceeds num_hidden_layers " + layers);
        int inter = c.positiveInt("intermediate_size");
        int moeInter = c.positiveInt("moe_intermediate_size");
        int heads = c.positiveInt("num_attention_heads");
        int qLora = c.positiveInt("q_lora_rank");
        int kvLora = c.positiveInt("kv_lora_rank");
        int nope = c.positiveInt("qk_nope_head_dim");
        int rope = c.positiveInt("qk_rope_head_dim");
        if (rope % 2 != 0) c.fail("qk_rope_head_dim", rope + " is odd; RoPE rotates pairs of dimensions");
        int vDim = c.positiveInt("v_head_dim");

        int experts = c.positiveInt("n_routed_experts");
        int perTok = c.positiveInt("num_experts_per_tok");
        int groups = c.positiveInt("n_group");
        int keptGroups = c.positiveInt("topk_group");
        int shared = c.nonNegativeInt("n_shared_experts");
        if (experts % groups != 0) c.fail("n_routed_experts", experts + " is not divisible by n_group " + groups);
        if (keptGroups > groups) c.fail("topk_group", keptGroups + " exceeds n_group " + groups);
        int keptExperts = keptGroups * (experts / groups);
        if (perTok > keptExperts) {
            c.fail("num_experts_per_tok", perTok + " exceeds the " + keptExperts + " experts of the topk_group "
                    + keptGroups + " kept groups");
        }
        String scoring = c.string("scoring_func");
        if (!scoring.equals("sigmoid")) c.fail("scoring_func", "'" + scoring + "' is not supported (DeepSeek-V3.2 uses sigmoid)");
        String topkMethod = c.string("topk_method");
        if (!topkMethod.equals("noaux_tc")) c.fail("topk_method", "'" + topkMethod + "' is not supported (DeepSeek-V3.2 uses noaux_tc)");
        boolean normTopk = c.bool("norm_topk_prob");
        double routedScale = c.positiveDouble("routed_scaling_factor");

        int indexHeads = c.positiveInt("index_n_heads");
        int indexDim = c.positiveInt("index_head_dim");
        if (Integer.bitCount(indexDim) != 1) c.fail("index_head_dim", indexDim + " is not a power of two (the Hadamard transform needs one)");
        if (indexDim < rope) c.fail("index_head_dim", indexDim + " is smaller than qk_rope_head_dim " + rope);
        int indexTopk = c.positiveInt("index_topk");

        double theta = c.positiveDouble("rope_theta");
        if (theta <= 1) c.fail("rope_theta", theta + " must exceed 1");
        RopeScaling scaling = c.isAbsentOrNull("rope_scaling") ? RopeScaling.none() : ropeScaling(c.object("rope_scaling"));
        double eps = c.positiveDouble("rms_norm_eps");
        int vocab = c.positiveInt("vocab_size");
        int maxPos = c.positiveInt("max_position_embeddings");
        QuantizationConfig quant = c.isAbsentOrNull("quantization_config") ? null : quantization(c.object("quantization_config"));

        return ModelConfig.builder()
                .vocabSize(vocab).hiddenSize(hidden).intermediateSize(inter).moeIntermediateSize(moeInter)
                .numHiddenLayers(layers).numNextnPredictLayers(nextn).firstKDenseReplace(firstDense)
                .numAttentionHeads(heads).qLoraRank(qLora).kvLoraRank(kvLora)
                .qkNopeHeadDim(nope).qkRopeHeadDim(rope).vHeadDim(vDim)
                .nRoutedExperts(experts).numExpertsPerTok(perTok).nGroup(groups).topkGroup(keptGroups).nSharedExperts(shared)
                .scoringFunc(scoring).topkMethod(topkMethod).normTopkProb(normTopk).routedScalingFactor(routedScale)
                .indexNHeads(indexHeads).indexHeadDim(indexDim).indexTopk(indexTopk)
                .ropeTheta(theta).ropeScaling(scaling).rmsNormEps(eps)
                .maxPositionEmbeddings(maxPos).quantization(quant)
                .build();
    }

    private static RopeScaling ropeScaling(Obj r) throws ConfigException {
        String typeKey = r.has("rope_type") && !r.has("type") ? "rope_type" : "type";
        String type = r.string(typeKey);
        if (!type.equals("yarn")) r.fail(typeKey, "'" + type + "' is not supported (only yarn)");
        double factor = r.positiveDouble("factor");
        if (factor < 1) r.fail("factor", factor + " is below 1");
        int orig = r.positiveInt("original_max_position_embeddings");
        double betaFast = r.has("beta_fast") ? r.positiveDouble("beta_fast") : 32;
        double betaSlow = r.has("beta_slow") ? r.positiveDouble("beta_slow") : 1;
        double mscale = r.has("mscale") ? r.nonNegativeDouble("mscale") : 1;
        double mscaleAllDim = r.has("mscale_all_dim") ? r.nonNegativeDouble("mscale_all_dim") : 0;
        return new RopeScaling(type, factor, orig, betaFast, betaSlow, mscale, mscaleAllDim);
    }

    private static QuantizationConfig quantization(Obj q) throws ConfigException {
        if (!q.has("quant_method") && !q.has("fmt")) q.fail("quant_method", "missing (neither quant_method nor fmt given)");
        if (q.has("quant_method")) {
            String method = q.string("quant_method");
            if (!method.equals("fp8")) q.fail("quant_method", "'" + method + "' is not supported (only fp8)");
        }
        String fmt = q.has("fmt") ? q.string("fmt") : "e4m3";
        if (!fmt.equals("e4m3")) q.fail("fmt", "'" + fmt + "' is not supported (weights are e4m3)");
        int rows = 128, cols = 128;
        if (q.has("weight_block_size")) {
            JsonNode b = q.node("weight_block_size");
            if (!b.isArray() || b.size() != 2) q.fail("weight_block_size", "expected two positive integers, got " + b);
            rows = q.positiveInt(b.get(0), "weight_block_size[0]");
            cols = q.positiveInt(b.get(1), "weight_block_size[1]");
        }
        ScaleFormat scale = ScaleFormat.PLAIN;
        if (q.has("scale_fmt") && !q.node("scale_fmt").isNull()) {
            String s = q.string("scale_fmt");
            try {
                scale = ScaleFormat.parse(s);
            } catch (IllegalArgumentException e) {
                q.fail("scale_fmt", e.getMessage());
            }
        }
        String scheme = q.has("activation_scheme") ? q.string("activation_scheme") : "dynamic";
        if (!scheme.equals("dynamic")) q.fail("activation_scheme", "'" + scheme + "' is not supported (only dynamic)");
        return new QuantizationConfig(fmt, rows, cols, scale, scheme);
    }

    /** A JSON object with typed, key-naming accessors; {@code prefix} dots nested keys. */
    private record Obj(String source, String prefix, JsonNode node) {
        boolean has(String key) { return node.has(key); }

        boolean isAbsentOrNull(String key) { return !node.has(key) || node.get(key).isNull(); }

        JsonNode node(String key) throws ConfigException {
            JsonNode v = node.get(key);
            if (v == null) fail(key, "missing");
            return v;
        }

        Obj object(String key) throws ConfigException {
            JsonNode v = node(key);
            if (!v.isObject()) wrongType(key, "an object", v);
            return new Obj(source, prefix + key + ".", v);
        }

        String string(String key) throws ConfigException {
            JsonNode v = node(key);
            if (!v.isTextual()) wrongType(key, "a string", v);
            return v.textValue();
        }

        boolean bool(String key) throws ConfigException {
            JsonNode v = node(key);
            if (!v.isBoolean()) wrongType(key, "true or false", v);
            return v.booleanValue();
        }

        int positiveInt(String key) throws ConfigException { return positiveInt(node(key), key); }

        int positiveInt(JsonNode v, String key) throws ConfigException {
            int x = integer(v, key);
            if (x <= 0) fail(key, x + " must be positive");
            return x;
        }

        int nonNegativeInt(String key) throws ConfigException {
            int x = integer(node(key), key);
            if (x < 0) fail(key, x + " must not be negative");
            return x;
        }

        private int integer(JsonNode v, String key) throws ConfigException {
            if (v == null || !v.isIntegralNumber()) wrongType(key, "an integer", v);
            ConfigLimits.Limit limit = ConfigLimits.limit(prefix + key);
            if (limit != null && v.bigIntegerValue().compareTo(BigInteger.valueOf(limit.max())) > 0) {
                fail(key, v + " exceeds the limit " + limit.describe());
            }
            if (!v.canConvertToInt()) fail(key, v + " does not fit a 32-bit integer");
            return v.intValue();
        }

        double positiveDouble(String key) throws ConfigException {
            double x = number(key);
            if (!(x > 0)) fail(key, x + " must be positive");
            return x;
        }

        double nonNegativeDouble(String key) throws ConfigException {
            double x = number(key);
            if (x < 0) fail(key, x + " must not be negative");
            return x;
        }

        private double number(String key) throws ConfigException {
            JsonNode v = node(key);
            if (!v.isNumber()) wrongType(key, "a number", v);
            double x = v.doubleValue();
            if (!Double.isFinite(x)) fail(key, v + " is not a finite number");
            return x;
        }

        void wrongType(String key, String expected, JsonNode v) throws ConfigException {
            String kind = v == null ? "nothing" : v.getNodeType().name().toLowerCase(Locale.ROOT) + " " + v;
            fail(key, "expected " + expected + ", got " + kind);
        }

        void fail(String key, String problem) throws ConfigException {
            throw new ConfigException(source, prefix + key, problem);
        }
    }
}
