package org.dsv32.spec.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.dsv32.spec.weights.ScaleFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The real DeepSeek-V3.2 config.json, each required key, each documented default and each consistency rule. */
class ModelConfigReaderTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SOURCE = "test/config.json";

    static Path realConfig() throws URISyntaxException {
        return Path.of(ModelConfigReaderTest.class.getResource("/deepseek-v3.2/config.json").toURI());
    }

    private static ObjectNode real() throws Exception { return (ObjectNode) JSON.readTree(Files.readString(realConfig())); }

    private static ModelConfig parse(JsonNode n) throws ConfigException { return ModelConfigReader.parse(n.toString(), SOURCE); }

    /** Parses the real config after {@code edit}, expecting a refusal that names {@code key} and the source. */
    private static ConfigException refused(Consumer<ObjectNode> edit, String key) throws Exception {
        ObjectNode n = real();
        edit.accept(n);
        ConfigException e = assertThrows(ConfigException.class, () -> parse(n));
        assertEquals(key, e.key(), e.getMessage());
        assertTrue(e.getMessage().startsWith(SOURCE + ": " + key + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        return e;
    }

    private static ObjectNode rope(ObjectNode n) { return (ObjectNode) n.get("rope_scaling"); }

    private static ObjectNode quant(ObjectNode n) { return (ObjectNode) n.get("quantization_config"); }

    @Test
    void realConfigIsThePreset() throws Exception {
        assertEquals(ModelConfig.deepseekV32(), ModelConfigReader.read(realConfig()));
    }

    static List<String> requiredKeys() {
        return List.of("hidden_size", "num_hidden_layers", "first_k_dense_replace", "intermediate_size",
                "moe_intermediate_size", "num_attention_heads", "q_lora_rank", "kv_lora_rank", "qk_nope_head_dim",
                "qk_rope_head_dim", "v_head_dim", "n_routed_experts", "num_experts_per_tok", "n_group", "topk_group",
                "n_shared_experts", "scoring_func", "topk_method", "norm_topk_prob", "routed_scaling_factor",
                "index_n_heads", "index_head_dim", "index_topk", "rope_theta", "rms_norm_eps", "vocab_size",
                "max_position_embeddings");
    }

    @ParameterizedTest
    @MethodSource("requiredKeys")
    void missingRequiredKeyIsNamed(String key) throws Exception {
        ConfigException e = refused(n -> n.remove(key), key);
        assertTrue(e.getMessage().endsWith("missing"), e.getMessage());
    }

    @Test
    void missingRequiredNestedKeysAreNamed() throws Exception {
        refused(n -> rope(n).remove("factor"), "rope_scaling.factor");
        refused(n -> rope(n).remove("original_max_position_embeddings"), "rope_scaling.original_max_position_embeddings");
        refused(n -> rope(n).remove("type"), "rope_scaling.type");
        refused(n -> quant(n).remove(List.of("quant_method", "fmt")), "quantization_config.quant_method");
    }

    @Test
    void documentedDefaults() throws Exception {
        ObjectNode n = real();
        n.remove("num_nextn_predict_layers");
        n.remove("rope_scaling");
        n.remove("quantization_config");
        ModelConfig c = parse(n);
        assertEquals(0, c.numNextnPredictLayers());
        assertEquals(RopeScaling.none(), c.ropeScaling());
        assertNull(c.quantization());
        n.putNull("rope_scaling");
        n.putNull("quantization_config");
        assertEquals(c, parse(n), "null means absent");

        ObjectNode m = real();
        rope(m).remove(List.of("beta_fast", "beta_slow", "mscale", "mscale_all_dim"));
        quant(m).remove(List.of("weight_block_size", "activation_scheme", "scale_fmt", "fmt"));
        ModelConfig d = parse(m);
        assertEquals(new RopeScaling("yarn", 40, 4096, 32, 1, 1, 0), d.ropeScaling());
        assertEquals(new QuantizationConfig("e4m3", 128, 128, ScaleFormat.PLAIN, "dynamic"), d.quantization());
    }

    @Test
    void ropeTypeMaySpellAsRopeType() throws Exception {
        ObjectNode n = real();
        rope(n).remove("type");
        rope(n).put("rope_type", "yarn");
        assertEquals(ModelConfig.deepseekV32(), parse(n));
    }

    @Test
    void extraKeysAreIgnoredAndSmallModelsRead() throws Exception {
        ObjectNode n = real();
        n.put("some_future_key", "x");
        n.put("hidden_size", 64).put("num_hidden_layers", 2).put("first_k_dense_replace", 1).put("n_routed_experts", 8)
                .put("n_group", 2).put("topk_group", 1).put("num_experts_per_tok", 4).put("index_topk", 4);
        ModelConfig c = parse(n);
        assertEquals(64, c.hiddenSize());
        assertEquals(4, c.expertsPerGroup());
        assertEquals(4, c.numExpertsPerTok());
    }

    @Test
    void wrongJsonTypesAreRefused() throws Exception {
        refused(n -> n.put("hidden_size", "7168"), "hidden_size");
        refused(n -> n.put("hidden_size", 7168.5), "hidden_size");
        refused(n -> n.put("hidden_size", 7168.0), "hidden_size");
        refused(n -> n.put("hidden_size", 10_000_000_000L), "hidden_size");
        refused(n -> n.put("norm_topk_prob", "true"), "norm_topk_prob");
        refused(n -> n.put("scoring_func", 1), "scoring_func");
        refused(n -> n.put("rope_theta", "1e4"), "rope_theta");
        refused(n -> n.put("rope_scaling", "yarn"), "rope_scaling");
        refused(n -> rope(n).put("factor", "40"), "rope_scaling.factor");
        refused(n -> n.put("quantization_config", 8), "quantization_config");
        refused(n -> quant(n).put("scale_fmt", "e8m0x"), "quantization_config.scale_fmt");
        refused(n -> quant(n).putArray("weight_block_size").add(128), "quantization_config.weight_block_size");
        refused(n -> quant(n).putArray("weight_block_size").add(128).add("128"), "quantization_config.weight_block_size[1]");
        refused(n -> quant(n).putArray("weight_block_size").add(0).add(128), "quantization_config.weight_block_size[0]");
    }

    @Test
    void inconsistentValuesAreRefused() throws Exception {
        refused(n -> n.put("hidden_size", 0), "hidden_size");
        refused(n -> n.put("kv_lora_rank", -512), "kv_lora_rank");
        refused(n -> n.put("n_shared_experts", -1), "n_shared_experts");
        refused(n -> n.put("first_k_dense_replace", 62), "first_k_dense_replace");
        refused(n -> n.put("n_routed_experts", 255), "n_routed_experts");
        refused(n -> n.put("topk_group", 9), "topk_group");
        refused(n -> n.put("num_experts_per_tok", 129), "num_experts_per_tok"); // 4 kept groups x 32 = 128
        refused(n -> n.put("qk_rope_head_dim", 63), "qk_rope_head_dim");
        refused(n -> n.put("index_head_dim", 96), "index_head_dim");
        refused(n -> n.put("index_head_dim", 32), "index_head_dim"); // smaller than the 64 rope dims
        refused(n -> n.put("scoring_func", "softmax"), "scoring_func");
        refused(n -> n.put("topk_method", "greedy"), "topk_method");
        refused(n -> n.put("rms_norm_eps", 0), "rms_norm_eps");
        refused(n -> n.put("rope_theta", 1), "rope_theta");
        refused(n -> rope(n).put("type", "linear"), "rope_scaling.type");
        refused(n -> rope(n).put("factor", 0.5), "rope_scaling.factor");
        refused(n -> quant(n).put("quant_method", "gptq"), "quantization_config.quant_method");
        refused(n -> quant(n).put("fmt", "e5m2"), "quantization_config.fmt");
        refused(n -> quant(n).put("activation_scheme", "static"), "quantization_config.activation_scheme");
    }

    @Test
    void boundariesOfTheRulesAreAccepted() throws Exception {
        ObjectNode n = real();
        n.put("num_experts_per_tok", 128).put("topk_group", 8).put("index_head_dim", 64).put("first_k_dense_replace", 61)
                .put("n_shared_experts", 0);
        ModelConfig c = parse(n);
        assertEquals(128, c.numExpertsPerTok());
        assertEquals(64, c.indexHeadDim());
    }

    @Test
    void malformedInputNamesTheFile(@TempDir Path dir) throws Exception {
        for (String text : List.of("{\"hidden_size\": ", "[1]", "", "{\"a\":1,\"a\":2}")) {
            ConfigException e = assertThrows(ConfigException.class, () -> ModelConfigReader.parse(text, SOURCE));
            assertTrue(e.getMessage().startsWith(SOURCE + ": "), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        Path missing = dir.resolve("config.json");
        ConfigException e = assertThrows(ConfigException.class, () -> ModelConfigReader.read(missing));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("no such file"), e.getMessage());
    }
}
