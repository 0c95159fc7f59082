package org.dsv32.spec.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Writes a safetensors file: 8-byte little-endian header length, a JSON header
 * {@code {name: {dtype, shape, data_offsets}}} plus {@code __metadata__} (string to string), padded with spaces to
 * a multiple of 8 bytes, then the tensors' bytes in the given order. Atomic and safe: it goes through
 * {@link OutputFiles}, which writes a temporary file beside the target and renames it, so a reader never sees a
 * half-written file, and which refuses to replace anything but a regular file.
 *
 * <p>Deterministic: the same tensors and metadata give byte-identical files (header keys in the given order,
 * metadata sorted by key).
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Writes {@code tensors} to {@code file} through {@link OutputFiles#write}: refused unless the target is a
     * regular file or missing; no temporary file is left behind on failure or interrupt.
     */
    public static void write(Path file, Collection<TensorData> tensors, Map<String, String> metadata) throws IOException {
        byte[] header = header(tensors, metadata);
        OutputFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
            out.write(len.array());
            out.write(header);
            byte[] buf = new byte[1 << 20];
            for (TensorData t : tensors) {
                long size = t.bytes().byteSize();
                for (long off = 0; off < size; off += buf.length) {
                    int n = (int) Math.min(buf.length, size - off);
                    java.lang.foreign.MemorySegment.copy(t.bytes(), ValueLayout.JAVA_BYTE, off, buf, 0, n);
                    out.write(buf, 0, n);
                }
            }
        });
    }

    /** The JSON header bytes, space-padded to a multiple of 8. */
    static byte[] header(Collection<TensorData> tensors, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> meta.put(e.getKey(), e.getValue()));
        }
        Set<String> seen = new HashSet<>();
        long offset = 0;
        for (TensorData t : tensors) {
            if (t.name().equals("__metadata__") || !seen.add(t.name())) {
                throw new IllegalArgumentException("duplicate or reserved tensor name '" + t.name() + "'");
            }
            ObjectNode e = root.putObject(t.name());
            e.put("dtype", t.dtype().name());
            ArrayNode shape = e.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            long end = offset + t.bytes().byteSize();
            e.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int i = json.length; i < padded; i++) out[i] = ' ';
        return out;
    }

    static String headerString(Collection<TensorData> tensors, Map<String, String> metadata) {
        return new String(header(tensors, metadata), StandardCharsets.UTF_8);
    }
}
