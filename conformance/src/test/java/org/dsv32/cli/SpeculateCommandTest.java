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

/** {@code ./dsv32 speculate}: plain and speculative greedy agree on a tiny checkpoint; the counts add up; bad input is exit 2. */
class SpeculateCommandTest {
    @TempDir Path tmp;

    private Path checkpoint() throws IOException {
        Path dir = tmp.resolve("ck");
        TinyCheckpointWriter.write(dir, ModelPresets.tiny(), 1, TinyCheckpointWriter.Variant.UE8M0);
        return dir;
    }

    private Path script() throws IOException {
        Path s = tmp.resolve("script.json");
        Files.writeString(s, "{\"sequences\": [{\"prompt\": [1, 2, 3], \"decode\": [4]}, {\"prompt\": [300], \"decode\": []}]}");
        return s;
    }

    private static JsonNode run(Path ck, Path script, Path json, String backend, int expectExit) throws IOException {
        CliRun r = CliRun.of("speculate", "--checkpoint", ck.toString(), "--script", script.toString(), "--backend", backend,
                "--tokens", "7", "--json", json.toString());
        assertEquals(expectExit, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("overall: 2 of 2 sequences identical"), r.out());
        return new ObjectMapper().readTree(json.toFile());
    }

    @Test
    void speculationAgreesWithPlainGreedyOnReferenceAndSimd() throws IOException {
        Path ck = checkpoint(), script = script();
        for (String backend : new String[] {"reference", "simd"}) {
            JsonNode j = run(ck, script, tmp.resolve(backend + ".json"), backend, 0);
            JsonNode o = j.get("overall");
            assertTrue(o.get("identical").asBoolean());
            assertEquals(2 * 6, o.get("plain_main_steps").asInt(), "7 tokens: 6 decode steps per sequence");
            assertEquals(o.get("accepted").asInt(), o.get("steps_saved").asInt(), "every accepted draft saves one main step");
            for (JsonNode s : j.get("sequences")) assertEquals(s.get("plain_tokens"), s.get("speculative_tokens"));
        }
    }

    @Test
    void zeroedHeadNormsMakeEveryDraftRight() throws IOException {
        // every logit exactly 0 on the main and the MTP head: greedy and draft both pick token 0, and the main model,
        // verifying, confirms each draft: 7 tokens in 3 verifications instead of 6 steps
        Path ck = checkpoint();
        Path weights = ck.resolve(TinyCheckpointWriter.SINGLE_FILE);
        int d = ModelPresets.tiny().hiddenSize(), mtpLayer = ModelPresets.tiny().numHiddenLayers();
        LogitsCommandTest.overwrite(weights, "model.norm.weight", 0, d, new byte[] {0, 0});
        LogitsCommandTest.overwrite(weights, "model.layers." + mtpLayer + ".shared_head.norm.weight", 0, d, new byte[] {0, 0});
        JsonNode o = run(ck, script(), tmp.resolve("forced.json"), "reference", 0).get("overall");
        assertEquals(6, o.get("drafts").asInt());
        assertEquals(6, o.get("accepted").asInt());
        assertEquals(1.0, o.get("acceptance_rate").asDouble());
        assertEquals(6, o.get("steps_saved").asInt());
    }

    @Test
    void badInputIsOneLineAndExit2() throws IOException {
        Path ck = checkpoint();
        CliRun r = CliRun.of("speculate", "--checkpoint", ck.toString(), "--script", tmp.resolve("missing.json").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("script not found") && r.err().strip().lines().count() == 1, r.err());
        r = CliRun.of("speculate", "--checkpoint", ck.toString(), "--script", script().toString(), "--tokens", "0");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--tokens must be at least 1"), r.err());
        Path big = tmp.resolve("big.json");
        Files.writeString(big, "{\"sequences\": [{\"prompt\": [100000], \"decode\": []}]}");
        r = CliRun.of("speculate", "--checkpoint", ck.toString(), "--script", big.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("outside the vocabulary"), r.err());
    }
}
