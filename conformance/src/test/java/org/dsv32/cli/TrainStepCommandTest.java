package org.dsv32.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dsv32.spec.checkpoint.TinyCheckpointWriter;
import org.dsv32.spec.config.ModelPresets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./dsv32 train-step} on the tiny checkpoint with the repository's example script: losses in both modes, every
 * tensor of the layer with its comparison, the JSON; a script error names the file and the key (exit 2).
 */
class TrainStepCommandTest {
    private static final Path EXAMPLE = Path.of("..", "examples", "train-step.json");
    @TempDir Path tmp;

    @Test
    void theExampleScriptReportsEveryTensorOfTheLayerInBothModes() throws IOException {
        Path ck = tmp.resolve("ck");
        TinyCheckpointWriter.write(ck, ModelPresets.tiny(), 1, TinyCheckpointWriter.Variant.UE8M0);
        Path json = tmp.resolve("out.json");
        CliRun r = CliRun.of("train-step", "--checkpoint", ck.toString(), "--script", EXAMPLE.toString(), "--json", json.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("exact  L_main") && r.out().contains("fp8    L_main"), r.out());
        assertTrue(r.out().contains("self_attn.indexer.wk.weight"), r.out());
        JsonNode j = new ObjectMapper().readTree(json.toFile());
        assertEquals("dsv32-train-step-v1", j.get("format").asText());
        // 16 experts x 3 + shared 3 + router + 2 norms + 5 attention projections + 2 attention norms + 5 indexer tensors
        assertEquals(16 * 3 + 3 + 1 + 2 + 5 + 2 + 5, j.get("tensors").size());
        for (JsonNode t : j.get("tensors")) {
            if (t.get("exact_norm").asDouble() == 0) continue; // an expert no token chose
            double rel = t.get("rel_norm").asDouble(), gemms = t.get("rel_norm_fp8_gemms_only").asDouble();
            assertTrue(rel > 0 && rel < 0.5, t.toString());
            // the FP8 GEMMs alone: a share of the error; none for tensors whose gradient passes through no FP8 GEMM
            boolean viaFp8Gemm = !t.get("name").asText().matches(".*(k_norm|weights_proj).*");
            assertTrue(viaFp8Gemm ? gemms > 0 && gemms < rel : gemms == 0, t.toString());
            assertTrue(!t.get("name").asText().endsWith("e_score_correction_bias"), "the correction bias gets no gradient");
        }
        assertTrue(j.get("losses").get("exact").get("indexer").asDouble() > 0);
    }

    @Test
    void aScriptErrorNamesTheFileAndTheKey() throws IOException {
        Path ck = tmp.resolve("ck");
        TinyCheckpointWriter.write(ck, ModelPresets.tiny(), 1, TinyCheckpointWriter.Variant.UE8M0);
        Path s = tmp.resolve("bad.json");
        Files.writeString(s, "{\"tokens\": [1, 2, 3, 4], \"layer\": 1, \"indexer_stage\": \"warm\"}");
        CliRun r = CliRun.of("train-step", "--checkpoint", ck.toString(), "--script", s.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("bad.json") && r.err().contains("indexer_stage"), r.err());
        Files.writeString(s, "{\"tokens\": [1, 2, 3, 4], \"layer\": 9}");
        r = CliRun.of("train-step", "--checkpoint", ck.toString(), "--script", s.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("bad.json") && r.err().contains("layer 9"), r.err());
    }
}
