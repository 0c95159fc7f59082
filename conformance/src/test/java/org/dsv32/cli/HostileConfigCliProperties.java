package org.dsv32.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.dsv32.spec.checkpoint.TinyCheckpointWriter;
import org.dsv32.spec.config.ConfigLimits;
import org.dsv32.spec.config.ModelConfigWriter;
import org.dsv32.spec.config.ModelPresets;

/**
 * A config.json with any size key above its limit — up to 10^8 experts and beyond — makes {@code tiny-checkpoint}
 * and {@code logits} exit 2 with one line naming the key, the value and the limit, before anything is sized.
 */
class HostileConfigCliProperties {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path root;
    private static Path checkpoint;

    @BeforeContainer
    static void checkpoint() throws IOException {
        root = Files.createTempDirectory("hostile");
        checkpoint = root.resolve("ck");
        TinyCheckpointWriter.write(checkpoint, ModelPresets.tiny(), 1, TinyCheckpointWriter.Variant.UE8M0);
        Files.writeString(root.resolve("script.json"), "{\"sequences\": [{\"prompt\": [1, 2]}]}");
    }

    @AfterContainer
    static void cleanUp() throws IOException {
        try (var walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    /** The tiny preset's config.json with {@code key} (dotted, [i] for an array element) set to {@code value}. */
    static String hostile(String key, BigInteger value) throws IOException {
        ObjectNode o = (ObjectNode) JSON.readTree(ModelConfigWriter.toJson(ModelPresets.tiny()));
        ObjectNode root = o;
        String[] parts = key.split("\\.");
        for (int i = 0; i < parts.length - 1; i++) o = (ObjectNode) o.get(parts[i]);
        String last = parts[parts.length - 1];
        if (last.endsWith("]")) {
            int at = last.indexOf('[');
            ((ArrayNode) o.get(last.substring(0, at))).set(Integer.parseInt(last.substring(at + 1, last.length() - 1)), value);
        } else {
            o.put(last, value);
        }
        return root.toString();
    }

    @Property(tries = 120, seed = "19")
    void everyCommandRefusesAHostileSizeKeyWithExit2AndOneLine(@ForAll @IntRange(min = 0, max = 22) int which,
                                                               @ForAll @LongRange(min = 1, max = 1L << 40) long excess,
                                                               @ForAll boolean viaLogits) throws IOException {
        List<ConfigLimits.Limit> limits = ConfigLimits.limits();
        ConfigLimits.Limit limit = limits.get(which);
        BigInteger value = BigInteger.valueOf(limit.max()).add(BigInteger.valueOf(excess));
        CliRun r;
        Path config;
        if (viaLogits) {
            config = checkpoint.resolve("config.json");
            Files.writeString(config, hostile(limit.key(), value));
            r = CliRun.of("logits", "--checkpoint", checkpoint.toString(), "--script", root.resolve("script.json").toString(),
                    "--out", root.resolve("out.safetensors").toString());
            assertFalse(Files.exists(root.resolve("out.safetensors")));
        } else {
            config = root.resolve("hostile.json");
            Files.writeString(config, hostile(limit.key(), value));
            r = CliRun.of("tiny-checkpoint", "--config", config.toString(), "--out", root.resolve("never").toString());
            assertFalse(Files.exists(root.resolve("never")));
        }
        assertEquals(2, r.exit(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        String expected = config + ": " + limit.key() + ": " + value + " exceeds the limit " + limit.describe();
        assertTrue(r.err().contains(expected), r.err());
    }

    /** The case: 10^8 experts, refused at once rather than after a minute and an OutOfMemoryError. */
    @Property(tries = 2)
    void aHundredMillionExperts(@ForAll boolean viaLogits) throws IOException {
        Path config = viaLogits ? checkpoint.resolve("config.json") : root.resolve("experts.json");
        Files.writeString(config, hostile("n_routed_experts", BigInteger.valueOf(100_000_000)));
        CliRun r = viaLogits
                ? CliRun.of("logits", "--checkpoint", checkpoint.toString(), "--script", root.resolve("script.json").toString(),
                        "--out", root.resolve("o.safetensors").toString())
                : CliRun.of("tiny-checkpoint", "--config", config.toString(), "--out", root.resolve("x").toString());
        assertEquals(2, r.exit(), r.err());
        assertEquals("dsv32 " + (viaLogits ? "logits" : "tiny-checkpoint") + ": " + config
                + ": n_routed_experts: 100000000 exceeds the limit 4096 (16 x the 671B value 256)", r.err().strip());
    }
}
