package org.dsv32.spec.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One safetensors file, memory-mapped read-only, with lazy access to its tensors.
 *
 * <p>Layout: 8-byte little-endian header length n, n bytes of UTF-8 JSON
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}}, then the data
 * section; offsets are relative to the data section's start. {@link #open} validates the whole header before
 * mapping anything: every problem is a {@link SafetensorsException} naming the file (and the tensor), never an
 * out-of-memory or a raw runtime exception; sizes claimed by the header are checked against the file, never
 * allocated. Gaps between tensors are tolerated, overlapping byte ranges are not.
 *
 * <p>Tensors returned by {@link #tensor} are views of the mapping (no copy) and become invalid on {@link #close}.
 * The mapping uses a shared arena, so views may be read from any thread while the file is open.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Largest header accepted (the real DeepSeek-V3.2 shards have headers of a few hundred KiB). */
    public static final long MAX_HEADER_BYTES = 100L << 20;

    static final String METADATA_KEY = "__metadata__";

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** Where one tensor lies: offsets {@code [begin, end)} relative to the start of the data section. */
    public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
        public TensorInfo { shape = shape.clone(); }

        @Override public long[] shape() { return shape.clone(); }

        public long elementCount() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        public long byteSize() { return end - begin; }

        @Override public boolean equals(Object o) {
            return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                    && begin == t.begin && end == t.end;
        }

        @Override public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(shape); }

        @Override public String toString() {
            return name + " " + dtype + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
        }
    }

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, MemorySegment data, Map<String, TensorInfo> tensors,
                            Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens, validates and maps {@code file}. */
    public static SafetensorsFile open(Path file) throws SafetensorsException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new SafetensorsException(file, "file is " + size + " bytes, shorter than the 8-byte header length");
            long n = readFully(ch, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n < 0 || n > MAX_HEADER_BYTES) {
                throw new SafetensorsException(file, "header length " + Long.toUnsignedString(n)
                        + " is absurd (limit " + MAX_HEADER_BYTES + " bytes); not a safetensors file?");
            }
            if (n > size - 8) {
                throw new SafetensorsException(file, "header length " + n + " runs past the end of the file ("
                        + size + " bytes); truncated or not a safetensors file?");
            }
            byte[] header = readFully(ch, 8, (int) n).array();
            long dataSize = size - 8 - n;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = parseHeader(file, header, dataSize, metadata);
            Arena arena = Arena.ofShared();
            try {
                MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                return new SafetensorsFile(file, arena, all.asSlice(8 + n, dataSize), Collections.unmodifiableMap(tensors),
                        Collections.unmodifiableMap(metadata));
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        } catch (SafetensorsException e) {
            throw e;
        } catch (IOException e) {
            throw new SafetensorsException(file, "cannot read: " + e, e);
        }
    }

    private static ByteBuffer readFully(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining()) {
            if (ch.read(buf, position + buf.position()) < 0) throw new IOException("unexpected end of file");
        }
        return buf.flip();
    }

    /** Parses and validates the JSON header; fills {@code metadata}; returns the tensors in header order. */
    static Map<String, TensorInfo> parseHeader(Path file, byte[] header, long dataSize, Map<String, String> metadata)
            throws SafetensorsException {
        JsonNode root;
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(header)).toString();
            root = JSON.readTree(text);
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(file, "header is not valid UTF-8", e);
        } catch (JacksonException e) {
            throw new SafetensorsException(file, "header is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw new SafetensorsException(file, "header is not valid JSON: " + e, e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException(file, "header is not a JSON object but " + kind(root));
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (e.getKey().equals(METADATA_KEY)) {
                readMetadata(file, e.getValue(), metadata);
            } else {
                tensors.put(e.getKey(), readTensor(file, e.getKey(), e.getValue(), dataSize));
            }
        }
        checkNoOverlap(file, tensors.values());
        return tensors;
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> metadata) throws SafetensorsException {
        if (!node.isObject()) throw new SafetensorsException(file, "__metadata__ is not an object but " + kind(node));
        for (Map.Entry<String, JsonNode> m : node.properties()) {
            if (!m.getValue().isTextual()) {
                throw new SafetensorsException(file, "__metadata__ value of '" + m.getKey() + "' is not a string but " + kind(m.getValue()));
            }
            metadata.put(m.getKey(), m.getValue().textValue());
        }
    }

    private static TensorInfo readTensor(Path file, String name, JsonNode node, long dataSize) throws SafetensorsException {
        if (!node.isObject()) throw new SafetensorsException(file, name, "entry is not an object but " + kind(node));
        JsonNode dt = node.get("dtype"), sh = node.get("shape"), off = node.get("data_offsets");
        if (dt == null) throw new SafetensorsException(file, name, "no dtype");
        if (sh == null) throw new SafetensorsException(file, name, "no shape");
        if (off == null) throw new SafetensorsException(file, name, "no data_offsets");
        if (!dt.isTextual()) throw new SafetensorsException(file, name, "dtype is not a string but " + kind(dt));
        DType dtype = DType.parse(dt.textValue()).orElseThrow(() -> new SafetensorsException(file, name,
                "unknown dtype '" + dt.textValue() + "' (known: " + Arrays.toString(DType.values()) + ")"));
        if (!sh.isArray()) throw new SafetensorsException(file, name, "shape is not an array but " + kind(sh));
        long[] shape = new long[sh.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = nonNegativeLong(file, name, "shape[" + i + "]", sh.get(i));
            try {
                elements = Math.multiplyExact(elements, shape[i]);
            } catch (ArithmeticException ex) {
                throw new SafetensorsException(file, name, "shape " + sh + " overflows a 64-bit element count");
            }
        }
        if (!off.isArray() || off.size() != 2) {
            throw new SafetensorsException(file, name, "data_offsets is not an array of two integers: " + abbreviate(off));
        }
        long begin = nonNegativeLong(file, name, "data_offsets[0]", off.get(0));
        long end = nonNegativeLong(file, name, "data_offsets[1]", off.get(1));
        if (begin > end) throw new SafetensorsException(file, name, "data_offsets [" + begin + ", " + end + "] are reversed");
        if (end > dataSize) {
            throw new SafetensorsException(file, name, "byte range [" + begin + ", " + end + ") lies outside the data section ("
                    + dataSize + " bytes); truncated file?");
        }
        long need;
        try {
            need = Math.multiplyExact(elements, (long) dtype.bytes());
        } catch (ArithmeticException ex) {
            throw new SafetensorsException(file, name, "shape " + sh + " x " + dtype + " overflows a 64-bit byte count");
        }
        if (need != end - begin) {
            throw new SafetensorsException(file, name, dtype + Arrays.toString(shape) + " needs " + need
                    + " bytes but data_offsets [" + begin + ", " + end + ") hold " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static long nonNegativeLong(Path file, String tensor, String what, JsonNode v) throws SafetensorsException {
        if (v == null || !v.isIntegralNumber()) {
            throw new SafetensorsException(file, tensor, what + " is not an integer but " + kind(v));
        }
        if (!v.canConvertToLong()) throw new SafetensorsException(file, tensor, what + " = " + abbreviate(v) + " overflows 64 bits");
        long x = v.longValue();
        if (x < 0) throw new SafetensorsException(file, tensor, what + " = " + x + " is negative");
        return x;
    }

    private static void checkNoOverlap(Path file, java.util.Collection<TensorInfo> infos) throws SafetensorsException {
        List<TensorInfo> sorted = new ArrayList<>();
        for (TensorInfo t : infos) if (t.begin() < t.end()) sorted.add(t); // empty tensors own no bytes
        sorted.sort(Comparator.comparingLong(TensorInfo::begin));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo a = sorted.get(i - 1), b = sorted.get(i);
            if (b.begin() < a.end()) {
                throw new SafetensorsException(file, b.name(), "byte range [" + b.begin() + ", " + b.end()
                        + ") overlaps tensor '" + a.name() + "' [" + a.begin() + ", " + a.end() + ")");
            }
        }
    }

    private static String kind(JsonNode n) {
        if (n == null || n.isMissingNode()) return "nothing";
        return n.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " " + abbreviate(n);
    }

    private static String abbreviate(JsonNode n) {
        String s = String.valueOf(n);
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    /** The file this was opened from. */
    public Path path() { return path; }

    /** Tensor names in header order. */
    public List<String> names() { return List.copyOf(tensors.keySet()); }

    public boolean contains(String name) { return tensors.containsKey(name); }

    /** Number of tensors. */
    public int size() { return tensors.size(); }

    /** Where tensor {@code name} lies; {@link SafetensorsException} naming the file and tensor if absent. */
    public TensorInfo info(String name) throws SafetensorsException {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new SafetensorsException(path, name, "no such tensor in this file");
        return t;
    }

    /** Tensor {@code name} as a view of the mapping (valid until {@link #close}). */
    public TensorData tensor(String name) throws SafetensorsException {
        TensorInfo t = info(name);
        if (!arena.scope().isAlive()) throw new IllegalStateException(path + ": closed");
        return new TensorData(name, t.dtype(), t.shape(), data.asSlice(t.begin(), t.byteSize()));
    }

    /** The {@code __metadata__} entries (empty if absent). */
    public Map<String, String> metadata() { return metadata; }

    /** Size of the data section in bytes. */
    public long dataSize() { return data.byteSize(); }

    /** Unmaps the file; tensors obtained from it must not be used afterwards. Idempotent. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
