package org.dsv32.spec.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/** Test helpers: split a safetensors file into header tree and data, and reassemble (possibly corrupted) files. */
final class SafetensorsTestFiles {
    private SafetensorsTestFiles() {}

    static final ObjectMapper JSON = new ObjectMapper();

    /** A file split into its parts: the header as a mutable tree, the header's byte length, the data section. */
    record Parts(ObjectNode header, long headerLength, int jsonLength, byte[] data) {}

    static Parts split(byte[] file) {
        long n = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String text = new String(file, 8, (int) n, StandardCharsets.UTF_8);
        try {
            ObjectNode header = (ObjectNode) JSON.readTree(text);
            return new Parts(header, n, text.stripTrailing().getBytes(StandardCharsets.UTF_8).length,
                    Arrays.copyOfRange(file, (int) (8 + n), file.length));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** 8-byte length, header bytes, data: a file with any header at all. */
    static byte[] assemble(byte[] header, byte[] data) { return assemble(header.length, header, data); }

    /** As {@link #assemble(byte[], byte[])} but with a stated header length that may lie. */
    static byte[] assemble(long statedLength, byte[] header, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(statedLength).put(header).put(data);
        return b.array();
    }

    static byte[] assemble(ObjectNode header, byte[] data) {
        try {
            return assemble(JSON.writeValueAsBytes(header), data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A tensor of {@code dtype} and {@code shape} filled with random bytes (any bit pattern, NaNs included). */
    static TensorData random(String name, DType dtype, Random rnd, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        byte[] bytes = new byte[(int) n * dtype.bytes()];
        rnd.nextBytes(bytes);
        return TensorData.ofBytes(name, dtype, bytes, shape);
    }

    static boolean sameBytes(MemorySegment a, MemorySegment b) { return a.mismatch(b) == -1; }

    static Path write(Path dir, String name, byte[] bytes) {
        try {
            return Files.write(dir.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
