package org.dsv32.spec.io;

import static org.dsv32.spec.io.SafetensorsTestFiles.assemble;
import static org.dsv32.spec.io.SafetensorsTestFiles.split;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Valid safetensors files, generated at random, then corrupted one way at a time: opening must throw a
 * {@link SafetensorsException} whose message names the file — no other exception type, no out-of-memory from a
 * claimed size. A control property checks the uncorrupted files open and read back their bytes.
 */
class SafetensorsCorruptionProperties {
    private static Path dir;
    private static final AtomicInteger counter = new AtomicInteger();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @BeforeContainer
    static void createDir() throws IOException { dir = Files.createTempDirectory("dsv32-safetensors-"); }

    @AfterContainer
    static void deleteDir() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** A valid file with its parts. */
    record Valid(List<TensorData> tensors, Map<String, String> metadata, byte[] file) {
        SafetensorsTestFiles.Parts parts() { return split(file); }

        String name(int which) { return tensors.get(Math.floorMod(which, tensors.size())).name(); }

        TensorData tensor(int which) { return tensors.get(Math.floorMod(which, tensors.size())); }
    }

    @Provide
    Arbitrary<Valid> valid() { return files(1, 0); }

    /** At least two tensors, none empty: what an overlap needs. */
    @Provide
    Arbitrary<Valid> twoOrMore() { return files(2, 1); }

    private static Arbitrary<Valid> files(int minTensors, long minDim) {
        Arbitrary<String> names = Arbitraries.strings().withCharRange('a', 'z').withChars('.', '_', 'é', '模')
                .ofMinLength(1).ofMaxLength(8);
        Arbitrary<long[]> shapes = Arbitraries.longs().between(minDim, 5).list().ofMaxSize(3)
                .map(l -> l.stream().mapToLong(Long::longValue).toArray());
        Arbitrary<Map<String, String>> meta = Arbitraries.maps(names, Arbitraries.strings().ofMaxLength(6)
                .withCharRange(' ', '~')).ofMaxSize(3);
        return Combinators.combine(names.list().uniqueElements().ofMinSize(minTensors).ofMaxSize(4),
                Arbitraries.of(DType.class).list().ofSize(4), shapes.list().ofSize(4), meta, Arbitraries.longs())
                .as((ns, dts, shs, m, seed) -> {
                    Random rnd = new Random(seed);
                    List<TensorData> ts = new ArrayList<>();
                    for (int i = 0; i < ns.size(); i++) ts.add(SafetensorsTestFiles.random(ns.get(i), dts.get(i), rnd, shs.get(i)));
                    return new Valid(ts, m, bytes(ts, m));
                });
    }

    /** The writer's exact bytes, without its fsync (thousands of files per run). */
    private static byte[] bytes(List<TensorData> ts, Map<String, String> meta) {
        byte[] header = SafetensorsWriter.header(ts, meta);
        ByteBuffer data = ByteBuffer.allocate(ts.stream().mapToInt(t -> (int) t.bytes().byteSize()).sum());
        for (TensorData t : ts) data.put(t.bytes().asByteBuffer());
        return assemble(header, data.array());
    }

    private static void assertRefused(byte[] bytes) throws IOException {
        Path f = dir.resolve("case-" + counter.incrementAndGet() + ".safetensors");
        Files.write(f, bytes);
        try {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(f).close());
            assertTrue(e.getMessage().contains(f.getFileName().toString()), e.getMessage());
            assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
        } finally {
            Files.delete(f);
        }
    }

    private static byte[] withEntry(Valid v, int which, String field, JsonNode value) {
        SafetensorsTestFiles.Parts p = v.parts();
        ((ObjectNode) p.header().get(v.name(which))).set(field, value);
        return assemble(p.header(), p.data());
    }

    // ---------------------------------------------------------------- control

    @Property(tries = 60, seed = "11")
    void validFilesOpenAndReadBack(@ForAll("valid") Valid v) throws IOException {
        Path f = dir.resolve("ok-" + counter.incrementAndGet() + ".safetensors");
        Files.write(f, v.file());
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertEquals(v.tensors().stream().map(TensorData::name).toList(), st.names());
            assertEquals(v.metadata(), st.metadata());
            for (TensorData t : v.tensors()) {
                assertArrayEquals(t.shape(), st.info(t.name()).shape());
                assertTrue(SafetensorsTestFiles.sameBytes(t.bytes(), st.tensor(t.name()).bytes()), t.name());
            }
        } finally {
            Files.delete(f);
        }
    }

    // ---------------------------------------------------------------- corruptions

    @Property(tries = 100, seed = "12")
    void truncatedAnywhere(@ForAll("valid") Valid v, @ForAll @DoubleRange(min = 0, max = 1, maxIncluded = false) double cut)
            throws IOException {
        assertRefused(Arrays.copyOf(v.file(), (int) (cut * v.file().length)));
    }

    @Provide
    Arbitrary<Long> headerLengths() {
        return Arbitraries.oneOf(Arbitraries.longs(), Arbitraries.longs().between(0, 2048),
                Arbitraries.longs().between(SafetensorsFile.MAX_HEADER_BYTES - 8, SafetensorsFile.MAX_HEADER_BYTES + 8));
    }

    /**
     * A stated header length other than the true one. Lengths between the end of the JSON and the end of its space
     * padding are legitimately indistinguishable and excluded.
     */
    @Property(tries = 100, seed = "13")
    void lyingHeaderLength(@ForAll("valid") Valid v, @ForAll("headerLengths") long n) throws IOException {
        SafetensorsTestFiles.Parts p = v.parts();
        if (n >= p.jsonLength() && n <= p.headerLength()) n = -n - 1;
        byte[] f = v.file().clone();
        ByteBuffer.wrap(f).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0, n);
        assertRefused(f);
    }

    @Provide
    Arbitrary<String> nonObjects() {
        return Arbitraries.oneOf(Arbitraries.of("", " ", "[]", "null", "0", "-1.5e3", "\"{}\"", "true", "[{\"a\":1}]", "{", "}"),
                Arbitraries.integers().list().ofMaxSize(4).map(String::valueOf),
                Arbitraries.strings().withCharRange('a', 'z').map(s -> "\"" + s + "\""));
    }

    @Property(tries = 60, seed = "14")
    void headerNotAnObject(@ForAll("valid") Valid v, @ForAll("nonObjects") String json) throws IOException {
        assertRefused(assemble(json.getBytes(StandardCharsets.UTF_8), v.parts().data()));
    }

    @Property(tries = 60, seed = "15")
    void headerOfGarbageBytes(@ForAll("valid") Valid v, @ForAll @Size(min = 1, max = 64) byte[] garbage) throws IOException {
        // a first byte that cannot open a JSON object (not '{', whitespace or a byte-order mark)
        if ("{ \t\r\n".indexOf(garbage[0]) >= 0 || garbage[0] == (byte) 0xEF) garbage[0] = '#';
        assertRefused(assemble(garbage, v.parts().data()));
    }

    @Provide
    Arbitrary<JsonNode> unknownDtypes() {
        return Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(10).filter(s -> DType.parse(s).isEmpty()).map(NODES::textNode),
                Arbitraries.of("F8_E4M3FNUZ", "F4", "C64", "U16", "U32", "U64", "F8_E8M0", "").map(NODES::textNode),
                Arbitraries.integers().map(NODES::numberNode),
                Arbitraries.just(NODES.nullNode()), Arbitraries.just(NODES.arrayNode().add("F32")));
    }

    @Property(tries = 60, seed = "16")
    void unknownDtype(@ForAll("valid") Valid v, @ForAll int which, @ForAll("unknownDtypes") JsonNode dtype) throws IOException {
        assertRefused(withEntry(v, which, "dtype", dtype));
    }

    @Provide
    Arbitrary<JsonNode> badShapes() {
        Arbitrary<JsonNode> negative = Combinators.combine(Arbitraries.longs().between(1, 5).list().ofMaxSize(3),
                Arbitraries.longs().lessOrEqual(-1), Arbitraries.integers().between(0, 3))
                .as((dims, neg, at) -> { dims.add(Math.min(at, dims.size()), neg); return array(dims.toArray()); });
        Arbitrary<JsonNode> huge = Arbitraries.longs().between(1L << 33, Long.MAX_VALUE).map(h -> array(h));
        Arbitrary<JsonNode> overflowing = Arbitraries.of(array(1L << 32, 1L << 32, 1L << 32), array(Long.MAX_VALUE, 2L),
                array(3L, 1L << 62, 5L));
        Arbitrary<JsonNode> beyondLong = Arbitraries.bigIntegers().between(BigInteger.ONE, BigInteger.TEN.pow(30))
                .map(b -> (JsonNode) NODES.arrayNode().add(b.add(BigInteger.TWO.pow(63))));
        Arbitrary<JsonNode> notIntegers = Arbitraries.of(array(1.5), array("3"), NODES.textNode("[2,3]"), NODES.numberNode(3),
                NODES.objectNode(), NODES.nullNode(), NODES.arrayNode().add(NODES.nullNode()));
        return Arbitraries.oneOf(negative, huge, overflowing, beyondLong, notIntegers);
    }

    private static JsonNode array(Object... values) {
        ArrayNode a = NODES.arrayNode();
        for (Object o : values) {
            if (o instanceof Long l) a.add(l);
            else if (o instanceof Double d) a.add(d);
            else a.add(String.valueOf(o));
        }
        return a;
    }

    @Property(tries = 100, seed = "17")
    void badDimensions(@ForAll("valid") Valid v, @ForAll int which, @ForAll("badShapes") JsonNode shape) throws IOException {
        assertRefused(withEntry(v, which, "shape", shape));
    }

    @Property(tries = 60, seed = "18")
    void shapeDisagreesWithByteRange(@ForAll("valid") Valid v, @ForAll int which, @ForAll @IntRange(min = 1, max = 1000) int extra)
            throws IOException {
        assertRefused(withEntry(v, which, "shape", array(v.tensor(which).elementCount() + extra)));
    }

    enum OffsetCorruption { OUTSIDE, REVERSED, NEGATIVE_BEGIN, NEGATIVE_END, ONE_NUMBER, THREE_NUMBERS, FRACTIONS, NOT_ARRAY }

    @Property(tries = 100, seed = "19")
    void badOffsets(@ForAll("valid") Valid v, @ForAll int which, @ForAll OffsetCorruption kind,
                    @ForAll @IntRange(min = 0, max = 1 << 20) int k) throws IOException {
        long size = v.tensor(which).bytes().byteSize(), dataSize = v.parts().data().length;
        JsonNode offsets = switch (kind) {
            case OUTSIDE -> array(dataSize - size + 1 + k, dataSize + 1 + k);
            case REVERSED -> array((long) k + 1, (long) k); // begin > end, whatever the sizes
            case NEGATIVE_BEGIN -> array(-1L - k, size);
            case NEGATIVE_END -> array(0L, -1L - k);
            case ONE_NUMBER -> array(0L);
            case THREE_NUMBERS -> array(0L, size, size);
            case FRACTIONS -> array(0.5, size + 0.5);
            case NOT_ARRAY -> NODES.textNode("0," + size);
        };
        assertRefused(withEntry(v, which, "data_offsets", offsets));
    }

    /** Tensor i's range moved to start inside tensor j's: same size, so only the overlap (or the end) is wrong. */
    @Property(tries = 60, seed = "20")
    void overlappingRanges(@ForAll("twoOrMore") Valid v, @ForAll int i, @ForAll int shift, @ForAll int start) throws IOException {
        int a = Math.floorMod(i, v.tensors().size());
        int b = Math.floorMod(a + 1 + Math.floorMod(shift, v.tensors().size() - 1), v.tensors().size());
        SafetensorsTestFiles.Parts p = v.parts();
        JsonNode other = p.header().get(v.name(b)).get("data_offsets");
        long otherBegin = other.get(0).longValue(), otherSize = other.get(1).longValue() - otherBegin;
        long begin = otherBegin + Math.floorMod(start, otherSize);
        assertRefused(withEntry(v, a, "data_offsets", array(begin, begin + v.tensor(a).bytes().byteSize())));
    }

    @Provide
    Arbitrary<JsonNode> badMetadata() {
        Arbitrary<JsonNode> values = Arbitraries.of(NODES.numberNode(1), NODES.nullNode(), NODES.booleanNode(true),
                NODES.arrayNode().add("x"), NODES.objectNode().put("a", "b"), NODES.numberNode(2.5));
        Arbitrary<JsonNode> objectWithBadValue = Combinators.combine(
                Arbitraries.strings().withCharRange('a', 'z').ofMaxLength(5), values)
                .as((k, val) -> { ObjectNode o = NODES.objectNode().put("ok", "fine"); o.set(k + "!", val); return o; });
        Arbitrary<JsonNode> notObject = Arbitraries.of(NODES.textNode("format=pt"), NODES.arrayNode(), NODES.numberNode(0),
                NODES.nullNode());
        return Arbitraries.oneOf(objectWithBadValue, notObject);
    }

    @Property(tries = 60, seed = "21")
    void metadataNotStrings(@ForAll("valid") Valid v, @ForAll("badMetadata") JsonNode meta) throws IOException {
        SafetensorsTestFiles.Parts p = v.parts();
        p.header().set(SafetensorsFile.METADATA_KEY, meta);
        assertRefused(assemble(p.header(), p.data()));
    }

    @Property(tries = 60, seed = "22")
    void incompleteOrNonObjectEntry(@ForAll("valid") Valid v, @ForAll int which,
                                    @ForAll("entryDamage") String damage) throws IOException {
        SafetensorsTestFiles.Parts p = v.parts();
        String name = v.name(which);
        switch (damage) {
            case "dtype", "shape", "data_offsets" -> ((ObjectNode) p.header().get(name)).remove(damage);
            case "string" -> p.header().put(name, "F32");
            case "array" -> p.header().set(name, NODES.arrayNode().add(1));
            default -> p.header().set(name, NODES.nullNode());
        }
        assertRefused(assemble(p.header(), p.data()));
    }

    @Provide
    Arbitrary<String> entryDamage() { return Arbitraries.of("dtype", "shape", "data_offsets", "string", "array", "null"); }
}
