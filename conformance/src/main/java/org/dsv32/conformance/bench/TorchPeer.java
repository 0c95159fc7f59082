package org.dsv32.conformance.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.dsv32.optimized.SimdThreads;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.io.SafetensorsFile;
import org.dsv32.spec.io.SafetensorsWriter;
import org.dsv32.spec.io.TensorData;
import org.dsv32.spec.tolerance.KernelTolerances;

/**
 * PyTorch as a peer of {@code ./dsv32 bench} ({@code --peer torch}): the same FP8 GEMM/GEMV products through
 * {@code torch.matmul} in float32 ({@code torch-fp32}) and bfloat16 ({@code torch-bf16}), run by
 * {@code conformance/python/bench_torch.py} in a python that imports torch; and the layers that have a PyTorch form
 * ({@link TorchLayer}: MLA decode, MoE) through {@link #runLayer}, one at a time while the layer's workload is open.
 *
 * <p>For every product {@link #add} writes the exact inputs to a safetensors file (the act_quant values a [M][K]
 * as F32, W's e4m3 codes and its F32 block scales) and keeps the float64 reference of its checked part
 * ({@link Fp8GemmWorkload.Expected}). {@link #run} then runs the script twice: first it computes y = a W^T once per
 * dtype on W dequantised to that dtype and writes the outputs, which are compared here with the reference; then it
 * times only the products and dtypes that agreed, cycling through copies of W of at least
 * {@link Fp8GemmWorkload#COLD_BYTES} in all (cold weights, as simd's rows), with the same thread count as simd and
 * this run's timer settings. A dtype that disagrees is reported, not timed, and named in the failures.
 *
 * <p>Tolerances, in units of T = the sum of absolute products (the reference's): fp32,
 * {@link KernelTolerances#fp32AnyOrder} (W dequantised in float32 and any summation order, as EJML); bf16, that
 * plus {@value #BF16_EXTRA_UNITS} units of bf16 rounding 2^-8: W rounded to bf16 (a is exact: an e4m3 value times a
 * power of two) and the bf16 output, |y| &lt;= T, plus one unit of margin for a library that rounds a partial sum
 * to bf16 once.
 */
public final class TorchPeer {
    /**
     * The normwise bound of a layer's bf16 form: 4 times the fp32 layer bound, 2^-4. Its activations and weights are
     * rounded to bf16 (2^-9 relative) at about ten points, and a softmax turns an error of its scores into a relative
     * error of its probabilities as large as the scores' spread times that error (spec/TOLERANCES.md §5): measured at
     * the real MLA decode, 0.025-0.028 (the fp32 form: 2·10⁻⁶). The check catches a wrong formula (normwise errors of
     * order 1), not a slip of bf16 size.
     */
    static final double BF16_LAYER_NORMWISE = 4 * LayerTolerance.NORMWISE;

    /** Units of 2^-8 T added to the fp32 bound for bf16 (see the class comment). */
    static final int BF16_EXTRA_UNITS = 3;
    static final String[] DTYPES = {"fp32", "bf16"};

    /** A progress line printer (the runner's). */
    @FunctionalInterface
    public interface Progress {
        void say(String format, Object... args);
    }

    /** How to start the script: the python command and the script's path. */
    public record Launch(List<String> python, Path script, String torchVersion) {}

    private record Case(String name, Path input, Path output, Map<String, Object> dims, double flops, double weights,
                        Fp8GemmWorkload.Expected expected, int copies) {}

    private final Launch launch;
    private final Path dir;
    private final List<Case> cases = new ArrayList<>();
    private final ObjectMapper json = new ObjectMapper();

    /** A peer started with {@code launch}, writing its files under {@code dir} (which must exist). */
    public TorchPeer(Launch launch, Path dir) {
        this.launch = launch;
        this.dir = dir;
    }

    // ---- finding python with torch

    /**
     * The first python that imports torch: {@code $DSV32_PYTHON} when set (then only it), else {@code python3},
     * else {@code /usr/bin/python3}; with the script {@code conformance/python/bench_torch.py} found beside this
     * class's jar or classes. Empty, with the reason in {@code why}, when there is none.
     */
    public static Optional<Launch> find(String dsv32Python, StringBuilder why) {
        Optional<Path> script = script();
        if (script.isEmpty()) {
            why.append("conformance/python/bench_torch.py not found above ").append(codeLocation());
            return Optional.empty();
        }
        List<String> candidates = dsv32Python != null && !dsv32Python.isBlank() ? List.of(dsv32Python) : List.of("python3", "/usr/bin/python3");
        for (String py : candidates) {
            String version = torchVersion(py);
            if (version != null) return Optional.of(new Launch(List.of(py), script.get(), version));
        }
        why.append("no python with PyTorch (tried ").append(String.join(", ", candidates)).append("; DSV32_PYTHON names another)");
        return Optional.empty();
    }

    /** torch.__version__ as {@code python} prints it, or null when it cannot import torch (or does not run). */
    static String torchVersion(String python) {
        try {
            Process p = new ProcessBuilder(python, "-c", "import torch; print(torch.__version__)").redirectErrorStream(false).start();
            p.getOutputStream().close();
            p.getErrorStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? new String(out).trim() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static String codeLocation() {
        try {
            return Path.of(TorchPeer.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (Exception e) {
            return "(unknown location)";
        }
    }

    /** conformance/python/bench_torch.py in an ancestor of this class's jar or classes folder. */
    static Optional<Path> script() {
        try {
            Path p = Path.of(TorchPeer.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
            for (; p != null; p = p.getParent()) {
                for (Path c : List.of(p.resolve("python/bench_torch.py"), p.resolve("conformance/python/bench_torch.py"))) {
                    if (Files.isRegularFile(c)) return Optional.of(c);
                }
            }
        } catch (Exception e) {
            // no code source (unusual class loader): reported as not found
        }
        return Optional.empty();
    }

    // ---- the products

    /** Writes the inputs of {@code w}'s product and keeps its reference (while w is open). */
    public void add(Fp8GemmWorkload w) {
        String name = "gemm." + w.label();
        Path in = dir.resolve(name + ".in.safetensors"), out = dir.resolve(name + ".out.safetensors");
        List<TensorData> ts = List.of(
                TensorData.ofFloats("a", w.quantizedActivation(), w.m, w.k),
                new TensorData("w.codes", DType.F8_E4M3, new long[] {w.n, w.k}, w.weight.codes()),
                new TensorData("w.scales", DType.F32, new long[] {w.weight.scaleRows(), w.weight.scaleCols()}, w.weight.scales()));
        try {
            SafetensorsWriter.write(in, ts, Map.of("block_rows", "" + w.weight.blockRows(), "block_cols", "" + w.weight.blockCols()));
        } catch (IOException e) {
            throw new IllegalStateException(in + ": writing the torch peer's inputs: " + e.getMessage(), e);
        }
        Map<String, Object> dims = new LinkedHashMap<>();
        dims.put("m", w.m);
        dims.put("n", w.n);
        dims.put("k", w.k);
        int copies = (int) Math.max(1, Math.min(Fp8GemmWorkload.MAX_COPIES, (Fp8GemmWorkload.COLD_BYTES + 4L * w.n * w.k - 1) / (4L * w.n * w.k)));
        cases.add(new Case(name, in, out, dims, w.flops(), (double) w.n * w.k, w.expected(), copies));
    }

    /**
     * Runs the script on every product added (compute, compare, then time what agreed) and adds the rows to
     * {@code report}; disagreements go to {@code failures} and the report's skipped list. If the script fails the
     * report says so and the run goes on.
     */
    public void run(BenchReport report, BenchTimer timer, List<String> failures, Progress progress) {
        if (cases.isEmpty()) return;
        int threads = SimdThreads.threads();
        progress.say("torch %s: computing %d products in fp32 and bf16 (%s)", launch.torchVersion(), cases.size(), launch.python());
        Map<String, List<String>> agreed = new LinkedHashMap<>();
        try {
            script(manifest("compute", threads, timer, (Map<String, List<String>>) null), "compute");
            for (Case c : cases) {
                List<String> ok = new ArrayList<>();
                try (SafetensorsFile f = SafetensorsFile.open(c.output())) {
                    for (String dt : DTYPES) {
                        String who = "torch-" + dt;
                        float[] y = floats(f, "y." + dt);
                        try {
                            c.expected().compare(who, y, tolerance(dt, (Integer) c.dims().get("k")));
                            ok.add(dt);
                        } catch (IllegalStateException e) {
                            failures.add(e.getMessage());
                            report.skip("fp8_gemm", who, "DISAGREES, not timed: " + e.getMessage());
                            progress.say("fp8_gemm %s: %s DISAGREES: %s", c.expected().label(), who, e.getMessage());
                        }
                    }
                }
                if (!ok.isEmpty()) agreed.put(c.name(), ok);
            }
            if (agreed.isEmpty()) return;
            progress.say("torch: timing %d products (cold weights, %d threads)", agreed.size(), threads);
            JsonNode timed = script(manifest("time", threads, timer, agreed), "time");
            for (JsonNode r : timed.get("results")) {
                Case c = cases.stream().filter(x -> x.name().equals(r.get("case").asText())).findFirst().orElseThrow(
                        () -> new IllegalStateException("bench_torch.py timed an unknown product " + r.get("case")));
                String dt = r.get("dtype").asText();
                BenchTimer.Timing t = new BenchTimer.Timing(r.get("median").asDouble(), r.get("best").asDouble(), r.get("runs").asInt(),
                        r.has("cpu_share") ? r.get("cpu_share").asDouble() : Double.NaN);
                double bytesPer = dt.equals("fp32") ? 4 : 2;
                String note = String.format(Locale.ROOT, "torch %s torch.matmul(a, W^T) on W dequantised to %s before timing, %d threads, "
                        + "cycling through %s copies of W (cold weights); %s", timed.get("torch_version").asText(), dt.equals("fp32") ? "float32" : "bfloat16",
                        timed.get("threads").asInt(), r.get("copies").asText(), r.path("library").asText(""));
                report.addAfterGroup(new BenchResult("fp8_gemm", c.dims(), "torch-" + dt, t, c.flops(), bytesPer * c.weights(), note));
            }
        } catch (IOException | IllegalStateException e) {
            report.skip("fp8_gemm", "torch", "the torch peer failed: " + e.getMessage());
            progress.say("TORCH PEER FAILED (the other rows stand): %s", e.getMessage());
        }
    }

    /**
     * Runs {@code w}'s PyTorch form ({@link TorchLayer}) while w is open: writes its inputs, computes it once per dtype,
     * compares each output with the float64 reference within {@link #layerBound} (normwise 2^-6 in fp32, the bench's
     * layer bound; 2^-4 in bf16), times what agreed with this run's timer and adds the rows after w's group. A
     * disagreement goes to {@code failures} and the skipped list; a failing script is reported and the run goes on.
     * The input and output files are removed afterwards.
     */
    public void runLayer(LayerWorkload w, Backend reference, BenchReport report, BenchTimer timer, List<String> failures, Progress progress) {
        if (!(w instanceof TorchLayer layer)) return;
        String label = w.op() + " " + BenchRunner.shapeLabel(w.shape());
        String name = (w.op() + "." + BenchRunner.shapeLabel(w.shape())).replaceAll("[^A-Za-z0-9._-]", "_");
        Path in = dir.resolve(name + ".in.safetensors"), out = dir.resolve(name + ".out.safetensors");
        int threads = SimdThreads.threads();
        try {
            progress.say("%s: torch %s, computing in fp32 and bf16 (the reference in exact mode first)", label, launch.torchVersion());
            TorchLayer.Case c = layer.torchCase(in, reference);
            List<String> ok = new ArrayList<>();
            script(manifest("compute", threads, timer, List.of(layerEntry(c, name, in, out, List.of(DTYPES)))), "compute");
            try (SafetensorsFile f = SafetensorsFile.open(out)) {
                for (String dt : DTYPES) {
                    String who = "torch-" + dt;
                    float[] y = floats(f, "y." + dt);
                    double[] got = new double[c.expected().length];
                    if (y.length < got.length) throw new IllegalStateException(out + ": y." + dt + " has " + y.length + " values, expected at least " + got.length);
                    for (int i = 0; i < got.length; i++) got[i] = y[i];
                    try {
                        double bound = layerBound(dt), e = LayerTolerance.check(c.what(), who, got, c.expected(), bound);
                        ok.add(dt);
                        progress.say("%s: %s agrees, normwise relative error %.2g (bound %.2g)", label, who, e, bound);
                    } catch (IllegalStateException e) {
                        failures.add(e.getMessage());
                        report.skip(w.op(), who, "DISAGREES, not timed: " + e.getMessage());
                        progress.say("%s: %s DISAGREES: %s", label, who, e.getMessage());
                    }
                }
            }
            if (ok.isEmpty()) return;
            progress.say("%s: timing torch (%s, %d threads)", label, String.join(", ", ok), threads);
            JsonNode timed = script(manifest("time", threads, timer, List.of(layerEntry(c, name, in, out, ok))), "time");
            for (JsonNode r : timed.get("results")) {
                String dt = r.get("dtype").asText();
                BenchTimer.Timing t = new BenchTimer.Timing(r.get("median").asDouble(), r.get("best").asDouble(), r.get("runs").asInt(),
                        r.has("cpu_share") ? r.get("cpu_share").asDouble() : Double.NaN);
                String note = String.format(Locale.ROOT, "torch %s, %s, %d threads: %s; checked against the float64 reference (exact mode) "
                        + "within normwise %.2g", timed.get("torch_version").asText(), dt.equals("fp32") ? "float32" : "bfloat16",
                        timed.get("threads").asInt(), c.note(), layerBound(dt));
                report.addAfterGroup(new BenchResult(w.op(), w.shape(), "torch-" + dt, t, c.flops(), (dt.equals("fp32") ? 4 : 2) * c.elementsRead(), note));
            }
        } catch (IOException | IllegalStateException | IllegalArgumentException e) {
            report.skip(w.op(), "torch", "the torch peer failed: " + e.getMessage());
            progress.say("%s: TORCH PEER FAILED (the other rows stand): %s", label, e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(in);
                Files.deleteIfExists(out);
            } catch (IOException e) {
                progress.say("could not remove the torch peer's files %s: %s", in, e.getMessage());
            }
        }
    }

    /** The normwise bound of a layer's form in a dtype: the bench's layer bound in fp32, {@link #BF16_LAYER_NORMWISE} in bf16. */
    static double layerBound(String dtype) { return dtype.equals("fp32") ? LayerTolerance.NORMWISE : BF16_LAYER_NORMWISE; }

    private ObjectNode layerEntry(TorchLayer.Case c, String name, Path in, Path out, List<String> dtypes) {
        ObjectNode n = json.createObjectNode();
        n.put("name", name);
        n.put("kind", c.kind());
        n.put("input", in.toString());
        n.put("output", out.toString());
        ArrayNode d = n.putArray("dtypes");
        for (String dt : dtypes) d.add(dt);
        return n;
    }

    /** The comparison bound of a dtype, in units of T (see the class comment). */
    static double tolerance(String dtype, int k) {
        double fp32 = KernelTolerances.fp32AnyOrder(k);
        return dtype.equals("fp32") ? fp32 : fp32 + BF16_EXTRA_UNITS * Math.scalb(1.0, -8);
    }

    private Path manifest(String phase, int threads, BenchTimer timer, Map<String, List<String>> only) throws IOException {
        List<ObjectNode> entries = new ArrayList<>();
        for (Case c : cases) {
            if (only != null && !only.containsKey(c.name())) continue;
            ObjectNode n = json.createObjectNode();
            n.put("name", c.name());
            n.put("input", c.input().toString());
            n.put("output", c.output().toString());
            n.put("copies_fp32", c.copies());
            ArrayNode d = n.putArray("dtypes");
            for (String dt : only != null ? only.get(c.name()) : List.of(DTYPES)) d.add(dt);
            entries.add(n);
        }
        return manifest(phase, threads, timer, entries);
    }

    /** The manifest of a phase over the given case entries (name, input, output, dtypes, and kind or copies_fp32). */
    private Path manifest(String phase, int threads, BenchTimer timer, List<ObjectNode> entries) throws IOException {
        ObjectNode m = json.createObjectNode();
        m.put("phase", phase);
        m.put("threads", threads);
        m.put("warmup_runs", timer.warmupRuns());
        m.put("warmup_seconds", timer.warmupSeconds());
        m.put("min_runs", timer.minRuns());
        m.put("min_seconds", timer.minSeconds());
        m.put("max_runs", timer.maxRuns());
        m.put("max_seconds", timer.maxSeconds());
        m.put("results", dir.resolve("torch-results.json").toString());
        m.putArray("cases").addAll(entries);
        Path file = dir.resolve("torch-" + phase + ".json");
        Files.writeString(file, json.writeValueAsString(m));
        return file;
    }

    /** Runs the script on a manifest; its results JSON. Throws naming the phase and the script's last output on failure. */
    private JsonNode script(Path manifest, String phase) throws IOException {
        List<String> cmd = new ArrayList<>(launch.python());
        cmd.add(launch.script().toString());
        cmd.add(manifest.toString());
        Path log = dir.resolve("torch-" + phase + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        p.getOutputStream().close();
        try {
            int rc = p.waitFor();
            if (rc != 0) {
                String text = Files.readString(log);
                throw new IllegalStateException(launch.script().getFileName() + " (" + phase + ") exited with " + rc + ": "
                        + text.substring(Math.max(0, text.length() - 2000)).strip());
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + launch.script().getFileName() + " ran (" + phase + ")", e);
        }
        return json.readTree(dir.resolve("torch-results.json").toFile());
    }

    private static float[] floats(SafetensorsFile f, String name) throws IOException {
        if (!f.contains(name)) throw new IllegalStateException(f.path() + ": the torch peer wrote no tensor '" + name + "'");
        TensorData t = f.tensor(name);
        if (t.dtype() != DType.F32) throw new IllegalStateException(f.path() + ": tensor '" + name + "' is " + t.dtype() + ", expected F32");
        MemorySegment s = t.bytes();
        float[] out = new float[(int) t.elementCount()];
        for (int i = 0; i < out.length; i++) out[i] = s.get(BenchData.F32, 4L * i);
        return out;
    }
}
