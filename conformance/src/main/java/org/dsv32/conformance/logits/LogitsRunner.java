package org.dsv32.conformance.logits;

import java.util.LinkedHashMap;
import java.util.Map;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.trace.Decisions;
import org.dsv32.conformance.trace.TracingBackend;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.io.TensorData;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.ModelSession;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ModelWeights;

/**
 * Teacher-forced logits: for each sequence b, a fresh session; the prompt as one prefill gives
 * {@code seq{b}.step0} (logits after the prompt's last token); each decode token fed alone gives
 * {@code seq{b}.step{k}}. Logits are stored as float32 [vocab] — the format a PyTorch user can produce from
 * DeepSeek's own inference code and compare with {@code ./dsv32 compare}.
 */
public final class LogitsRunner {
    private LogitsRunner() {}

    /**
     * Runs the script. {@code progress} gets a {@link Progress#step step} line after every step
     * ({@code seq0.step12 done (13 of 101 steps)}) and a {@link Progress#report milestone} when a sequence is done.
     */
    public static Map<String, TensorData> run(Backend backend, PrecisionMode mode, ModelWeights weights, LogitsScript script, Progress progress) {
        return run(backend, mode, weights, script, progress, null);
    }

    /**
     * {@link #run}, passing every decision of every step to {@code trace} (null: none) through {@link TracingBackend}:
     * recorded ({@link org.dsv32.conformance.trace.DecisionTrace}, which leaves the logits' bits unchanged) or
     * replaced ({@link org.dsv32.conformance.trace.DecisionReplay}).
     */
    public static Map<String, TensorData> run(Backend backend, PrecisionMode mode, ModelWeights weights, LogitsScript script, Progress progress,
                                              Decisions trace) {
        OpContext ctx = new OpContext(weights.config(), mode);
        ModelOp model = (trace == null ? backend : TracingBackend.of(backend, trace)).require(ModelOp.class, ctx);
        Map<String, TensorData> out = new LinkedHashMap<>();
        for (int b = 0; b < script.sequences().size(); b++) {
            LogitsScript.Sequence s = script.sequences().get(b);
            ModelSession session = model.open(weights);
            int steps = 1 + s.decode().length;
            if (trace != null) trace.at(b, 0);
            TensorF64 logits = session.forwardLast(s.prompt());
            if (trace != null) trace.finalHidden(session.lastHidden());
            out.put(name(b, 0), lastRow("seq" + b + ".step0", logits));
            step(progress, b, 0, steps);
            for (int k = 0; k < s.decode().length; k++) {
                if (trace != null) trace.at(b, k + 1);
                logits = session.forwardLast(new int[] {s.decode()[k]});
                if (trace != null) trace.finalHidden(session.lastHidden());
                out.put(name(b, k + 1), lastRow(name(b, k + 1), logits));
                step(progress, b, k + 1, steps);
            }
            progress.report("sequence " + b + ": " + steps + " step" + (steps == 1 ? "" : "s") + " done");
        }
        return out;
    }

    public static String name(int sequence, int step) { return "seq" + sequence + ".step" + step; }

    private static void step(Progress progress, int sequence, int step, int steps) {
        progress.step(name(sequence, step) + " done (" + (step + 1) + " of " + steps + " steps)");
    }

    private static TensorData lastRow(String name, TensorF64 logits) {
        double[] row = logits.rowArray(logits.rows() - 1);
        float[] f = new float[row.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) row[i];
        return TensorData.ofFloats(name, f, f.length);
    }
}
