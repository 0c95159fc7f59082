package org.dsv32.spec.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Directories, shards and index files. */
class SafetensorsCheckpointTest {
    @TempDir Path dir;

    private static TensorData t(String name, float... v) { return TensorData.ofFloats(name, v, v.length); }

    private void shard(String file, TensorData... ts) throws Exception {
        SafetensorsWriter.write(dir.resolve(file), List.of(ts), Map.of("format", "pt"));
    }

    private void index(String weightMapJson) throws Exception {
        Files.writeString(dir.resolve(SafetensorsCheckpoint.INDEX),
                "{\"metadata\":{\"total_size\":0},\"weight_map\":" + weightMapJson + "}");
    }

    private SafetensorsException refuse(Path p, String... parts) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(p).close());
        for (String s : parts) assertTrue(e.getMessage().contains(s), () -> "'" + s + "' not in: " + e.getMessage());
        return e;
    }

    @Test
    void shardedDirectoryFollowsTheIndex() throws Exception {
        shard("model-00001-of-00002.safetensors", t("a", 1, 2), t("b", 3));
        shard("model-00002-of-00002.safetensors", t("c", 4, 5, 6));
        index("{\"a\":\"model-00001-of-00002.safetensors\",\"c\":\"model-00002-of-00002.safetensors\","
                + "\"b\":\"model-00001-of-00002.safetensors\"}");
        Files.writeString(dir.resolve("config.json"), "{}");
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir)) {
            assertEquals(List.of("a", "b", "c"), ck.names().stream().sorted().toList());
            assertEquals(3, ck.size());
            assertArrayEquals(new double[] {4, 5, 6}, ck.tensor("c").toDoubles());
            assertArrayEquals(new double[] {3}, ck.tensor("b").toDoubles());
            assertEquals(dir.resolve("model-00002-of-00002.safetensors"), ck.fileOf("c"));
            assertEquals(DType.F32, ck.info("a").dtype());
            assertTrue(ck.contains("a"));
            assertFalse(ck.contains("z"));
            assertEquals(Optional.of(dir.resolve("config.json")), ck.configFile());
            assertEquals(2, ck.files().size());
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> ck.tensor("z"));
            assertTrue(e.getMessage().contains("'z'") && e.getMessage().contains(dir.toString()), e.getMessage());
        }
    }

    @Test
    void indexedTensorMissingFromItsShardIsRefused() throws Exception {
        shard("s1.safetensors", t("a", 1));
        shard("s2.safetensors", t("b", 2));
        index("{\"a\":\"s1.safetensors\",\"b\":\"s1.safetensors\"}");
        refuse(dir, "s1.safetensors", "'b'", "not in this file");
    }

    @Test
    void tensorInTwoShardsIsRefusedWithAnIndex() throws Exception {
        shard("s1.safetensors", t("a", 1), t("b", 2));
        shard("s2.safetensors", t("b", 2));
        index("{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"}");
        refuse(dir, "s1.safetensors", "'b'", "also present in shard s2.safetensors");
    }

    @Test
    void unlistedTensorAndMissingShardAreRefused() throws Exception {
        shard("s1.safetensors", t("a", 1), t("extra", 2));
        index("{\"a\":\"s1.safetensors\"}");
        refuse(dir, "s1.safetensors", "'extra'", "not in " + SafetensorsCheckpoint.INDEX);
        index("{\"a\":\"s1.safetensors\",\"extra\":\"s1.safetensors\",\"q\":\"gone.safetensors\"}");
        refuse(dir, SafetensorsCheckpoint.INDEX, "'q'", "gone.safetensors", "does not exist");
        index("{\"a\":\"../s1.safetensors\"}");
        refuse(dir, "outside the checkpoint directory");
        Files.writeString(dir.resolve(SafetensorsCheckpoint.INDEX), "{\"weight_map\": [");
        refuse(dir, SafetensorsCheckpoint.INDEX, "not valid JSON");
        Files.writeString(dir.resolve(SafetensorsCheckpoint.INDEX), "{\"weight_map\": {\"a\": 3}}");
        refuse(dir, SafetensorsCheckpoint.INDEX, "'a'", "not a file name");
    }

    @Test
    void withoutIndexAllShardsAreReadAndDuplicatesRefused() throws Exception {
        shard("b.safetensors", t("y", 2));
        shard("a.safetensors", t("x", 1));
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir)) {
            assertEquals(List.of("x", "y"), ck.names(), "files in name order");
            assertEquals(Optional.empty(), ck.configFile());
        }
        shard("c.safetensors", t("x", 9));
        refuse(dir, "c.safetensors", "'x'", "also present in a.safetensors");
    }

    @Test
    void modelSafetensorsWinsOverOtherFiles() throws Exception {
        shard("model.safetensors", t("m", 1));
        shard("stray.safetensors", t("m", 2));
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir)) {
            assertEquals(List.of("m"), ck.names());
            assertArrayEquals(new double[] {1}, ck.tensor("m").toDoubles());
        }
    }

    @Test
    void singleFileAndEmptyOrMissingPaths() throws Exception {
        shard("one.safetensors", t("p", 1, 2));
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir.resolve("one.safetensors"))) {
            assertEquals(List.of("p"), ck.names());
            assertEquals(Map.of("format", "pt"), ck.metadata());
        }
        Path empty = Files.createDirectory(dir.resolve("empty"));
        refuse(empty, "empty", "no " + SafetensorsCheckpoint.INDEX);
        refuse(dir.resolve("nope"), "nope", "no such file");
    }
}
