package org.dsv32.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.balance.BalanceReport;
import org.dsv32.conformance.balance.BalanceRouter;
import org.dsv32.conformance.balance.BalanceSimulation;
import org.dsv32.conformance.balance.HiddenBatches;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.Backends;
import org.dsv32.spec.checkpoint.CheckpointLoader;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.io.OutputFiles;
import org.dsv32.spec.weights.LayerWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./dsv32 balance}: the auxiliary-loss-free balancing loop of one MoE layer, simulated and compared across γ and α. */
@Command(name = "balance", mixinStandardHelpOptions = true,
        header = "Simulate expert balancing on one MoE layer: bias updates (gamma) and the sequence-wise balance loss (alpha).",
        description = {"Routes a batch of hidden states per step through one MoE gate (a checkpoint's layer, or a synthetic router "
                + "whose hidden states share a direction of strength --skew), records every expert's load, MaxVio = (max load - mean) "
                + "/ mean and the balance loss (as L_Bal / alpha: 1 when every sequence is balanced), then applies the bias update "
                + "b += gamma sign(mean - load) and, when alpha > 0, one gradient step of the balance loss on the router weights "
                + "(learning rate --lr). Every combination of --gammas and --alphas is one run; all runs see the same batches.",
                "Exit 0 when the runs complete, 2 on bad input."})
final class BalanceCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", paramLabel = "DIR", description = "take the gate of a checkpoint's MoE layer (with --layer)")
    Path checkpoint;

    @Option(names = "--trace", paramLabel = "FILE", description = "route the gate inputs this layer recorded in a trace (./dsv32 logits --trace FILE --trace-hidden on the same checkpoint) instead of synthetic states; needs --checkpoint and --layer")
    Path trace;

    @Option(names = "--layer", paramLabel = "N", description = "the MoE layer of --checkpoint")
    Integer layer;

    @Option(names = "--experts", defaultValue = "16", description = "synthetic router: routed experts (default: ${DEFAULT-VALUE})")
    int experts;

    @Option(names = "--top-k", defaultValue = "4", description = "synthetic router: experts per token (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--groups", defaultValue = "4", description = "synthetic router: expert groups (default: ${DEFAULT-VALUE})")
    int groups;

    @Option(names = "--topk-groups", defaultValue = "2", description = "synthetic router: groups kept per token (default: ${DEFAULT-VALUE})")
    int topkGroups;

    @Option(names = "--hidden", defaultValue = "64", description = "synthetic router: hidden size (default: ${DEFAULT-VALUE})")
    int hidden;

    @Option(names = "--skew", defaultValue = "0.5", description = "strength of the direction every hidden state shares (default: ${DEFAULT-VALUE})")
    double skew;

    @Option(names = "--sequences", defaultValue = "8", description = "sequences per batch (default: ${DEFAULT-VALUE})")
    int sequences;

    @Option(names = "--tokens", defaultValue = "64", description = "tokens per sequence (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--steps", description = "training steps per run (default: 300, with --quick 250)")
    Integer steps;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the synthetic router and hidden states (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--gammas", split = ",", paramLabel = "G", description = "bias update speeds, one run each (default: 0,0.001)")
    List<Double> gammas;

    @Option(names = "--alphas", split = ",", paramLabel = "A", description = "balance factors; alpha > 0 adds the loss's gradient step (default: 0)")
    List<Double> alphas;

    @Option(names = "--lr", defaultValue = "1.0", description = "learning rate of the router's gradient step (default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--quick", description = "a small comparison (gamma 0 and 0.001, with and without alpha 0.0001) that runs in seconds")
    boolean quick;

    @Option(names = "--backend", defaultValue = "simd", description = "backend of the gate, the bias update and the loss (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--json", paramLabel = "FILE", description = "write every run's steps as JSON")
    Path json;

    @Option(names = "--report", paramLabel = "DIR", description = "write report.html (inline SVG charts) and the charts as SVG files")
    Path report;

    /** --quick: the runs that show the update working (gamma 0 against 0.001), and DeepSeek-V3's alpha alongside. */
    static final int QUICK_STEPS = 250;
    static final int DEFAULT_STEPS = 300;

    @Override
    public Integer call() throws Exception {
        if (json != null) OutputFiles.checkFile(json);
        if (report != null) OutputFiles.checkDirectory(report);
        if (quick) {
            if (gammas == null) gammas = List.of(0.0, 0.001);
            if (alphas == null) alphas = List.of(0.0, 1e-4);
            if (steps == null) steps = QUICK_STEPS;
        }
        if (steps == null) steps = DEFAULT_STEPS;
        List<BalanceSimulation.RunSpec> specs = specs();
        require(steps >= 1, "--steps must be >= 1, got " + steps);
        require(sequences >= 1, "--sequences must be >= 1, got " + sequences);
        require(tokens >= 1, "--tokens must be >= 1, got " + tokens);
        require(Double.isFinite(skew), "--skew must be finite, got " + skew);
        require(lr >= 0 && Double.isFinite(lr), "--lr must be finite and >= 0, got " + lr);
        Backend b = Backends.byName(backend);
        if (!b.availability().available()) throw new IllegalStateException("backend " + b.name() + " is " + b.availability());
        BalanceRouter router = router();
        HiddenBatches batches;
        if (trace != null) {
            require(checkpoint != null, "--trace needs --checkpoint and --layer (the gate that routes the recorded states)");
            CliErrors.requireInput(trace, "trace");
            batches = HiddenBatches.recorded(trace, layer, router.hidden()); // refusals: IllegalArgumentException, exit 2
        } else {
            batches = HiddenBatches.synthetic(router.hidden(), sequences, tokens, skew, seed);
        }
        Progress.RateLimited progress = Progress.rateLimited(line -> System.err.println("  " + line), System::nanoTime, Progress.DEFAULT_INTERVAL_NANOS);
        long t0 = System.nanoTime();
        BalanceSimulation.Result r;
        try {
            r = BalanceSimulation.run(router, batches, specs, steps, b, progress);
        } finally {
            progress.finish();
        }
        print(r, (System.nanoTime() - t0) / 1e9);
        if (json != null) OutputFiles.writeBytes(json, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(BalanceReport.json(r)));
        if (report != null) {
            OutputFiles.writeString(report.resolve("report.html"), BalanceReport.html(r));
            OutputFiles.writeString(report.resolve("maxvio.svg"), BalanceReport.maxVioChart(r) + "\n");
            OutputFiles.writeString(report.resolve("load.svg"), BalanceReport.loadChart(r) + "\n");
            for (BalanceSimulation.Run run : r.runs()) {
                if (run.spec().gamma() > 0 && run.spec().alpha() == 0) {
                    OutputFiles.writeString(report.resolve("bias.svg"), BalanceReport.biasChart(run) + "\n");
                    break;
                }
            }
        }
        return 0;
    }

    private List<BalanceSimulation.RunSpec> specs() {
        List<Double> gs = gammas == null ? List.of(0.0, 0.001) : gammas, as = alphas == null ? List.of(0.0) : alphas;
        List<BalanceSimulation.RunSpec> out = new ArrayList<>();
        for (double g : gs) require(g >= 0 && Double.isFinite(g), "--gammas: gamma must be finite and >= 0, got " + g);
        for (double a : as) require(a >= 0 && Double.isFinite(a), "--alphas: alpha must be finite and >= 0, got " + a);
        for (double g : gs) for (double a : as) out.add(new BalanceSimulation.RunSpec(g, a, lr));
        return out;
    }

    private BalanceRouter router() throws Exception {
        if (checkpoint == null) {
            require(layer == null, "--layer needs --checkpoint");
            require(experts >= 1, "--experts must be >= 1, got " + experts);
            require(groups >= 1 && experts % groups == 0, "--groups must divide --experts (" + experts + "), got " + groups);
            require(topkGroups >= 1 && topkGroups <= groups, "--topk-groups must lie in [1, --groups = " + groups + "], got " + topkGroups);
            require(topK >= 1 && topK <= topkGroups * (experts / groups),
                    "--top-k must lie in [1, " + topkGroups * (experts / groups) + "] (the experts of the kept groups), got " + topK);
            require(hidden >= 1, "--hidden must be >= 1, got " + hidden);
            return BalanceRouter.synthetic(experts, topK, groups, topkGroups, hidden, seed);
        }
        require(layer != null, "--checkpoint needs --layer (an MoE layer)");
        CliErrors.requireInput(checkpoint.resolve("config.json"), "checkpoint config.json");
        try (CheckpointLoader ckpt = CheckpointLoader.open(checkpoint)) {
            ModelConfig c = ckpt.config();
            require(layer >= 0 && layer < ckpt.weights().layers().size(), "--layer " + layer + " is outside [0, " + ckpt.weights().layers().size() + ")");
            LayerWeights lw = ckpt.weights().layers().get(layer);
            require(lw.isMoe(), "--layer " + layer + " is a dense layer (MoE layers start at first_k_dense_replace = " + c.firstKDenseReplace() + ")");
            return BalanceRouter.of(c, lw.moe(), "checkpoint " + checkpoint + ", layer " + layer + " (" + c.nRoutedExperts() + " experts, top-"
                    + c.numExpertsPerTok() + "), D = " + c.hiddenSize());
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    private static void print(BalanceSimulation.Result r, double seconds) {
        System.out.println(Printable.of(r.router()));
        System.out.println(Printable.of(r.hidden()) + ", backend " + r.backend());
        String row = "%-34s %10s %12s %10s %12s%n";
        System.out.printf(Locale.ROOT, row, "run", "MaxVio[0]", "MaxVio last10%", "MaxVio end", "L_Bal/alpha");
        for (BalanceSimulation.Run run : r.runs()) {
            System.out.printf(Locale.ROOT, row, run.spec().label(), String.format(Locale.ROOT, "%.3f", run.steps().getFirst().maxVio()),
                    String.format(Locale.ROOT, "%.3f", run.meanMaxVioOfLast(0.1)), String.format(Locale.ROOT, "%.3f", run.steps().getLast().maxVio()),
                    String.format(Locale.ROOT, "%.4f", run.steps().getLast().balanceLoss()));
        }
        System.out.printf(Locale.ROOT, "balance: %d runs of %d steps in %.1f s%n", r.runs().size(), r.runs().getFirst().steps().size(), seconds);
    }
}
