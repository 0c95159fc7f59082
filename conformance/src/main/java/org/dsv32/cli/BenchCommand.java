package org.dsv32.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.dsv32.conformance.bench.BenchReport;
import org.dsv32.conformance.bench.BenchRunner;
import org.dsv32.conformance.bench.Fp8GemmWorkload;
import org.dsv32.conformance.bench.LastLevelCache;
import org.dsv32.conformance.bench.TorchPeer;
import org.dsv32.spec.io.OutputFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./dsv32 bench}: the speed of the optimized CPU path against the float64 reference and EJML, next to this
 * machine's measured limits. See {@link BenchRunner}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark FP8 GEMM, MLA decode, the indexer, MoE and tiny-checkpoint decode on reference, simd and ejml "
                + "(and --backend cuda), after measuring this machine's fp32 FMA peak and memory bandwidth. Every variant is "
                + "checked against the float64 reference on the same inputs before it is timed.",
            "Exit status: 0, or 1 when a variant disagreed with the reference (it is then not timed)."})
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "Shorter runs and smaller buffers: a few minutes in all on 2 cores.")
    boolean quick;

    @Option(names = "--json", arity = "0..1", fallbackValue = "-", paramLabel = "FILE",
            description = "Also write the results as JSON to FILE; without FILE (or with -) the JSON goes to stdout and the table to stderr.")
    String json;

    @Option(names = "--backend", split = ",", paramLabel = "NAME",
            description = "Extra backend(s) to benchmark beside reference, simd and ejml (e.g. cuda). An unavailable one is reported and the rest still run.")
    List<String> backends = new ArrayList<>();

    @Option(names = "--ops", split = ",", paramLabel = "OP",
            description = "Only these operations: fp8_gemm, fp8_dgrad, fp8_wgrad, mla_decode, indexer, moe, tiny_decode (default: all).")
    List<String> ops;

    @Option(names = "--m", split = ",", paramLabel = "M", description = "FP8 GEMM row counts (default: 1,16,128).")
    List<Integer> ms;

    @Option(names = "--shape", split = ",", paramLabel = "NxK",
            description = "FP8 GEMM weight shapes (default: 2048x7168,7168x2048,576x7168,24576x1536).")
    List<String> shapes;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of every random input (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--peer", split = ",", paramLabel = "NAME",
            description = "Also run the FP8 GEMM/GEMV shapes, the MLA decode and the MoE on a peer: torch (torch ops in fp32 and bf16, "
                    + "checked against the reference first) in the first python that imports torch: $DSV32_PYTHON, else python3, else /usr/bin/python3. "
                    + "Without one the run says so and goes on.")
    List<String> peers = new ArrayList<>();

    @Option(names = "--smoke", hidden = true, description = "Tiny shapes and the tiny configuration, seconds in all (tests).")
    boolean smoke;

    @Override
    public Integer call() throws Exception {
        // the GEMV rows cycle through weight copies of twice the last-level cache and time the repacked path: the
        // repack budget must hold them all (read once, when the simd weight cache is first used, after this line)
        if (System.getProperty(REPACK_BUDGET) == null) {
            System.setProperty(REPACK_BUDGET, Long.toString(512 + (LastLevelCache.coldBytes() >> 20)));
        }
        Set<String> selected = new LinkedHashSet<>(ops == null ? BenchRunner.OPS : ops);
        for (String op : selected) {
            if (!BenchRunner.OPS.contains(op)) throw new IllegalArgumentException("unknown op '" + op + "' (known: " + String.join(", ", BenchRunner.OPS) + ")");
        }
        List<Fp8GemmWorkload.Shape> gemmShapes = shapes == null ? null : shapes.stream().map(Fp8GemmWorkload.Shape::parse).toList();
        List<Integer> gemmMs = ms;
        if (smoke) {
            if (gemmShapes == null) gemmShapes = List.of(new Fp8GemmWorkload.Shape(256, 256), new Fp8GemmWorkload.Shape(192, 384));
            if (gemmMs == null) gemmMs = List.of(1, 4);
        }
        if (gemmMs != null) for (int m : gemmMs) if (m < 1) throw new IllegalArgumentException("--m must be positive, got " + m);
        if (gemmShapes != null) {
            for (Fp8GemmWorkload.Shape s : gemmShapes) {
                if (s.n() < 1 || s.k() < 128 || s.k() % 128 != 0) {
                    throw new IllegalArgumentException("--shape " + s.label() + ": N must be positive and K a multiple of 128 (the act_quant tiles)");
                }
            }
        }
        String size = smoke ? "smoke" : quick ? "quick" : "full";
        boolean jsonToStdout = "-".equals(json);
        if (json != null && !jsonToStdout) OutputFiles.checkFile(Path.of(json));
        PrintStream table = jsonToStdout ? System.err : System.out;

        for (String p : peers) if (!p.equals("torch")) throw new IllegalArgumentException("unknown peer '" + p + "' (known: torch)");
        BenchRunner runner = new BenchRunner(new BenchRunner.Options(size, backends, selected, gemmMs, gemmShapes, seed), System.err);
        Path peerDir = peers.isEmpty() ? null : torchPeer(runner, selected);
        BenchReport report;
        try {
            report = runner.run();
        } finally {
            if (peerDir != null) deleteTree(peerDir);
        }
        if (!peers.isEmpty() && peerDir == null) report.skip("all", "torch", "NO PYTHON WITH PYTORCH: " + noTorch);
        table.println();
        report.printTable(table);
        table.println("(wall-clock medians on a machine possibly shared with other work; fractions are of the limits measured in this run)");
        if (json != null) {
            String text = report.toJsonString(machineInfo());
            if (jsonToStdout) {
                System.out.print(text);
            } else {
                Path file = Path.of(json);
                OutputFiles.writeString(file, text);
                table.println("JSON written to " + Printable.of(file));
            }
        }
        for (String f : runner.failures()) System.err.println("dsv32 bench: " + f);
        return runner.failures().isEmpty() ? 0 : 1;
    }

    private String noTorch;

    /** The simd path's repack budget in MiB (SimdWeightCache; default 512). */
    static final String REPACK_BUDGET = "dsv32.weightCacheMiB";

    /** Attaches the torch peer to the runner, or says loudly why there is none; its working folder, or null. */
    private Path torchPeer(BenchRunner runner, Set<String> selected) throws java.io.IOException {
        if (!selected.contains("fp8_gemm") && !selected.contains("mla_decode") && !selected.contains("moe")) {
            noTorch = "the torch peer runs the fp8_gemm shapes, mla_decode and moe, which --ops left out";
            System.err.println("dsv32 bench: --peer torch: " + noTorch);
            return null;
        }
        StringBuilder why = new StringBuilder();
        var launch = TorchPeer.find(System.getenv("DSV32_PYTHON"), why);
        if (launch.isEmpty()) {
            noTorch = why.toString();
            System.err.println("dsv32 bench: --peer torch: NO PYTORCH, the torch rows are left out: " + noTorch);
            return null;
        }
        Path dir = Files.createTempDirectory("dsv32-bench-torch");
        runner.peer(new TorchPeer(launch.get(), dir));
        return dir;
    }

    private static void deleteTree(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException e) {
            System.err.println("dsv32 bench: could not remove " + dir + ": " + e.getMessage());
        }
    }

    /** The machine description of the JSON (the measured limits are added by the report). */
    static Map<String, Object> machineInfo() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpus", Runtime.getRuntime().availableProcessors());
        m.put("cpu_model", cpuModel());
        m.put("os_arch", System.getProperty("os.arch"));
        m.put("java_version", Runtime.version().toString());
        m.put("java_vendor", System.getProperty("java.vendor"));
        m.put("max_heap_bytes", Runtime.getRuntime().maxMemory());
        return m;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (Exception e) {
            // not Linux, or not readable: the model is optional
        }
        return "unknown";
    }
}
