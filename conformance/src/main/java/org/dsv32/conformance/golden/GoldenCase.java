package org.dsv32.conformance.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ConfigException;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.io.LittleEndian;
import org.dsv32.spec.io.SafetensorsException;
import org.dsv32.spec.io.SafetensorsFile;
import org.dsv32.spec.io.TensorData;
import org.dsv32.spec.ops.OperationCatalog;
import org.dsv32.spec.tensor.TensorF64;

/**
 * One golden case file, opened, its seal checked, its metadata parsed (spec/GOLDEN_FORMAT.md). Tensors are read on
 * demand; every problem with the file — a missing tensor, a wrong dtype or shape, a bad metadata value — is a
 * {@link GoldenException} of kind CORRUPTED naming the file and the tensor or key, a seal mismatch one of kind
 * TAMPERED. Holds the file (and its shared weights file) mapped until {@link #close}.
 */
public final class GoldenCase implements AutoCloseable, CaseWeights.Source {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final SafetensorsFile data;
    private final SafetensorsFile weightsFile;
    private final Map<String, String> metadata;
    private final String operation;
    private final PrecisionMode mode;
    private final ModelConfig config;
    private final GoldenTolerance tolerance;

    private GoldenCase(Path file, SafetensorsFile data, SafetensorsFile weightsFile, Map<String, String> metadata,
                       String operation, PrecisionMode mode, ModelConfig config, GoldenTolerance tolerance) {
        this.file = file;
        this.data = data;
        this.weightsFile = weightsFile;
        this.metadata = metadata;
        this.operation = operation;
        this.mode = mode;
        this.config = config;
        this.tolerance = tolerance;
    }

    /** Opens {@code file}, checks its seal (and its weights file's), parses its metadata. */
    public static GoldenCase open(Path file) throws GoldenException {
        SafetensorsFile f = openSealed(file, GoldenFormat.CASE_FORMAT);
        SafetensorsFile w = null;
        try {
            Map<String, String> m = f.metadata();
            String op = required(file, m, GoldenFormat.OPERATION);
            if (OperationCatalog.ALL.stream().noneMatch(c -> OperationCatalog.label(c).equals(op))) {
                throw GoldenException.corrupted(file + ": unknown operation '" + op + "' (known: "
                        + OperationCatalog.ALL.stream().map(OperationCatalog::label).toList() + ")");
            }
            PrecisionMode mode;
            try {
                mode = PrecisionMode.parse(required(file, m, GoldenFormat.MODE));
            } catch (IllegalArgumentException e) {
                throw GoldenException.corrupted(file + ": __metadata__ mode: " + e.getMessage());
            }
            ModelConfig config;
            try {
                config = GoldenConfigs.parse(required(file, m, GoldenFormat.CONFIG), file.toString());
            } catch (ConfigException | RuntimeException e) {
                throw GoldenException.corrupted(file + ": __metadata__ config: " + e.getMessage(), e);
            }
            String sf = m.get(GoldenFormat.SCALE_FORMAT);
            if (sf != null && !sf.equals(config.activationScaleFormat().label())) {
                throw GoldenException.corrupted(file + ": __metadata__ scale_format '" + sf + "' disagrees with the config's "
                        + config.activationScaleFormat().label());
            }
            GoldenTolerance tol = GoldenTolerance.parse(file, m.getOrDefault(GoldenFormat.TOLERANCE, "tight"));
            String wf = m.get(GoldenFormat.WEIGHTS_FILE);
            if (wf != null) w = openWeights(file, wf, required(file, m, GoldenFormat.WEIGHTS_SHA256));
            return new GoldenCase(file, f, w, m, op, mode, config, tol);
        } catch (GoldenException | RuntimeException e) {
            f.close();
            if (w != null) w.close();
            throw e;
        }
    }

    /** Opens a golden file and checks its format and seal: CORRUPTED if unreadable or unsealed, TAMPERED on a mismatch. */
    static SafetensorsFile openSealed(Path file, String format) throws GoldenException {
        if (!Files.isRegularFile(file)) throw GoldenException.corrupted(file + ": missing");
        SafetensorsFile f;
        try {
            f = SafetensorsFile.open(file);
        } catch (SafetensorsException e) {
            throw GoldenException.corrupted(e.getMessage(), e);
        }
        try {
            Map<String, String> m = f.metadata();
            String stored = m.get(GoldenFormat.CONTENT_SHA256);
            if (stored == null) throw GoldenException.corrupted(file + ": no " + GoldenFormat.CONTENT_SHA256 + " in __metadata__ (unsealed)");
            String actual = sealOf(f);
            if (!stored.equalsIgnoreCase(actual)) {
                throw GoldenException.tampered(file + ": content sha256 " + abbreviate(actual) + " differs from the sealed "
                        + abbreviate(stored) + " (bytes changed since the file was sealed)");
            }
            String fmt = m.get(GoldenFormat.FORMAT);
            if (!format.equals(fmt)) throw GoldenException.corrupted(file + ": __metadata__ format is '" + fmt + "', expected '" + format + "'");
            String v = m.get(GoldenFormat.FORMAT_VERSION);
            if (!GoldenFormat.VERSION.equals(v)) {
                throw GoldenException.corrupted(file + ": format_version '" + v + "' is not the supported " + GoldenFormat.VERSION);
            }
            return f;
        } catch (GoldenException | RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** The seal computed over a file's current content. */
    static String sealOf(SafetensorsFile f) throws GoldenException {
        List<TensorData> all = new ArrayList<>();
        try {
            for (String n : f.names()) all.add(f.tensor(n));
        } catch (SafetensorsException e) {
            throw GoldenException.corrupted(e.getMessage(), e);
        }
        return GoldenSeal.of(all, f.metadata());
    }

    private static SafetensorsFile openWeights(Path file, String name, String sha) throws GoldenException {
        Path dir = file.toAbsolutePath().getParent();
        Path wf = dir.resolve(name).normalize();
        if (!wf.startsWith(dir.normalize())) throw GoldenException.corrupted(file + ": weights_file '" + name + "' lies outside the case's directory");
        SafetensorsFile w = openSealed(wf, GoldenFormat.WEIGHTS_FORMAT);
        String seal = w.metadata().get(GoldenFormat.CONTENT_SHA256);
        if (!seal.equalsIgnoreCase(sha)) {
            w.close();
            throw GoldenException.tampered(file + ": weights_file " + name + " has seal " + abbreviate(seal)
                    + " but the case was generated with " + abbreviate(sha));
        }
        return w;
    }

    static String abbreviate(String sha) { return sha == null ? "null" : sha.length() > 12 ? sha.substring(0, 12) + "…" : sha; }

    private static String required(Path file, Map<String, String> m, String key) throws GoldenException {
        String v = m.get(key);
        if (v == null) throw GoldenException.corrupted(file + ": no '" + key + "' in __metadata__");
        return v;
    }

    // ---------------------------------------------------------------- what the case says

    @Override
    public Path file() { return file; }

    /** The file name without its extension. */
    public String name() {
        String n = file.getFileName().toString();
        return n.endsWith(GoldenFormat.EXTENSION) ? n.substring(0, n.length() - GoldenFormat.EXTENSION.length()) : n;
    }

    public String operation() { return operation; }

    public PrecisionMode mode() { return mode; }

    @Override
    public ModelConfig config() { return config; }

    public GoldenTolerance tolerance() { return tolerance; }

    public Map<String, String> metadata() { return metadata; }

    public String meta(String key) throws GoldenException { return required(file, metadata, key); }

    public Optional<String> metaOptional(String key) { return Optional.ofNullable(metadata.get(key)); }

    public int metaInt(String key, int fallback) throws GoldenException {
        String v = metadata.get(key);
        if (v == null) return fallback;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw GoldenException.corrupted(file + ": __metadata__ " + key + " = '" + v + "' is not an integer");
        }
    }

    public double metaDouble(String key, double fallback) throws GoldenException {
        String v = metadata.get(key);
        if (v == null) return fallback;
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw GoldenException.corrupted(file + ": __metadata__ " + key + " = '" + v + "' is not a number");
        }
    }

    public boolean metaBoolean(String key) throws GoldenException {
        String v = metadata.get(key);
        if (v == null || v.equals("false")) return false;
        if (v.equals("true")) return true;
        throw GoldenException.corrupted(file + ": __metadata__ " + key + " = '" + v + "' is not true or false");
    }

    /**
     * The token counts of the successive calls ({@code steps}, a JSON array); one call with all {@code total} tokens
     * when absent. They must add up to {@code total}.
     */
    public int[] steps(int total) throws GoldenException {
        String v = metadata.get(GoldenFormat.STEPS);
        if (v == null) return new int[] {total};
        int[] s;
        try {
            JsonNode n = JSON.readTree(v);
            if (!n.isArray() || n.isEmpty()) throw new IllegalArgumentException("not a non-empty array");
            s = new int[n.size()];
            for (int i = 0; i < s.length; i++) {
                if (!n.get(i).canConvertToInt() || n.get(i).intValue() < 1) throw new IllegalArgumentException("entry " + i + " is not a positive integer");
                s[i] = n.get(i).intValue();
            }
        } catch (Exception e) {
            throw GoldenException.corrupted(file + ": __metadata__ steps = '" + v + "': " + e.getMessage());
        }
        if (Arrays.stream(s).sum() != total) {
            throw GoldenException.corrupted(file + ": __metadata__ steps " + v + " add up to " + Arrays.stream(s).sum() + ", not the " + total + " input tokens");
        }
        return s;
    }

    // ---------------------------------------------------------------- tensors

    /** Whether the case (or its weights file, for weight names) holds {@code name}. */
    @Override
    public boolean has(String name) {
        return data.contains(name) || (weightsFile != null && weightsFile.contains(name));
    }

    /** The raw tensor {@code name}: from the case file, else from its weights file. */
    @Override
    public TensorData raw(String name) throws GoldenException {
        try {
            if (data.contains(name)) return data.tensor(name);
            if (weightsFile != null && weightsFile.contains(name)) return weightsFile.tensor(name);
        } catch (SafetensorsException e) {
            throw GoldenException.corrupted(e.getMessage(), e);
        }
        throw GoldenException.corrupted(file + ": tensor '" + name + "' is missing"
                + (weightsFile == null ? "" : " (looked in the case and in " + weightsFile.path().getFileName() + ")"));
    }

    /** A floating-point tensor (F64, F32, F16, BF16 or F8) as float64, with its shape. */
    public TensorF64 tensor(String name) throws GoldenException {
        TensorData t = raw(name);
        if (!t.dtype().isFloating()) throw GoldenException.corrupted(file + ": tensor '" + name + "' is " + t.dtype() + ", expected a floating-point type");
        int[] shape = intShape(t);
        if (shape.length == 0) shape = new int[] {1};
        return TensorF64.wrap(t.toDoubles(), shape);
    }

    /** A floating tensor that must have exactly {@code shape}. */
    public TensorF64 tensor(String name, int... shape) throws GoldenException {
        TensorF64 t = tensor(name);
        if (!Arrays.equals(t.shape(), shape)) {
            throw GoldenException.corrupted(file + ": tensor '" + name + "' has shape " + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(shape));
        }
        return t;
    }

    public TensorF64 input(String name) throws GoldenException { return tensor(GoldenFormat.INPUT + name); }

    public TensorF64 expected(String name) throws GoldenException { return tensor(GoldenFormat.EXPECTED + name); }

    public TensorF64 expected(String name, int... shape) throws GoldenException { return tensor(GoldenFormat.EXPECTED + name, shape); }

    /** An integer tensor (I32, I64, I16, I8, U8) flattened, with every value in int range. */
    public int[] ints(String name) throws GoldenException {
        TensorData t = raw(name);
        if (t.dtype().isFloating() || t.dtype() == DType.BOOL) {
            throw GoldenException.corrupted(file + ": tensor '" + name + "' is " + t.dtype() + ", expected an integer type (I32 or I64)");
        }
        long n = t.elementCount();
        int[] out = new int[Math.toIntExact(n)];
        for (int i = 0; i < out.length; i++) {
            double v = LittleEndian.getAsDouble(t.bytes(), t.dtype(), i);
            if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw GoldenException.corrupted(file + ": tensor '" + name + "'[" + i + "] = " + v + " overflows int32");
            out[i] = (int) v;
        }
        return out;
    }

    /** A rank-2 integer tensor [rows][width] as rows, each with its trailing -1 padding removed. */
    public int[][] indexRows(String name, int rows) throws GoldenException {
        TensorData t = raw(name);
        long[] s = t.shape();
        if (s.length != 2 || s[0] != rows) {
            throw GoldenException.corrupted(file + ": tensor '" + name + "' has shape " + Arrays.toString(s) + ", expected [" + rows + "][k]");
        }
        int[] flat = ints(name);
        int w = (int) s[1];
        int[][] out = new int[rows][];
        for (int r = 0; r < rows; r++) {
            int n = 0;
            while (n < w && flat[r * w + n] >= 0) n++;
            for (int c = n; c < w; c++) {
                if (flat[r * w + c] != -1) throw GoldenException.corrupted(file + ": tensor '" + name + "' row " + r + ": index after the -1 padding");
            }
            out[r] = Arrays.copyOfRange(flat, r * w, r * w + n);
        }
        return out;
    }

    /** The raw bytes of a one-byte tensor ({@code F8_E4M3} codes), checked to be of {@code dtype}. */
    public byte[] bytes(String name, DType dtype) throws GoldenException {
        TensorData t = raw(name);
        if (t.dtype() != dtype) throw GoldenException.corrupted(file + ": tensor '" + name + "' is " + t.dtype() + ", expected " + dtype);
        return t.bytes().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    /** The shape of tensor {@code name}. */
    public int[] shape(String name) throws GoldenException { return intShape(raw(name)); }

    private int[] intShape(TensorData t) throws GoldenException {
        long[] s = t.shape();
        int[] out = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            if (s[i] > Integer.MAX_VALUE) throw GoldenException.corrupted(file + ": tensor '" + t.name() + "' dimension " + s[i] + " is too large");
            out[i] = (int) s[i];
        }
        return out;
    }

    /** The weights of this case, by Hugging Face name. */
    public CaseWeights weights() { return new CaseWeights(this); }

    @Override
    public void close() {
        data.close();
        if (weightsFile != null) weightsFile.close();
    }
}
