package org.dsv32.conformance.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.dsv32.optimized.SimdThreads;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.Backends;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.metrics.Metrics;

/**
 * Runs the benchmarks of {@code ./dsv32 bench} side by side on {@code reference}, {@code simd}, {@code ejml} (GEMM
 * only) and any extra backends, after measuring the machine's limits, and collects a {@link BenchReport}. Every
 * variant is checked against the float64 reference on the same inputs before it is timed; one that disagrees is
 * reported and not timed, and {@link #failures} names it.
 */
public final class BenchRunner {
    /** MLA decode's cached keys, indexer keys and MoE token counts measured (full and --quick; the sizes). */
    static final int[] MLA_CACHED = {4096, 32768}, INDEXER_KEYS = {8192, 65536}, MOE_TOKENS = {1, 16, 64, 256},
            QUICK_MOE_TOKENS = {16, 64, 256};

    /** The operations, in the order they run. */
    public static final List<String> OPS = List.of("fp8_gemm", "fp8_dgrad", "fp8_wgrad", "mla_decode", "indexer", "moe", "tiny_decode");

    /**
     * What to run.
     *
     * @param size        {@code full}, {@code quick} or {@code smoke} (tiny shapes and the tiny configuration, for tests)
     * @param extra       backends to measure besides reference, simd and ejml (e.g. cuda)
     * @param ops         which of {@link #OPS} to run
     * @param ms          GEMM row counts (default 1, 16, 128)
     * @param shapes      GEMM weight shapes (default the four of the issue)
     * @param seed        of every random input
     */
    public record Options(String size, List<String> extra, Set<String> ops, List<Integer> ms, List<Fp8GemmWorkload.Shape> shapes, long seed) {
        public boolean quick() { return size.equals("quick"); }

        public boolean smoke() { return size.equals("smoke"); }

        public BenchTimer timer() {
            return switch (size) {
                case "smoke" -> BenchTimer.smoke();
                case "quick" -> BenchTimer.quick();
                default -> BenchTimer.standard();
            };
        }
    }

    private final Options options;
    private final PrintStream progress;
    private final List<String> failures = new ArrayList<>();

    public BenchRunner(Options options, PrintStream progress) {
        this.options = options;
        this.progress = progress;
    }

    /** Variants that disagreed with the reference (empty when all agreed). */
    public List<String> failures() { return List.copyOf(failures); }

    public BenchReport run() {
        int threads = SimdThreads.threads();
        // larger than the last-level cache (twice it), or part of the stream would come from the cache
        long buffer = options.smoke() ? 16L << 20 : Math.max(options.quick() ? 512L << 20 : 1L << 30, LastLevelCache.coldBytes());
        say("machine limits: fp32 FMA peak and streaming bandwidth (%d threads, %d MiB buffer; last-level cache %s, weights cycle through %d MiB)", threads, buffer >> 20, LastLevelCache.describe(), LastLevelCache.coldBytes() >> 20);
        int passes = options.smoke() ? 2 : options.quick() ? 15 : 40;
        MachineLimits limits = MachineLimits.measure(threads, buffer, passes);
        say("  fp32 peak %.1f GFLOP/s, bandwidth %.1f GB/s", limits.fp32PeakGflops(), limits.bandwidthGbPerS());
        BenchReport report = new BenchReport(limits, options.size());

        Backend reference = Backends.byName("reference"), simd = Backends.byName("simd");
        List<Backend> candidates = new ArrayList<>(List.of(simd));
        for (String name : options.extra()) {
            if (name.equals("reference") || name.equals("simd") || name.equals("ejml")) continue;
            Backend b = Backends.byName(name);
            if (b.availability().available()) {
                candidates.add(b);
            } else {
                report.skip("all", name, b.availability().toString());
                say("%s: %s; benchmarking the other backends", name, b.availability());
            }
        }

        if (options.ops().contains("fp8_gemm")) gemms(report, candidates);
        for (String op : List.of("fp8_dgrad", "fp8_wgrad")) if (options.ops().contains(op)) backward(op, report, candidates);
        if (peer != null) peer.run(report, options.timer(), failures, this::say);
        ModelConfig layerConfig = options.smoke() ? ModelPresets.tiny() : ModelPresets.deepseekV32();
        if (options.ops().contains("mla_decode")) {
            for (int cached : options.smoke() ? new int[] {16} : MLA_CACHED) {
                layer(report, reference, candidates, () -> new MlaDecodeWorkload(layerConfig, cached, options.seed() + 1));
            }
        }
        if (options.ops().contains("indexer")) {
            for (int keys : options.smoke() ? new int[] {32} : INDEXER_KEYS) {
                layer(report, reference, candidates, () -> new IndexerWorkload(layerConfig, keys, options.seed() + 2));
            }
        }
        if (options.ops().contains("moe")) {
            // enough distinct experts that their weights do not fit the last-level cache (twice it)
            long expertBytes = 3L * layerConfig.hiddenSize() * layerConfig.moeIntermediateSize();
            int distinct = options.smoke() ? layerConfig.nRoutedExperts()
                    : (int) Math.min(layerConfig.nRoutedExperts(), Math.max(options.quick() ? 8 : 16, (LastLevelCache.coldBytes() + expertBytes - 1) / expertBytes));
            for (int tokens : options.smoke() ? new int[] {1, 4} : options.quick() ? QUICK_MOE_TOKENS : MOE_TOKENS) {
                layer(report, reference, candidates, () -> new MoeWorkload(layerConfig, tokens, distinct, options.seed() + 3));
            }
        }
        if (options.ops().contains("tiny_decode")) {
            // the layer workloads leave gigabytes of garbage (the 64-token MoE); collect it now rather than during
            // the tiny decode's timed calls, which allocate a little on every operation
            System.gc();
            tinyDecode(report, reference, candidates);
        }

        say("machine limits again (a busy machine may have held them down at the start)");
        MachineLimits again = MachineLimits.measure(threads, buffer, passes);
        say("  fp32 peak %.1f GFLOP/s, bandwidth %.1f GB/s", again.fp32PeakGflops(), again.bandwidthGbPerS());
        report.limits(limits.max(again));
        return report;
    }

    // ---- FP8 GEMM

    private void gemms(BenchReport report, List<Backend> candidates) {
        List<Fp8GemmWorkload.Shape> shapes = options.shapes() != null ? options.shapes() : Fp8GemmWorkload.SHAPES;
        List<Integer> ms = options.ms() != null ? options.ms() : Fp8GemmWorkload.M_VALUES;
        BenchTimer timer = options.timer();
        double refMacs = options.smoke() ? 1e6 : options.quick() ? 1e7 : 4e7;
        for (Fp8GemmWorkload.Shape shape : shapes) {
            for (int m : ms) {
                say("fp8_gemm M=%d %s", m, shape.label());
                try (Fp8GemmWorkload w = Fp8GemmWorkload.create(m, shape, options.seed())) {
                    Map<String, Object> dims = new LinkedHashMap<>();
                    dims.put("m", m);
                    dims.put("n", shape.n());
                    dims.put("k", shape.k());
                    Fp8GemmWorkload.Part part = w.part(refMacs);
                    var refOp = w.linear(Backends.byName("reference"));
                    BenchTimer.Timing ref = timer.slow(1, 3).time(() -> refOp.apply(part.x(), part.w())).scaled(part.scale(m, shape.n()));
                    report.add(new BenchResult("fp8_gemm", dims, "reference", ref, w.flops(), w.weightBytes(),
                            join("float64", part.describe(m, shape.n()))));
                    for (Backend b : candidates) {
                        String name = b.name();
                        if (!checked("fp8_gemm " + w.label(), name, report, "fp8_gemm", () -> w.check(name))) continue;
                        BenchTimer.Timing t;
                        String note;
                        if (name.equals("simd")) {
                            int packed = w.repackCopies();
                            t = timer.time(w::runSimd);
                            String copies = w.weightCopies() > 1 ? ", cycling through " + w.weightCopies() + " copies of W (cold weights)" : "";
                            String repacked = m != 1 ? "" : packed == w.weightCopies() ? ", codes repacked before timing"
                                    : ", ONLY " + packed + " of " + w.weightCopies() + " copies repacked (-Ddsv32.weightCacheMiB): a mix of the two GEMV paths";
                            note = (m == 1 ? "GEMV, act_quant included" : "act_quant included") + copies + repacked;
                        } else {
                            var op = w.linear(b);
                            var x = w.xTensor(m);
                            t = timer.time(() -> op.apply(x, w.weight));
                            note = "LinearOp contract (float64 tensors in and out, act_quant included)";
                        }
                        report.add(new BenchResult("fp8_gemm", dims, name, t, w.flops(), w.weightBytes(), note));
                        if (name.equals("simd") && checked("fp8_gemm " + w.label(), "ejml", report, "fp8_gemm", () -> w.check("ejml"))) {
                            BenchTimer.Timing e = timer.time(w::runEjml);
                            report.add(new BenchResult("fp8_gemm", dims, "ejml", e, w.flops(), w.weightBytes(),
                                    "float32 mult on W dequantised and transposed ahead (reads 4 bytes per weight)"));
                            w.releaseEjml();
                        }
                    }
                    if (m == 1) firstUseGemv(report, w, dims, timer);
                    if (peer != null) peer.add(w);
                } catch (OutOfMemoryError e) {
                    report.skip("fp8_gemm", "all", "M=" + m + " " + shape.label() + ": out of memory (" + e.getMessage() + ")");
                }
            }
        }
    }

    // ---- FP8 training GEMMs (spec/SEMANTICS.md §5b)

    private void backward(String op, BenchReport report, List<Backend> candidates) {
        List<Fp8GemmWorkload.Shape> shapes = options.shapes() != null ? options.shapes()
                : options.smoke() ? List.of(new Fp8GemmWorkload.Shape(256, 200)) : Fp8BackwardWorkload.SHAPES;
        List<Integer> ms = options.ms() != null ? options.ms() : List.of(options.smoke() ? 130 : Fp8BackwardWorkload.TOKENS);
        BenchTimer timer = options.timer();
        for (Fp8GemmWorkload.Shape shape : shapes) {
            for (int m : ms) {
                say("%s m=%d %s", op, m, shape.label());
                try (Fp8BackwardWorkload w = new Fp8BackwardWorkload(op, m, shape, options.seed())) {
                    Map<String, Object> dims = new LinkedHashMap<>();
                    dims.put("m", m);
                    dims.put("n", shape.n());
                    dims.put("k", shape.k());
                    BenchTimer.Timing ref = timer.slow(0, 1).time(w.referencePart()).scaled(w.partScale());
                    report.add(new BenchResult(op, dims, "reference", ref, w.flops(), w.bytes(),
                            "float64, measured on " + Fp8BackwardWorkload.PART + (op.equals("fp8_wgrad") ? " channels" : " tokens") + ", scaled"));
                    for (Backend b : candidates) {
                        String name = b.name();
                        if (!checked(op + " " + w.label(), name, report, op, () -> w.check(name))) continue;
                        boolean simd = name.equals("simd");
                        BenchTimer.Timing t = timer.time(simd ? w::runSimd : w.contract(b));
                        String note = simd ? "quantisation included" : "Fp8BackwardOp contract (float64 tensors in and out)";
                        note = join(b.delegateOf(org.dsv32.spec.ops.Fp8BackwardOp.class).map(d -> "computed by " + d).orElse(""), note);
                        report.add(new BenchResult(op, dims, name, t, w.flops(), w.bytes(), note));
                    }
                } catch (OutOfMemoryError e) {
                    report.skip(op, "all", "m=" + m + " " + shape.label() + ": out of memory (" + e.getMessage() + ")");
                }
            }
        }
        // the grouped row has its own shapes: not run when --shape or --m asked for particular plain GEMMs (--smoke sets both)
        if (op.equals("fp8_wgrad") && (options.smoke() || options.shapes() == null && options.ms() == null)) groupedWgrad(report, candidates);
    }

    /**
     * The MoE experts' k-grouped Wgrad ({@link GroupedWgradWorkload}): 4096 tokens routed top-8 among 256 experts
     * through 2048x7168 (an expert's gate/up projection); --quick computes the first 32 groups, --smoke 4 experts at
     * top-2 through the smoke shape. Checked against the reference on three groups before timing.
     */
    private void groupedWgrad(BenchReport report, List<Backend> candidates) {
        Fp8GemmWorkload.Shape shape = options.smoke() ? new Fp8GemmWorkload.Shape(256, 200) : new Fp8GemmWorkload.Shape(2048, 7168);
        int tokens = options.smoke() ? 130 : Fp8BackwardWorkload.TOKENS, experts = options.smoke() ? 4 : 256, topK = options.smoke() ? 2 : 8;
        int groups = options.smoke() ? 4 : options.quick() ? 32 : 256;
        GroupedWgradWorkload w;
        try {
            w = new GroupedWgradWorkload(tokens, experts, topK, groups, shape, options.seed());
        } catch (OutOfMemoryError e) {
            report.skip("fp8_wgrad", "all", "grouped: out of memory (" + e.getMessage() + ")");
            return;
        }
        say("fp8_wgrad grouped %s", w.label());
        Map<String, Object> dims = new LinkedHashMap<>();
        dims.put("groups", groups);
        dims.put("rows", w.routedRows());
        dims.put("m_e", w.groupSizes());
        dims.put("n", shape.n());
        dims.put("k", shape.k());
        BenchTimer timer = options.timer();
        BenchTimer.Timing ref = timer.slow(0, 1).time(w.referencePart()).scaled(w.partScale());
        String routing = tokens + " tokens top-" + topK + " of " + experts + " experts";
        report.add(new BenchResult("fp8_wgrad", dims, "reference", ref, w.flops(), w.bytes(),
                "k-grouped (" + routing + "); float64, measured on one group's " + Fp8BackwardWorkload.PART + " channels, scaled"));
        for (Backend b : candidates) {
            String name = b.name();
            if (!checked("fp8_wgrad grouped " + w.label(), name, report, "fp8_wgrad", () -> w.check(name))) continue;
            boolean simd = name.equals("simd");
            BenchTimer.Timing t = timer.time(simd ? w::runSimd : w.contract(b));
            report.add(new BenchResult("fp8_wgrad", dims, name, t, w.flops(), w.bytes(),
                    "k-grouped (" + routing + "), one group after another; " + (simd ? "gather and quantisation included" : "Fp8BackwardOp contract")));
        }
    }

    /** The {@code fp8_gemv_first_use} row of a GEMV workload ({@link FirstUseGemv}). */
    private void firstUseGemv(BenchReport report, Fp8GemmWorkload w, Map<String, Object> dims, BenchTimer timer) {
        FirstUseGemv f = new FirstUseGemv(w);
        if (!checked("fp8_gemv_first_use " + w.label(), "simd", report, "fp8_gemv_first_use", f::check)) return;
        say("fp8_gemv_first_use M=1 %dx%d", w.n, w.k);
        BenchTimer.Timing t = timer.time(f::before, f::run);
        if (!checked("fp8_gemv_first_use " + w.label(), "simd", report, "fp8_gemv_first_use", f::verifyNothingRepacked)) return;
        report.add(new BenchResult("fp8_gemv_first_use", dims, "simd", t, w.flops(), w.weightBytes(), f.note()));
    }

    // ---- a peer (PyTorch) on the same shapes

    private TorchPeer peer;

    /** Also runs the GEMM/GEMV shapes and the layers with a PyTorch form on {@code peer} (after simd's rows; see {@link TorchPeer}). */
    public BenchRunner peer(TorchPeer peer) {
        this.peer = peer;
        return this;
    }

    // ---- layers

    private void layer(BenchReport report, Backend reference, List<Backend> candidates, Supplier<LayerWorkload> make) {
        BenchTimer timer = options.timer();
        double refMacs = options.smoke() ? 1e6 : options.quick() ? 3e8 : 1e9;
        LayerWorkload w;
        try {
            w = make.get();
        } catch (OutOfMemoryError e) {
            report.skip("layer", "all", "out of memory building the weights (" + e.getMessage() + ")");
            return;
        }
        try (w) {
            String what = w.op() + " " + shapeLabel(w.shape());
            List<Backend> agreed = new ArrayList<>();
            for (Backend b : candidates) {
                if (w.call(b).isEmpty()) {
                    report.skip(w.op(), b.name(), shapeLabel(w.shape()) + ": not implemented");
                } else {
                    say("%s: checking %s against the reference", what, b.name());
                    double[] err = {Double.NaN};
                    if (checked(what, b.name(), report, w.op(), () -> err[0] = w.check(reference, b))) {
                        agreed.add(b);
                        say("%s: %s agrees, normwise relative error %.2g (bound %.2g)", what, b.name(), err[0], LayerTolerance.NORMWISE);
                    }
                }
            }
            say("%s: timing reference", what);
            // the check has just run the reference (warm); at real sizes one call takes seconds
            int warmups = agreed.isEmpty() ? 1 : 0, runs = options.quick() || options.smoke() ? 1 : 3;
            w.referenceCall(reference, refMacs).ifPresent(c -> {
                BenchTimer.Timing t = timer.slow(warmups, runs).time(c.before(), c.run()).scaled(c.scale());
                report.add(new BenchResult(w.op(), w.shape(), "reference", t, w.flops(), w.bytes(), join("float64", c.note())));
            });
            for (Backend b : agreed) {
                LayerWorkload.Call call = w.call(b).orElseThrow();
                say("%s: timing %s", what, b.name());
                BenchTimer.Timing t = timer.time(call.before(), call.run()).scaled(call.scale());
                String note = b.delegateOf(opType(w.op())).map(d -> "computed by " + d).orElse("");
                report.add(new BenchResult(w.op(), w.shape(), b.name(), t, w.flops(), w.bytes(), join(note, call.note())));
            }
            if (peer != null) peer.runLayer(w, reference, report, timer, failures, this::say);
        }
    }

    private static Class<? extends org.dsv32.spec.ops.Operation> opType(String op) {
        return switch (op) {
            case "mla_decode" -> org.dsv32.spec.ops.MlaAttentionOp.class;
            case "indexer" -> org.dsv32.spec.ops.IndexerOp.class;
            case "moe" -> org.dsv32.spec.ops.MoeOp.class;
            default -> org.dsv32.spec.ops.ModelOp.class;
        };
    }

    // ---- tiny checkpoint decode

    private void tinyDecode(BenchReport report, Backend reference, List<Backend> candidates) {
        int decode = options.smoke() ? 2 : options.quick() ? 8 : 32;
        try (TinyDecodeWorkload w = new TinyDecodeWorkload(8, decode, options.seed() + 4)) {
            Map<String, Object> dims = new LinkedHashMap<>();
            dims.put("prompt", w.promptTokens());
            dims.put("decode", w.decodeTokens());
            // a decode step runs many small operations, each compiled separately: the steady state comes after several
            // seconds of warm-up (a step after 2 s of warm-up is several times slower than after 8 s)
            BenchTimer timer = options.smoke() ? BenchTimer.smoke() : new BenchTimer(3, options.quick() ? 8 : 12, 5, 2, 40, 10);
            Optional<double[]> refLogits = w.lastLogits(reference);
            List<Backend> all = new ArrayList<>();
            all.add(reference);
            all.addAll(candidates);
            for (Backend b : all) {
                Optional<LayerWorkload.Call> call = w.call(b);
                if (call.isEmpty()) {
                    report.skip("tiny_decode", b.name(), b.name() + " model: not implemented");
                    continue;
                }
                say("tiny_decode: %s", b.name());
                String note = "";
                if (b != reference && refLogits.isPresent()) {
                    double[] got = w.lastLogits(b).orElseThrow();
                    note = String.format(Locale.ROOT, "last logits vs reference: calc_diff %.2g, argmax %s",
                            Metrics.calcDiff(got, refLogits.get()), Metrics.argmax(got) == Metrics.argmax(refLogits.get()) ? "agrees" : "differs");
                }
                BenchTimer.Timing t = timer.time(call.get().before(), call.get().run()).scaled(call.get().scale());
                Map<String, Object> extra = new LinkedHashMap<>();
                extra.put("tokens_per_s", 1 / t.median());
                report.add(new BenchResult("tiny_decode", dims, b.name(), t, w.flopsPerToken(), w.bytesPerToken(),
                        join("seconds per decoded token", note), extra));
            }
        }
    }

    // ---- helpers

    /** Runs a check; on disagreement records the failure, skips the variant and returns false. */
    private boolean checked(String what, String backend, BenchReport report, String op, Runnable check) {
        try {
            check.run();
            return true;
        } catch (IllegalStateException e) {
            failures.add(e.getMessage());
            report.skip(op, backend, "DISAGREES, not timed: " + e.getMessage());
            say("%s: %s DISAGREES: %s", what, backend, e.getMessage());
            return false;
        }
    }

    private final long started = System.nanoTime();

    void say(String format, Object... args) {
        if (progress != null) {
            progress.println(String.format(Locale.ROOT, "[%6.1f s] ", (System.nanoTime() - started) / 1e9) + String.format(Locale.ROOT, format, args));
        }
    }

    static String shapeLabel(Map<String, Object> shape) {
        StringBuilder b = new StringBuilder();
        shape.forEach((k, v) -> b.append(b.isEmpty() ? "" : " ").append(k).append('=').append(v));
        return b.toString();
    }

    private static String join(String a, String b) {
        if (a.isEmpty()) return b;
        if (b.isEmpty()) return a;
        return a + "; " + b;
    }
}
