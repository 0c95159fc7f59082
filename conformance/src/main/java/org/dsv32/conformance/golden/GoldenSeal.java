package org.dsv32.conformance.golden;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.dsv32.spec.io.TensorData;

/**
 * The seal of a golden file: a SHA-256 over its metadata and tensors, stored in the file's own
 * {@code __metadata__} under {@link GoldenFormat#CONTENT_SHA256} (spec/GOLDEN_FORMAT.md, "The seal"). It does not
 * depend on the header's byte layout (key order, padding, tensor order), so a file written by
 * {@code safetensors.torch.save_file} and one written here seal the same content identically.
 *
 * <p>Every string is hashed as its UTF-8 length (8 bytes, little-endian) followed by its UTF-8 bytes; every count
 * and dimension as 8 bytes little-endian. In order: the count of metadata entries other than the seal, then each
 * entry (key, value) sorted by the key's UTF-8 bytes; the count of tensors, then each tensor sorted by its name's
 * UTF-8 bytes: name, dtype string, rank, each dimension, byte length, the raw (little-endian) bytes. Stateless.
 */
public final class GoldenSeal {
    private GoldenSeal() {}

    /** The hex SHA-256 seal of {@code tensors} and {@code metadata} (the seal key itself, if present, is left out). */
    public static String of(Collection<TensorData> tensors, Map<String, String> metadata) {
        MessageDigest h = sha256();
        List<String> keys = new ArrayList<>();
        for (String k : metadata.keySet()) if (!k.equals(GoldenFormat.CONTENT_SHA256)) keys.add(k);
        keys.sort(GoldenSeal::compareUtf8);
        count(h, keys.size());
        for (String k : keys) {
            string(h, k);
            string(h, metadata.get(k));
        }
        List<TensorData> sorted = new ArrayList<>(tensors);
        sorted.sort((a, b) -> compareUtf8(a.name(), b.name()));
        count(h, sorted.size());
        byte[] buf = new byte[1 << 16];
        for (TensorData t : sorted) {
            string(h, t.name());
            string(h, t.dtype().name());
            long[] shape = t.shape();
            count(h, shape.length);
            for (long d : shape) count(h, d);
            MemorySegment bytes = t.bytes();
            long size = bytes.byteSize();
            count(h, size);
            for (long off = 0; off < size; off += buf.length) {
                int n = (int) Math.min(buf.length, size - off);
                MemorySegment.copy(bytes, ValueLayout.JAVA_BYTE, off, buf, 0, n);
                h.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(h.digest());
    }

    /** The hex SHA-256 of a whole file's bytes (the manifest's per-file checksum). */
    public static String ofFile(Path file) throws IOException {
        MessageDigest h = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) h.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(h.digest());
    }

    /** Orders strings by their UTF-8 bytes, unsigned (= Unicode code point order; Python's sorted(key=str.encode)). */
    static int compareUtf8(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private static void string(MessageDigest h, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        count(h, b.length);
        h.update(b);
    }

    private static void count(MessageDigest h, long n) {
        h.update(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
