package org.dsv32.spec.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.dsv32.spec.weights.ScaleFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigWriterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String published() throws Exception {
        try (InputStream in = ModelConfigWriterTest.class.getResourceAsStream("/deepseek-v3.2/config.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void roundTripsThroughTheReader() throws Exception {
        ModelConfig plain = ModelPresets.tiny().withQuantization(new QuantizationConfig("e4m3", 128, 128, ScaleFormat.PLAIN, "dynamic"));
        for (ModelConfig c : List.of(ModelPresets.deepseekV32(), ModelPresets.tiny(), plain, ModelPresets.tiny().withQuantization(null))) {
            assertEquals(c, ModelConfigReader.parse(ModelConfigWriter.toJson(c), "written"), "round trip");
        }
    }

    @Test
    void the671bConfigMatchesThePublishedFile() throws Exception {
        assertEquals(ModelConfigReader.parse(published(), "published"), ModelConfigReader.parse(ModelConfigWriter.toJson(ModelConfig.deepseekV32()), "written"));
        JsonNode pub = JSON.readTree(published());
        JsonNode ours = JSON.readTree(ModelConfigWriter.toJson(ModelConfig.deepseekV32()));
        // every key we write is spelled as Hugging Face spells it, with the published value
        for (Iterator<String> it = ours.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            assertTrue(pub.has(k), "key '" + k + "' is not in the published config.json");
            assertEquals(pub.get(k).toString(), ours.get(k).toString(), "value of " + k);
        }
    }

    @Test
    void keysAreSortedAndOutputIsDeterministic(@TempDir Path dir) throws Exception {
        String a = ModelConfigWriter.toJson(ModelPresets.tiny());
        assertEquals(a, ModelConfigWriter.toJson(ModelPresets.tiny()));
        List<String> keys = new ArrayList<>();
        JSON.readTree(a).fieldNames().forEachRemaining(keys::add);
        List<String> sorted = new ArrayList<>(keys);
        sorted.sort(null);
        assertEquals(sorted, keys);
        assertTrue(a.startsWith("{\n  \"architectures\": [\n    \"DeepseekV32ForCausalLM\"\n  ],\n"), a);
        assertTrue(a.endsWith("}\n"));
        Path f = dir.resolve("sub/config.json");
        ModelConfigWriter.write(ModelPresets.tiny(), f);
        assertEquals(a, Files.readString(f));
        assertEquals(ModelPresets.tiny(), ModelConfigReader.read(f));
    }

    @Test
    void fixedKeysAndOptionalSections() throws Exception {
        JsonNode t = JSON.readTree(ModelConfigWriter.toJson(ModelPresets.tiny()));
        assertEquals("deepseek_v32", t.get("model_type").asText());
        assertEquals("bfloat16", t.get("torch_dtype").asText());
        assertEquals("silu", t.get("hidden_act").asText());
        assertFalse(t.get("tie_word_embeddings").asBoolean(true));
        assertEquals("fp8", t.get("quantization_config").get("quant_method").asText());
        assertEquals("ue8m0", t.get("quantization_config").get("scale_fmt").asText());
        assertEquals("[128,128]", t.get("quantization_config").get("weight_block_size").toString());
        JsonNode plain = JSON.readTree(ModelConfigWriter.toJson(ModelPresets.tiny()
                .withQuantization(new QuantizationConfig("e4m3", 128, 128, ScaleFormat.PLAIN, "dynamic"))));
        assertFalse(plain.get("quantization_config").has("scale_fmt"), "plain scales: no scale_fmt, as in V3");
        assertFalse(JSON.readTree(ModelConfigWriter.toJson(ModelPresets.tiny().withQuantization(null))).has("quantization_config"));
    }
}
