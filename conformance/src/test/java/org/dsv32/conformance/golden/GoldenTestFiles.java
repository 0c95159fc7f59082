package org.dsv32.conformance.golden;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.io.LittleEndian;
import org.dsv32.spec.io.SafetensorsFile;
import org.dsv32.spec.io.SafetensorsWriter;
import org.dsv32.spec.io.TensorData;

/** Copies of the shipped golden set and surgical edits of golden files, for the tests. */
final class GoldenTestFiles {
    private GoldenTestFiles() {}

    /** Small cases of several kinds (one uses a shared weights file) for the fast directory tests. */
    static final List<String> SMALL = List.of("act_quant-fp8-ue8m0-mixed-rows", "rope-exact-ue8m0-interleaved",
            "rope-fp8-ue8m0-half-split", "linear-fp8-ue8m0-one-token-k128", "mtp-fp8-ue8m0-from-position-0");

    /** A directory holding the given shipped cases (and the weights files they use), sealed with a fresh manifest. */
    static Path subset(Path shipped, Path dir, List<String> names) throws IOException {
        Files.createDirectories(dir);
        for (String n : names) {
            Path src = shipped.resolve(n + GoldenFormat.EXTENSION);
            Files.copy(src, dir.resolve(src.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            try (SafetensorsFile f = SafetensorsFile.open(src)) {
                String wf = f.metadata().get(GoldenFormat.WEIGHTS_FILE);
                if (wf != null) {
                    Files.createDirectories(dir.resolve(wf).getParent());
                    Files.copy(shipped.resolve(wf), dir.resolve(wf), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        GoldenSealer.seal(dir);
        return dir;
    }

    /** Rewrites {@code file} with {@code f} applied to every element of the F64 tensor {@code tensor}; metadata (and seal) unchanged. */
    static void mapTensor(Path file, String tensor, DoubleUnaryOperator f) throws IOException {
        rewrite(file, t -> {
            if (!t.name().equals(tensor)) return t;
            if (t.dtype() != DType.F64) throw new IllegalArgumentException(tensor + " is " + t.dtype());
            double[] v = t.toDoubles();
            for (int i = 0; i < v.length; i++) v[i] = f.applyAsDouble(v[i]);
            return TensorData.ofDoubles(t.name(), v, t.shape());
        }, m -> m);
    }

    /** Rewrites {@code file} with each tensor passed through {@code tensors} (null drops it) and the metadata through {@code meta}. */
    static void rewrite(Path file, UnaryOperator<TensorData> tensors, UnaryOperator<Map<String, String>> meta) throws IOException {
        List<TensorData> out = new ArrayList<>();
        Map<String, String> m;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String n : f.names()) {
                TensorData t = f.tensor(n);
                TensorData copy = new TensorData(t.name(), t.dtype(), t.shape(), MemorySegment.ofArray(t.bytes().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
                TensorData r = tensors.apply(copy);
                if (r != null) out.add(r);
            }
            m = meta.apply(new LinkedHashMap<>(f.metadata()));
        }
        SafetensorsWriter.write(file, out, m);
    }

    /** Cuts the last {@code bytes} bytes off a file. */
    static void truncate(Path file, long bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(f.length() - bytes);
        }
    }

    /** Flips the low bit of the byte {@code fromEnd} bytes before the end (inside the last tensor's data). */
    static void flipByte(Path file, long fromEnd) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            long pos = f.length() - fromEnd;
            f.seek(pos);
            int b = f.read();
            f.seek(pos);
            f.write(b ^ 1);
        }
    }

    /** A F64 tensor converted to F32 (what a PyTorch export in float32 would hold). */
    static TensorData toF32(TensorData t) {
        double[] v = t.toDoubles();
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return TensorData.ofFloats(t.name(), f, t.shape());
    }

    /** An I32 tensor converted to I64. */
    static TensorData toI64(TensorData t) {
        long n = t.elementCount();
        MemorySegment seg = MemorySegment.ofArray(new byte[(int) (8 * n)]);
        for (int i = 0; i < n; i++) seg.set(LittleEndian.I64, 8L * i, (long) LittleEndian.getAsDouble(t.bytes(), t.dtype(), i));
        return new TensorData(t.name(), DType.I64, t.shape(), seg);
    }
}
