package org.dsv32.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.dsv32.spec.checkpoint.CheckpointLayout;
import org.dsv32.spec.config.ModelConfigReader;
import org.dsv32.spec.config.ModelConfigWriter;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.io.SafetensorsCheckpoint;
import org.dsv32.spec.weights.ScaleFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinyCheckpointCommandTest {
    @TempDir Path tmp;

    @Test
    void writesTheShardedVariantAndSaysWhat() throws Exception {
        Path out = tmp.resolve("ck");
        CliRun r = CliRun.of("tiny-checkpoint", "--out", out.toString(), "--seed", "5", "--variant", "sharded");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("model.safetensors.index.json") && r.out().contains("model-00003-of-00003.safetensors"), r.out());
        assertTrue(r.out().contains("411 tensors"), r.out());
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(out)) {
            assertEquals(CheckpointLayout.tensors(ModelPresets.tiny()).size(), ck.size());
        }
        assertEquals(ModelPresets.tiny(), ModelConfigReader.read(out.resolve("config.json")));
    }

    @Test
    void configFileSeedAndPlainVariant() throws Exception {
        Path cfg = tmp.resolve("config.json");
        ModelConfigWriter.write(ModelPresets.tiny().withIndexTopk(4), cfg);
        Path a = tmp.resolve("a"), b = tmp.resolve("b"), c = tmp.resolve("c");
        assertEquals(0, CliRun.of("tiny-checkpoint", "--out", a.toString(), "--config", cfg.toString(), "--variant", "plain", "--seed", "9").exit());
        assertEquals(0, CliRun.of("tiny-checkpoint", "--out", b.toString(), "--config", cfg.toString(), "--variant", "plain", "--seed", "9").exit());
        assertEquals(0, CliRun.of("tiny-checkpoint", "--out", c.toString(), "--config", cfg.toString(), "--variant", "plain", "--seed", "10").exit());
        assertEquals(4, ModelConfigReader.read(a.resolve("config.json")).indexTopk());
        assertEquals(ScaleFormat.PLAIN, ModelConfigReader.read(a.resolve("config.json")).quantization().scaleFormat());
        byte[] fa = Files.readAllBytes(a.resolve("model.safetensors"));
        assertArrayEquals(fa, Files.readAllBytes(b.resolve("model.safetensors")), "same seed, same bytes");
        assertNotEquals(-1, java.util.Arrays.mismatch(fa, Files.readAllBytes(c.resolve("model.safetensors"))), "another seed, other bytes");
    }

    @Test
    void userErrorsAreOneLineWithExitCode2() {
        CliRun bad = CliRun.of("tiny-checkpoint", "--out", tmp.resolve("x").toString(), "--variant", "fp4");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("unknown variant 'fp4'"), bad.err());
        CliRun huge = CliRun.of("tiny-checkpoint", "--out", tmp.resolve("y").toString(), "--preset", "deepseek-v32");
        assertEquals(2, huge.exit());
        assertTrue(huge.err().contains("refusing to generate"), huge.err());
        assertEquals(2, CliRun.of("tiny-checkpoint").exit(), "--out is required");
        CliRun missing = CliRun.of("tiny-checkpoint", "--out", tmp.resolve("z").toString(), "--config", tmp.resolve("none.json").toString());
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("none.json"), missing.err());
    }
}
