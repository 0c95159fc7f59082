package org.dsv32.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.logits.LogitsScript;
import org.dsv32.conformance.parity.Parity;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.Backends;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.checkpoint.CheckpointLoader;
import org.dsv32.spec.io.OutputFiles;
import org.dsv32.spec.tolerance.Tolerances;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./dsv32 parity}: another implementation's logits against ours, step by step, decision-aware. */
@Command(name = "parity", mixinStandardHelpOptions = true,
        header = "Prove another implementation's logits equivalent to ours, decision by decision.",
        description = {"Runs the script on our side (default: the float64 reference) and judges each step of their logits "
                + "(the file ./dsv32 logits writes, e.g. from DeepSeek's inference code): agree; admissible (their decisions "
                + "replayed on our side give their logits: tie-breaking, proven); may be admissible (no trace of theirs, but "
                + "our side took near-tie decisions that could explain it); violation (one of their decisions loses by more "
                + "than rounding explains); unexplained (an arithmetic difference). Traces: spec/TRACE_FORMAT.md.",
                "Exit 0 when every step agrees or is proven admissible, 1 otherwise, 2 on bad input."})
final class ParityCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "Hugging Face-layout checkpoint directory")
    Path checkpoint;

    @Option(names = "--script", required = true, description = "the logits script both sides ran")
    Path script;

    @Option(names = "--theirs", required = true, description = "their logits (seq{b}.step{k} tensors)")
    Path theirs;

    @Option(names = "--theirs-trace", description = "their decisions (spec/TRACE_FORMAT.md), replayed on our side to prove tie-breaking")
    Path theirsTrace;

    @Option(names = "--backend", defaultValue = "reference", description = "our side (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--precision", defaultValue = "exact", description = "exact, fp8 or bf16 (spec/SEMANTICS.md §5, §5c; default: ${DEFAULT-VALUE})")
    String precision;

    @Option(names = "--max-calc-diff", paramLabel = "X", description = "the agreement bound per step (default: the derived logits parity bound)")
    Double maxCalcDiff;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the report as JSON")
    Path json;

    @Override
    public Integer call() throws Exception {
        if (json != null) OutputFiles.checkFile(json);
        CliErrors.requireInput(theirs, "their logits");
        if (theirsTrace != null) CliErrors.requireInput(theirsTrace, "their trace");
        PrecisionMode mode = PrecisionMode.parse(precision);
        Backend b = Backends.byName(backend);
        if (!b.availability().available()) throw new IllegalStateException("backend " + b.name() + " is " + b.availability());
        LogitsScript s = LogitsScript.read(script);
        Map<String, double[]> their = Parity.readLogits(theirs);
        warnOnPrecisionMismatch(theirs, mode);
        double bound = maxCalcDiff != null ? maxCalcDiff : Tolerances.LOGITS_PARITY_CALC_DIFF;
        Parity.Report r;
        Progress.RateLimited progress = Progress.rateLimited(line -> System.err.println("  " + line), System::nanoTime, Progress.DEFAULT_INTERVAL_NANOS);
        try (CheckpointLoader ckpt = CheckpointLoader.open(checkpoint)) {
            r = Parity.run(b, mode, ckpt.weights(), s, their, theirsTrace, bound, progress);
        } finally {
            progress.finish();
        }
        print(r);
        if (json != null) OutputFiles.writeBytes(json, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson(r)));
        return r.exitCode();
    }

    /**
     * A logits file that names its precision (the kit writes {@code precision}: exact, fp8, or bf16 for fp8 with bf16
     * activations) compared in another mode almost surely differs for that reason alone: say so on stderr.
     */
    private static void warnOnPrecisionMismatch(Path file, PrecisionMode mode) {
        try (org.dsv32.spec.io.SafetensorsFile f = org.dsv32.spec.io.SafetensorsFile.open(file)) {
            String theirs = f.metadata().get("precision");
            if (theirs != null && !theirs.equalsIgnoreCase(mode.label())) {
                System.err.println("parity: warning: " + file + " says precision " + Printable.escape(theirs) + ", ours runs "
                        + mode.label() + " (pass --precision " + Printable.escape(theirs) + " to compare like with like)");
            }
        } catch (IOException | RuntimeException e) {
            // Parity.readLogits already read the file; a metadata problem is not worth failing over
        }
    }

    private static void print(Parity.Report r) {
        String row = "%-14s %11s %7s %11s %9s  %-18s %s%n";
        System.out.printf(Locale.ROOT, row, "step", "calc_diff", "argmax", "replayed", "ties", "verdict", "");
        for (Parity.Step s : r.steps()) {
            System.out.printf(Locale.ROOT, row, s.name(), sci(s.calcDiff()), s.argmaxAgrees() ? "same" : "DIFF", sci(s.replayedCalcDiff()),
                    s.nearTies() + "/" + s.exactTies(), s.verdict().label(), Printable.escape(s.detail()));
        }
        if (r.theirTrace()) {
            System.out.println("their decisions under " + r.backend() + "'s scores: indexer " + r.indexerReplay().describe()
                    + "; MoE gates " + r.routingReplay().describe() + "; act_quant at a midpoint " + r.actQuantReplay().describe());
            System.out.println("our decisions under their scores: " + r.oursUnderTheirs().describe());
            for (String v : r.violations()) System.out.println("  violation: " + Printable.escape(v));
        }
        long proven = r.steps().stream().filter(s -> s.verdict().proven()).count();
        System.out.printf(Locale.ROOT, "parity: %s — %d of %d steps agree or are proven admissible (bound %s, %s, %s)%n",
                r.exitCode() == 0 ? "PASS" : "FAIL", proven, r.steps().size(), sci(r.bound()), r.backend(), r.precision());
    }

    private static ObjectNode toJson(Parity.Report r) {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        root.put("backend", r.backend()).put("precision", r.precision()).put("bound", r.bound()).put("their_trace", r.theirTrace())
                .put("passed", r.exitCode() == 0);
        ArrayNode steps = root.putArray("steps");
        for (Parity.Step s : r.steps()) {
            ObjectNode n = steps.addObject().put("step", s.name()).put("calc_diff", s.calcDiff()).put("argmax_agrees", s.argmaxAgrees())
                    .put("near_ties", s.nearTies()).put("exact_ties", s.exactTies()).put("verdict", s.verdict().name().toLowerCase(Locale.ROOT))
                    .put("detail", s.detail());
            if (!Double.isNaN(s.replayedCalcDiff())) n.put("replayed_calc_diff", s.replayedCalcDiff());
        }
        if (r.theirTrace()) {
            root.put("their_decisions_indexer", r.indexerReplay().describe()).put("their_decisions_moe", r.routingReplay().describe())
                    .put("their_act_quant_roundings", r.actQuantReplay().describe())
                    .put("our_decisions_under_their_scores", r.oursUnderTheirs().describe());
        }
        ArrayNode v = root.putArray("violations");
        r.violations().forEach(v::add);
        return root;
    }

    private static String sci(double v) { return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.3e", v); }
}
