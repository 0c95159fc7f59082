package org.dsv32.conformance.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a benchmark run found: the machine and its measured limits, every result, what was skipped and why, and the
 * project's speed targets with whether they were met. Prints the table and writes the JSON of {@code ./dsv32 bench}.
 */
public final class BenchReport {
    /** An operation a backend could not run here (not implemented, unavailable, out of memory). */
    public record Skipped(String op, String backend, String reason) {}

    /** A speed target and what this run reached (NaN when not measured). */
    public record Target(String name, double value, double goal, String unit) {
        public boolean met() { return value >= goal; }

        public boolean measured() { return !Double.isNaN(value); }
    }

    private MachineLimits limits;
    private final String mode;
    private final List<BenchResult> results = new ArrayList<>();
    private final List<Skipped> skipped = new ArrayList<>();

    public BenchReport(MachineLimits limits, String mode) {
        this.limits = limits;
        this.mode = mode;
    }

    public MachineLimits limits() { return limits; }

    /** Replaces the limits (the runner measures them again at the end and keeps the better of the two). */
    public void limits(MachineLimits l) { this.limits = l; }

    public List<BenchResult> results() { return List.copyOf(results); }

    public List<Skipped> skipped() { return List.copyOf(skipped); }

    public void add(BenchResult r) { results.add(r); }

    /**
     * Adds {@code r} after the last result of the same op and shape, so the table shows it in that group (a peer's
     * rows come after the whole GEMM pass); at the end when there is none.
     */
    public void addAfterGroup(BenchResult r) {
        for (int i = results.size() - 1; i >= 0; i--) {
            BenchResult o = results.get(i);
            if (o.op().equals(r.op()) && o.shape().equals(r.shape())) {
                results.add(i + 1, r);
                return;
            }
        }
        results.add(r);
    }

    public void skip(String op, String backend, String reason) { skipped.add(new Skipped(op, backend, reason)); }

    public double fractionOfPeak(BenchResult r) { return r.gflops() / limits.fp32PeakGflops(); }

    public double fractionOfBandwidth(BenchResult r) { return r.gbytesPerS() / limits.bandwidthGbPerS(); }

    /** {@link #rooflineEfficiency(double, double, double, MachineLimits)} of a result with this run's limits. */
    public double rooflineEfficiency(BenchResult r) { return rooflineEfficiency(r.flops(), r.bytes(), r.seconds(), limits); }

    /**
     * How close a call came to this machine's roofline, as a fraction: the least time the call could take, bound
     * by whichever limit it meets first, over the time it took,
     * <pre>  roofline_efficiency = max(bytes / bandwidth, flops / peak) / seconds</pre>
     * with bytes and flops as the result counts them (weight and cache bytes read; a multiply-add is 2 flops),
     * bandwidth and peak the streaming bandwidth and fp32 FMA peak measured in the same run, and seconds the best
     * call (as for every other rate and fraction of the table). 1 means the call ran at the limit that binds it; a
     * value above 1 means a count or a limit is off (e.g. a weight that stayed in the caches). The one place this is
     * computed.
     */
    public static double rooflineEfficiency(double flops, double bytes, double seconds, MachineLimits limits) {
        if (!(seconds > 0)) throw new IllegalArgumentException("a call's time must be positive, got " + seconds + " s");
        double memory = bytes / (limits.bandwidthGbPerS() * 1e9), compute = flops / (limits.fp32PeakGflops() * 1e9);
        return Math.max(memory, compute) / seconds;
    }

    /** The first result of {@code op} on {@code backend} whose shape contains every given entry. */
    public Optional<BenchResult> find(String op, String backend, Map<String, Object> shape) {
        return results.stream().filter(r -> r.op().equals(op) && r.backend().equals(backend)
                && shape.entrySet().stream().allMatch(e -> e.getValue().equals(r.shape().get(e.getKey())))).findFirst();
    }

    /** The targets of the optimized-path issue, with this run's values. */
    public List<Target> targets() {
        Map<String, Object> gemm = Map.of("m", 128, "n", 2048, "k", 7168), gemv = Map.of("m", 1, "n", 2048, "k", 7168);
        Optional<BenchResult> simdGemm = find("fp8_gemm", "simd", gemm), ejmlGemm = find("fp8_gemm", "ejml", gemm);
        Optional<BenchResult> simdGemv = find("fp8_gemm", "simd", gemv);
        Optional<BenchResult> simdDecode = find("tiny_decode", "simd", Map.of()), refDecode = find("tiny_decode", "reference", Map.of());
        double nan = Double.NaN;
        return List.of(
                new Target("fp8_gemm M=128 2048x7168 simd: fraction of the fp32 FMA peak", simdGemm.map(this::fractionOfPeak).orElse(nan), 0.5, "x peak"),
                new Target("fp8_gemm M=1 2048x7168 (GEMV) simd: fraction of the streaming bandwidth", simdGemv.map(this::fractionOfBandwidth).orElse(nan), 0.5, "x bandwidth"),
                new Target("fp8_gemm M=128 2048x7168: simd speed over ejml", simdGemm.isPresent() && ejmlGemm.isPresent()
                        ? ejmlGemm.get().seconds() / simdGemm.get().seconds() : nan, 3, "x"),
                new Target("tiny checkpoint decode: simd speed over reference", simdDecode.isPresent() && refDecode.isPresent()
                        ? refDecode.get().seconds() / simdDecode.get().seconds() : nan, 20, "x"));
    }

    // ---- table

    public void printTable(PrintStream o) {
        o.printf(Locale.ROOT, "%-18s %-28s %-9s %11s %11s %5s %5s %9s %6s %8s %6s %6s  %s%n",
                "op", "shape", "backend", "best", "median", "runs", "cpu%", "GFLOP/s", "%peak", "GB/s", "%bw", "%roof", "note");
        String last = null;
        for (BenchResult r : results) {
            String group = r.op() + " " + r.shapeLabel();
            if (last != null && !group.equals(last)) o.println();
            last = group;
            o.printf(Locale.ROOT, "%-18s %-28s %-9s %11s %11s %5d %5s %9.2f %5.1f%% %8.2f %5.1f%% %5.1f%%  %s%n",
                    r.op(), r.shapeLabel(), r.backend(), duration(r.seconds()), duration(r.timing().median()), r.timing().runs(),
                    Double.isNaN(r.timing().cpuShare()) ? "-" : String.format(Locale.ROOT, "%.0f", 100 * r.timing().cpuShare()), r.gflops(),
                    100 * fractionOfPeak(r), r.gbytesPerS(), 100 * fractionOfBandwidth(r), 100 * rooflineEfficiency(r), r.note());
        }
        if (!skipped.isEmpty()) {
            o.println();
            for (Skipped s : skipped) o.printf("%-18s %-9s %s%n", s.op(), s.backend(), s.reason());
        }
        o.println();
        o.println("Targets (this machine, this run):");
        for (Target t : targets()) {
            o.printf(Locale.ROOT, "  %-72s %s%n", t.name(), !t.measured() ? "not measured"
                    : String.format(Locale.ROOT, "%.2f%s (goal >= %.2f%s): %s", t.value(), unit(t), t.goal(), unit(t), t.met() ? "met" : "NOT met"));
        }
    }

    private static String unit(Target t) { return t.unit().equals("x") ? "x" : " " + t.unit(); }

    static String duration(double s) {
        if (s >= 1) return String.format(Locale.ROOT, "%.3f s", s);
        if (s >= 1e-3) return String.format(Locale.ROOT, "%.3f ms", s * 1e3);
        return String.format(Locale.ROOT, "%.1f us", s * 1e6);
    }

    // ---- JSON

    public ObjectNode toJson(ObjectMapper mapper, Map<String, Object> machineInfo) {
        ObjectNode root = mapper.createObjectNode();
        ObjectNode machine = root.putObject("machine");
        machineInfo.forEach((k, v) -> machine.set(k, mapper.valueToTree(v)));
        machine.put("threads", limits.threads());
        machine.put("vector_bits", limits.vectorBits());
        machine.put("fp32_peak_gflops", limits.fp32PeakGflops());
        machine.put("bandwidth_gbytes_per_s", limits.bandwidthGbPerS());
        machine.put("bandwidth_buffer_bytes", limits.bandwidthBufferBytes());
        root.put("mode", mode);
        root.put("timing", "wall clock per call after warm-up: seconds is the best of runs calls (rates and fractions use it), "
                + "median_seconds the median; cpu_share is the CPU time of the process's threads over wall time x threads while timed; "
                + "GB/s counts the weight bytes read (1 per e4m3 code plus the fp32 scales; layers add their caches in the FP8 layout); "
                + "roofline_efficiency = max(bytes / bandwidth, flops / peak) / seconds with this run's limits; "
                + "the limits are the better of a measurement at the start and one at the end of the run");
        ArrayNode arr = root.putArray("results");
        for (BenchResult r : results) {
            ObjectNode n = arr.addObject();
            n.put("op", r.op());
            r.shape().forEach((k, v) -> n.set(k, mapper.valueToTree(v)));
            n.put("backend", r.backend());
            n.put("seconds", r.seconds());
            n.put("gflops", r.gflops());
            n.put("gbytes_per_s", r.gbytesPerS());
            n.put("fraction_of_peak", fractionOfPeak(r));
            n.put("fraction_of_bandwidth", fractionOfBandwidth(r));
            n.put("roofline_efficiency", rooflineEfficiency(r));
            n.put("median_seconds", r.timing().median());
            n.put("runs", r.timing().runs());
            if (!Double.isNaN(r.timing().cpuShare())) n.put("cpu_share", r.timing().cpuShare());
            r.extra().forEach((k, v) -> n.set(k, mapper.valueToTree(v)));
            if (!r.note().isEmpty()) n.put("note", r.note());
        }
        ArrayNode sk = root.putArray("skipped");
        for (Skipped s : skipped) sk.addObject().put("op", s.op()).put("backend", s.backend()).put("reason", s.reason());
        ArrayNode tg = root.putArray("targets");
        for (Target t : targets()) {
            ObjectNode n = tg.addObject().put("name", t.name()).put("goal", t.goal());
            if (t.measured()) n.put("value", t.value()).put("met", t.met());
            else n.putNull("value").putNull("met");
        }
        return root;
    }

    public String toJsonString(Map<String, Object> machineInfo) {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        try {
            return m.writeValueAsString(toJson(m, machineInfo)) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("writing the benchmark JSON", e);
        }
    }
}
