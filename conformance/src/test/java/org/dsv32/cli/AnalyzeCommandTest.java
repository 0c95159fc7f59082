package org.dsv32.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.dsv32.spec.analysis.ModelCost;
import org.dsv32.spec.config.ModelConfigWriter;
import org.dsv32.spec.config.ModelPresets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AnalyzeCommandTest {
    @TempDir Path tmp;

    static final List<String> REQUIRED = List.of("total_params", "mtp_params", "active_params", "active_params_with_embedding",
            "kv_cache_elements_per_token_per_layer", "mha_kv_elements_per_token_per_layer", "kv_cache_bytes_per_token_bf16",
            "kv_cache_bytes_per_token_fp8", "attention_pairs_dense", "attention_pairs_sparse", "indexer_flops",
            "attention_flops_dense", "attention_flops_sparse");

    @Test
    void defaultIsThe671bPresetAndTheJsonHasEveryKey() throws Exception {
        Path json = tmp.resolve("out/analysis.json");
        CliRun r = CliRun.of("analyze", "--json", json.toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(json.toFile());
        for (String k : REQUIRED) assertTrue(j.has(k), "missing " + k);
        ModelCost cost = ModelCost.of(ModelPresets.deepseekV32());
        assertEquals(cost.totalParams(), j.get("total_params").asLong());
        assertEquals(cost.mtpParams(), j.get("mtp_params").asLong());
        assertEquals(cost.activeParams(), j.get("active_params").asLong());
        assertEquals(576, j.get("kv_cache_elements_per_token_per_layer").asLong());
        assertEquals(61 * 656, j.get("kv_cache_bytes_per_token_fp8").asLong());
        assertEquals(131072L * 131073 / 2, j.get("attention_pairs_dense").asLong());
        assertEquals(131072, j.get("context").asLong());
        assertEquals(cost.attention(131072).indexerFlops(), j.get("indexer_flops").asDouble());
        // the reader's first lines are the headline figures, and the claims are answered
        String[] lines = r.out().split("\n");
        assertTrue(lines[3].startsWith("Headline"), r.out());
        assertTrue(r.out().contains("671.88 B") && r.out().contains("37.48 B") && r.out().contains("685.36 B"), r.out());
        assertTrue(r.out().contains("\"MLA cuts the KV cache by 98.6% vs MHA with the same heads\""), r.out());
        assertTrue(r.out().contains("once the indexer is counted"), r.out());
    }

    @Test
    void configFileAndContext() throws Exception {
        Path cfg = tmp.resolve("config.json");
        ModelConfigWriter.write(ModelPresets.tiny(), cfg);
        Path json = tmp.resolve("tiny.json");
        CliRun r = CliRun.of("analyze", "--config", cfg.toString(), "--context", "64", "--json", json.toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(json.toFile());
        ModelCost cost = ModelCost.of(ModelPresets.tiny());
        assertEquals(cost.totalParams(), j.get("total_params").asLong());
        long sparse = 0;
        for (long t = 1; t <= 64; t++) sparse += Math.min(t, 8);
        assertEquals(sparse, j.get("attention_pairs_sparse").asLong());
        assertEquals(64L * 65 / 2, j.get("attention_pairs_dense").asLong());
    }

    @Test
    void badArgumentsFailWithOneLine() {
        CliRun r = CliRun.of("analyze", "--context", "0");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--context must be at least 1"), r.err());
        CliRun m = CliRun.of("analyze", "--config", tmp.resolve("missing.json").toString());
        assertEquals(2, m.exit());
        assertTrue(m.err().contains("missing.json") && !m.err().contains("\tat "), m.err());
    }
}
