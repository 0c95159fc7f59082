package org.dsv32.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.logits.LogitsMemory;
import org.dsv32.conformance.logits.LogitsRunner;
import org.dsv32.conformance.trace.DecisionReplay;
import org.dsv32.conformance.trace.DecisionTrace;
import org.dsv32.conformance.trace.Decisions;
import org.dsv32.conformance.logits.LogitsScript;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.Backends;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.checkpoint.CheckpointLoader;
import org.dsv32.spec.io.NonFiniteScan;
import org.dsv32.spec.io.OutputFiles;
import org.dsv32.spec.io.SafetensorsWriter;
import org.dsv32.spec.io.TensorData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./dsv32 logits}: teacher-forced logits of a checkpoint for a script of token sequences. */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = {"Teacher-forced logits: each sequence's prompt as one prefill, then each decode token alone.",
                "Writes float32 tensors seq{b}.step0 (after the prompt) and seq{b}.step{k} (after decode token k).",
                "Progress on stderr: at most one step line every 2 s, and a line when each sequence is done.",
                "A sequence longer than max_position_embeddings is run, with a warning on stderr."})
final class LogitsCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "Hugging Face-layout checkpoint directory (config.json + safetensors)")
    Path checkpoint;

    @Option(names = "--script", required = true, description = "JSON: {\"sequences\": [{\"prompt\": [ids], \"decode\": [ids]}, ...]}")
    Path script;

    @Option(names = "--backend", defaultValue = "reference", description = "backend name (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--precision", defaultValue = "exact", description = "exact, fp8 or bf16 (spec/SEMANTICS.md §5, §5c; default: ${DEFAULT-VALUE})")
    String precision;

    @Option(names = "--out", required = true, description = "output safetensors file")
    Path out;

    @Option(names = "--trace", description = "also write every decision (indexer selections and scores, MoE routing) per "
            + "sequence, step and layer to this safetensors file (spec/TRACE_FORMAT.md)")
    Path trace;

    @Option(names = "--replay", description = "force the decisions of this trace (spec/TRACE_FORMAT.md) and judge each against "
            + "this backend's own scores: agree, exact tie, near-tie or violation; exit 1 on a violation (the logits are written)")
    Path replay;

    @Option(names = "--trace-hidden", description = "with --trace: also the hidden state after every block and after the final norm")
    boolean traceHidden;

    @Option(names = "--allow-non-finite", description = "load weights holding NaN/inf and write NaN/inf logits "
            + "(refused by default: exit 2 for such weights, exit 1 for such logits, nothing written)")
    boolean allowNonFinite;

    @Override
    public Integer call() throws Exception {
        OutputFiles.checkFile(out); // before any work: a bad --out must not cost a whole run
        if (trace != null) OutputFiles.checkFile(trace);
        if (traceHidden && trace == null) throw new IllegalArgumentException("--trace-hidden needs --trace FILE");
        if (replay != null) CliErrors.requireInput(replay, "trace to replay");
        DecisionTrace decisions = trace == null ? null : new DecisionTrace(traceHidden);
        DecisionReplay forced = null;
        PrecisionMode mode = PrecisionMode.parse(precision);
        Backend b = Backends.byName(backend);
        if (!b.availability().available()) throw new IllegalStateException("backend " + b.name() + " is " + b.availability());
        LogitsScript s = LogitsScript.read(script);
        long t0 = System.nanoTime();
        Map<String, TensorData> logits;
        Progress.RateLimited progress = Progress.rateLimited(line -> System.err.println("  " + line), System::nanoTime,
                Progress.DEFAULT_INTERVAL_NANOS);
        try (CheckpointLoader ckpt = CheckpointLoader.open(checkpoint, allowNonFinite)) {
            LogitsMemory.requireHeap(ckpt.config(), ckpt.files().configFile().orElseThrow(), s, script);
            for (String w : s.positionWarnings(ckpt.config().maxPositionEmbeddings())) System.err.println("dsv32 logits: warning: " + w);
            if (replay != null) forced = DecisionReplay.open(replay, ckpt.config(), mode);
            Decisions d = forced == null ? decisions : decisions == null ? forced : forced.then(decisions);
            logits = LogitsRunner.run(b, mode, ckpt.weights(), s, progress, d);
        } finally {
            progress.finish();
            if (forced != null) forced.close();
        }
        String nonFinite = allowNonFinite ? null : firstNonFinite(logits);
        if (nonFinite != null) {
            System.err.println("dsv32 logits: " + nonFinite + "; nothing written to " + Printable.of(out) + " (--allow-non-finite writes it anyway)");
            return 1;
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "dsv32-logits-v1");
        meta.put("backend", b.name());
        meta.put("precision", mode.label());
        meta.put("checkpoint", checkpoint.toAbsolutePath().normalize().toString());
        SafetensorsWriter.write(out, logits.values(), meta);
        if (decisions != null) {
            Map<String, String> traceMeta = new LinkedHashMap<>(meta);
            traceMeta.put("format", "dsv32-trace-v1");
            SafetensorsWriter.write(trace, decisions.tensors(), traceMeta);
            System.out.printf("wrote %d trace tensors to %s%n", decisions.tensors().size(), Printable.of(trace));
        }
        System.out.printf("wrote %d logits tensors to %s (%s, %s) in %.1f s%n", logits.size(), Printable.of(out), b.name(), mode.label(),
                (System.nanoTime() - t0) / 1e9);
        if (forced != null) {
            System.out.println("replay of " + Printable.of(replay) + ": indexer " + forced.indexerTally().describe() + "; MoE gates "
                    + forced.routingTally().describe() + "; " + forced.invisibleKeysDropped() + " selected keys their query cannot see dropped");
            for (String v : forced.violations()) System.out.println("  violation: " + Printable.escape(v));
            if (!forced.admissible()) {
                System.out.println("replay: FAIL — a forced decision loses by more than rounding explains (a semantic difference)");
                return 1;
            }
            System.out.println("replay: every forced decision is admissible under " + b.name() + "'s own scores");
        }
        return 0;
    }

    /** "logits 'seq0.step2' has a non-finite value at element 5 [5]: NaN (...)" for the first such tensor, or null. */
    static String firstNonFinite(Map<String, TensorData> logits) {
        for (TensorData t : logits.values()) {
            long bad = NonFiniteScan.firstNonFinite(t);
            if (bad >= 0) {
                return "logits '" + t.name() + "' has a non-finite value at " + NonFiniteScan.describe(t.bytes(), t.dtype(), t.shape(), bad);
            }
        }
        return null;
    }
}
