package org.dsv32.spec.io;

import static org.dsv32.spec.io.SafetensorsTestFiles.assemble;
import static org.dsv32.spec.io.SafetensorsTestFiles.random;
import static org.dsv32.spec.io.SafetensorsTestFiles.sameBytes;
import static org.dsv32.spec.io.SafetensorsTestFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writer/reader round trips and the reader's specific refusals. */
class SafetensorsFileTest {
    @TempDir Path dir;

    @Test
    void everyDtypeRoundTripsWithMetadata() throws Exception {
        Random rnd = new Random(7);
        List<TensorData> written = new ArrayList<>();
        for (DType d : DType.values()) written.add(random("layer." + d.name().toLowerCase() + ".wé", d, rnd, 3, 5));
        written.add(random("scalar", DType.F32, rnd));
        written.add(random("empty", DType.BF16, rnd, 0, 4));
        Map<String, String> meta = Map.of("format", "pt", "note", "模型 ü");
        Path f = dir.resolve("all.safetensors");
        SafetensorsWriter.write(f, written, meta);

        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertEquals(written.stream().map(TensorData::name).toList(), st.names(), "header order kept");
            assertEquals(meta, st.metadata());
            assertEquals(f, st.path());
            long expectedBegin = 0;
            for (TensorData w : written) {
                SafetensorsFile.TensorInfo info = st.info(w.name());
                assertEquals(w.dtype(), info.dtype());
                assertArrayEquals(w.shape(), info.shape());
                assertEquals(expectedBegin, info.begin(), "writer lays tensors out back to back");
                assertEquals(w.bytes().byteSize(), info.byteSize());
                expectedBegin = info.end();
                TensorData r = st.tensor(w.name());
                assertTrue(r.bytes().isMapped(), "a view of the mapping, not a copy");
                assertTrue(sameBytes(w.bytes(), r.bytes()), w.name());
                assertArrayEquals(w.toDoubles(), r.toDoubles(), 0.0, w.name());
            }
            assertEquals(expectedBegin, st.dataSize());
        }
    }

    @Test
    void noMetadataGivesEmptyMap() throws Exception {
        Path f = dir.resolve("plain.safetensors");
        SafetensorsWriter.write(f, List.of(TensorData.ofFloats("x", new float[] {1, 2}, 2)), Map.of());
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertTrue(st.metadata().isEmpty());
            assertArrayEquals(new double[] {1, 2}, st.tensor("x").toDoubles());
        }
    }

    @Test
    void gapsBetweenTensorsAreTolerated() throws Exception {
        // a [0,8) , gap [8,16), b [16,20); trailing bytes after the last tensor are tolerated as well
        byte[] data = new byte[24];
        java.nio.ByteBuffer.wrap(data).order(java.nio.ByteOrder.LITTLE_ENDIAN).putDouble(0, 1.5).putFloat(16, -2f);
        String h = "{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[16,20]}}";
        Path f = write(dir, "gaps.safetensors", assemble(h.getBytes(StandardCharsets.UTF_8), data));
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertArrayEquals(new double[] {1.5}, st.tensor("a").toDoubles());
            assertArrayEquals(new double[] {-2}, st.tensor("b").toDoubles());
        }
    }

    @Test
    void missingTensorNamesFileAndTensor() throws Exception {
        Path f = dir.resolve("one.safetensors");
        SafetensorsWriter.write(f, List.of(TensorData.ofFloats("x", new float[] {1}, 1)), Map.of());
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> st.tensor("y"));
            assertTrue(e.getMessage().contains("one.safetensors") && e.getMessage().contains("'y'"), e.getMessage());
            assertFalse(st.contains("y"));
        }
    }

    @Test
    void closeUnmapsAndIsIdempotent() throws Exception {
        Path f = dir.resolve("c.safetensors");
        SafetensorsWriter.write(f, List.of(TensorData.ofFloats("x", new float[] {1}, 1)), Map.of());
        SafetensorsFile st = SafetensorsFile.open(f);
        TensorData x = st.tensor("x");
        st.close();
        st.close();
        assertThrows(IllegalStateException.class, x::toDoubles);
        assertThrows(IllegalStateException.class, () -> st.tensor("x"));
    }

    // --- specific refusals; the property test covers them at random, these pin the messages ---

    private SafetensorsException refuse(String name, byte[] bytes) {
        Path f = write(dir, name, bytes);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(f).close());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
        return e;
    }

    private SafetensorsException refuseHeader(String name, String header, int dataBytes) {
        return refuse(name, assemble(header.getBytes(StandardCharsets.UTF_8), new byte[dataBytes]));
    }

    private static void assertMentions(SafetensorsException e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), () -> "'" + p + "' not in: " + e.getMessage());
    }

    @Test
    void refusesShortFile() {
        assertMentions(refuse("short.safetensors", new byte[] {1, 2, 3}), "shorter than the 8-byte");
    }

    @Test
    void refusesHeaderLongerThanFileWithoutAllocatingIt() {
        // a tiny file claiming a header of the maximum size and one claiming 2^62 bytes: both refused from the file size
        assertMentions(refuse("long.safetensors", assemble(SafetensorsFile.MAX_HEADER_BYTES, "{}".getBytes(), new byte[0])), "runs past the end");
        assertMentions(refuse("huge.safetensors", assemble(1L << 62, "{}".getBytes(), new byte[0])), "absurd");
        assertMentions(refuse("neg.safetensors", assemble(-1, "{}".getBytes(), new byte[0])), "absurd");
    }

    @Test
    void refusesInvalidUtf8AndDuplicateNames() {
        byte[] bad = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
        assertMentions(refuse("utf8.safetensors", assemble(bad, new byte[0])), "UTF-8");
        String dup = "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}";
        assertMentions(refuseHeader("dup.safetensors", dup, 2), "not valid JSON", "a");
    }

    @Test
    void refusesDeeplyNestedHeaderWithoutOverflowingTheStack() {
        String deep = "{\"w\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        assertMentions(refuseHeader("deep.safetensors", deep, 0), "not valid JSON");
    }

    @Test
    void refusalsNameTheTensorAndTheProblem() {
        assertMentions(refuseHeader("dt.safetensors", "{\"w\":{\"dtype\":\"F4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1),
                "tensor 'w'", "unknown dtype 'F4'");
        assertMentions(refuseHeader("neg.safetensors", "{\"w\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,1]}}", 1),
                "tensor 'w'", "negative");
        assertMentions(refuseHeader("ovf.safetensors", "{\"w\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,1]}}", 1),
                "tensor 'w'", "overflows");
        assertMentions(refuseHeader("big.safetensors", "{\"w\":{\"dtype\":\"U8\",\"shape\":[99999999999999999999],\"data_offsets\":[0,1]}}", 1),
                "tensor 'w'", "overflows 64 bits");
        assertMentions(refuseHeader("frac.safetensors", "{\"w\":{\"dtype\":\"U8\",\"shape\":[1.5],\"data_offsets\":[0,1]}}", 1),
                "tensor 'w'", "not an integer");
        assertMentions(refuseHeader("rev.safetensors", "{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[1,0]}}", 1),
                "tensor 'w'", "reversed");
        assertMentions(refuseHeader("out.safetensors", "{\"w\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 1),
                "tensor 'w'", "outside the data section");
        assertMentions(refuseHeader("size.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 8),
                "tensor 'w'", "needs 8 bytes");
        assertMentions(refuseHeader("ovl.safetensors", "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[3,5]}}", 5), "tensor 'b'", "overlaps tensor 'a'");
        assertMentions(refuseHeader("noshape.safetensors", "{\"w\":{\"dtype\":\"U8\",\"data_offsets\":[0,1]}}", 1),
                "tensor 'w'", "no shape");
        assertMentions(refuseHeader("entry.safetensors", "{\"w\":[1,2]}", 1), "tensor 'w'", "not an object");
        assertMentions(refuseHeader("meta.safetensors", "{\"__metadata__\":{\"k\":1}}", 0), "__metadata__", "'k'", "not a string");
        assertMentions(refuseHeader("arr.safetensors", "[1,2]", 0), "not a JSON object");
        assertMentions(refuseHeader("trail.safetensors", "{} x", 0), "not valid JSON");
    }

    @Test
    void emptyTensorsOwnNoBytesSoMayShareAnOffset() throws Exception {
        String h = "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[1,1]}}";
        Path f = write(dir, "empty.safetensors", assemble(h.getBytes(StandardCharsets.UTF_8), new byte[] {5, 6}));
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertEquals(0, st.tensor("e").elementCount());
            assertArrayEquals(new double[] {5, 6}, st.tensor("a").toDoubles());
        }
        assertTrue(Files.exists(f));
    }
}
