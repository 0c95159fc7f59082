package org.dsv32.conformance.golden;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.checkpoint.CheckpointLayout;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.io.SafetensorsWriter;
import org.dsv32.spec.io.TensorData;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.Weight;

/**
 * Collects the tensors and metadata of one golden case (or of a shared weights file) and writes it sealed
 * ({@link GoldenSeal}). Inputs are stored as F32 — the generator draws them on the fp32 grid, so a float32 backend
 * receives exactly what the reference did, and a value off that grid is refused as a generator bug; expected
 * outputs as F64, the reference's own values (spec/GOLDEN_FORMAT.md says why). Deterministic: the same calls give
 * the same bytes. Mutable; one per file.
 */
public final class GoldenCaseWriter {
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final List<TensorData> tensors = new ArrayList<>();

    private GoldenCaseWriter() {}

    /** A case of {@code operation} (an OperationCatalog label) bound to {@code config} and {@code mode}. */
    public static GoldenCaseWriter forCase(String name, String operation, ModelConfig config, PrecisionMode mode) {
        GoldenCaseWriter w = new GoldenCaseWriter();
        w.meta(GoldenFormat.FORMAT, GoldenFormat.CASE_FORMAT);
        w.meta(GoldenFormat.FORMAT_VERSION, GoldenFormat.VERSION);
        w.meta(GoldenFormat.OPERATION, operation);
        w.meta(GoldenFormat.MODE, mode.label());
        w.meta(GoldenFormat.SCALE_FORMAT, config.activationScaleFormat().label());
        w.meta(GoldenFormat.CONFIG, GoldenConfigs.toJson(config));
        w.meta(GoldenFormat.GENERATOR, "dsv32 golden generate: the float64 reference backend");
        w.meta(GoldenFormat.DESCRIPTION, name);
        return w;
    }

    /** A shared weights file (a checkpoint fragment under Hugging Face names) for {@code config}. */
    public static GoldenCaseWriter forWeights(ModelConfig config) {
        GoldenCaseWriter w = new GoldenCaseWriter();
        w.meta(GoldenFormat.FORMAT, GoldenFormat.WEIGHTS_FORMAT);
        w.meta(GoldenFormat.FORMAT_VERSION, GoldenFormat.VERSION);
        w.meta(GoldenFormat.CONFIG, GoldenConfigs.toJson(config));
        return w;
    }

    public GoldenCaseWriter meta(String key, String value) {
        if (key.equals(GoldenFormat.CONTENT_SHA256)) throw new IllegalArgumentException("the seal is computed on write");
        metadata.put(key, value);
        return this;
    }

    public GoldenCaseWriter meta(String key, long value) { return meta(key, Long.toString(value)); }

    /** The metadata so far (without the seal). */
    public Map<String, String> metadata() { return java.util.Collections.unmodifiableMap(metadata); }

    /** {@code input.<name>} as F32 (every value must be exactly representable in fp32). */
    public GoldenCaseWriter input(String name, TensorF64 x) { return f32(GoldenFormat.INPUT + name, x); }

    /** {@code input.<name>} as I32. */
    public GoldenCaseWriter inputInts(String name, int[] v) {
        tensors.add(TensorData.ofInts(GoldenFormat.INPUT + name, v, v.length));
        return this;
    }

    /** {@code input.<name>} as I32 [rows][width], rows shorter than {@code width} padded with -1. */
    public GoldenCaseWriter inputIndices(String name, int[][] rows, int width) {
        tensors.add(TensorData.ofInts(GoldenFormat.INPUT + name, padded(rows, width), rows.length, width));
        return this;
    }

    /** {@code expected.<name>} as F64. */
    public GoldenCaseWriter expected(String name, TensorF64 y) {
        tensors.add(TensorData.ofDoubles(GoldenFormat.EXPECTED + name, y.toArray(), longs(y.shape())));
        return this;
    }

    /** {@code expected.<name>} as I32 [rows][width], rows shorter than {@code width} padded with -1. */
    public GoldenCaseWriter expectedIndices(String name, int[][] rows, int width) {
        tensors.add(TensorData.ofInts(GoldenFormat.EXPECTED + name, padded(rows, width), rows.length, width));
        return this;
    }

    /** {@code expected.<name>} as raw bytes of {@code dtype} (FP8 codes). */
    public GoldenCaseWriter expectedBytes(String name, DType dtype, byte[] bytes, long... shape) {
        tensors.add(TensorData.ofBytes(GoldenFormat.EXPECTED + name, dtype, bytes, shape));
        return this;
    }

    /** {@code expected.<name>} as F32 (values that are fp32 by definition: act_quant scales). */
    public GoldenCaseWriter expectedFloats(String name, float[] v, long... shape) {
        tensors.add(TensorData.ofFloats(GoldenFormat.EXPECTED + name, v, shape));
        return this;
    }

    /** {@code cache.<name>} as F32. */
    public GoldenCaseWriter cache(String name, TensorF64 x) { return f32(GoldenFormat.CACHE + name, x); }

    /** {@code cache.<name>} as raw bytes of {@code dtype}. */
    public GoldenCaseWriter cacheBytes(String name, DType dtype, byte[] bytes, long... shape) {
        tensors.add(TensorData.ofBytes(GoldenFormat.CACHE + name, dtype, bytes, shape));
        return this;
    }

    /** {@code cache.<name>} as F32 values. */
    public GoldenCaseWriter cacheFloats(String name, float[] v, long... shape) {
        tensors.add(TensorData.ofFloats(GoldenFormat.CACHE + name, v, shape));
        return this;
    }

    /** A 2-D weight under its own (Hugging Face) name: FP8 codes plus {@code *_scale_inv}, or a dense tensor. */
    public GoldenCaseWriter weight(Weight w) { return weight(w, false); }

    /** A 1-D weight (norm weights and biases, the router's correction bias) under its own name. */
    public GoldenCaseWriter vector(Weight w) { return weight(w, true); }

    /** Raw checkpoint tensors (a generated checkpoint's, already under their names). */
    public GoldenCaseWriter tensors(List<TensorData> list) {
        tensors.addAll(list);
        return this;
    }

    private GoldenCaseWriter weight(Weight w, boolean vector) {
        switch (w) {
            case Fp8BlockWeight f -> {
                tensors.add(new TensorData(f.name(), DType.F8_E4M3, new long[] {f.rows(), f.cols()}, f.codes()));
                tensors.add(new TensorData(CheckpointLayout.scaleOf(f.name()), DType.F32, new long[] {f.scaleRows(), f.scaleCols()}, f.scales()));
            }
            case DenseWeight d -> {
                if (vector && d.rows() != 1) throw new IllegalArgumentException(d.name() + ": a vector must have one row");
                long[] shape = vector ? new long[] {d.cols()} : new long[] {d.rows(), d.cols()};
                tensors.add(new TensorData(d.name(), d.dtype(), shape, d.data()));
            }
        }
        return this;
    }

    /** The seal this writer's content would get. */
    public String seal() { return GoldenSeal.of(tensors, metadata); }

    /** Seals and writes the file (atomically); returns the seal. */
    public String write(Path file) throws IOException {
        String seal = seal();
        Map<String, String> m = new LinkedHashMap<>(metadata);
        m.put(GoldenFormat.CONTENT_SHA256, seal);
        SafetensorsWriter.write(file, tensors, m);
        return seal;
    }

    /** Total bytes of tensor data so far. */
    public long tensorBytes() {
        long n = 0;
        for (TensorData t : tensors) n += t.bytes().byteSize();
        return n;
    }

    private GoldenCaseWriter f32(String name, TensorF64 x) {
        float[] f = new float[x.size()];
        for (int i = 0; i < f.length; i++) {
            double v = x.getFlat(i);
            f[i] = (float) v;
            if (f[i] != v && !Double.isNaN(v)) {
                throw new IllegalArgumentException(name + "[" + i + "] = " + v + " is not representable in fp32 (generator bug)");
            }
        }
        tensors.add(TensorData.ofFloats(name, f, longs(x.shape())));
        return this;
    }

    static int[] padded(int[][] rows, int width) {
        int[] out = new int[rows.length * width];
        java.util.Arrays.fill(out, -1);
        for (int r = 0; r < rows.length; r++) {
            if (rows[r].length > width) throw new IllegalArgumentException("row " + r + " has " + rows[r].length + " > " + width + " entries");
            System.arraycopy(rows[r], 0, out, r * width, rows[r].length);
        }
        return out;
    }

    static long[] longs(int[] s) {
        long[] l = new long[s.length];
        for (int i = 0; i < s.length; i++) l[i] = s[i];
        return l;
    }
}
