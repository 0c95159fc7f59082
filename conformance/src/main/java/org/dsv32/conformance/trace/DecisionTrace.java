package org.dsv32.conformance.trace;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dsv32.spec.io.TensorData;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MoeWeights;

/**
 * The decisions of a logits run, per sequence, step and layer, as named tensors (spec/TRACE_FORMAT.md): the indexer's
 * selected keys and the scores of every key, the MoE routing (selection scores, group scores, kept groups, experts,
 * weights), and on request the hidden state after every block and after the final norm. Filled through
 * {@link TracingBackend} while {@link #at} names the step being run; it records and changes nothing. One run, one thread.
 */
public final class DecisionTrace implements Decisions {
    private final boolean hidden;
    private final Map<String, TensorData> tensors = new LinkedHashMap<>();
    private String step;

    /** A trace; {@code hidden} also records the hidden states (large: T x hidden_size floats per block and step). */
    public DecisionTrace(boolean hidden) { this.hidden = hidden; }

    @Override
    public boolean wantsBlockOutputs() { return hidden; }

    /** Names the step the next records belong to: {@code seq{sequence}.step{step}}. */
    @Override
    public void at(int sequence, int step) { this.step = "seq" + sequence + ".step" + step; }

    /**
     * The indexer of {@code layer}: {@code indexer.selected} I32 [T][index_topk] (best first, −1 padded where a query
     * sees fewer keys) and {@code indexer.scores} F64 [T][S] (−inf for keys a query cannot see).
     */
    @Override
    public IndexerResult indexer(int layer, IndexerResult r, int startPos, int topk) {
        String p = prefix(layer) + "indexer.";
        put(TensorData.ofInts(p + "selected", padded(r.selected(), topk), r.selected().length, topk));
        put(doubles(p + "scores", r.scores()));
        return r;
    }

    /**
     * The MoE gate of {@code layer}: {@code moe.selection_scores} F64 [T][E] (s + bias, −inf in dropped groups),
     * {@code moe.group_scores} F64 [T][n_group], {@code moe.groups} I32 [T][topk_group], {@code moe.experts} I32 [T][K]
     * and {@code moe.weights} F64 [T][K] (aligned with the experts).
     */
    @Override
    public Routing routing(int layer, Routing r, MoeWeights w) {
        String p = prefix(layer) + "moe.";
        put(doubles(p + "selection_scores", r.selectionScores()));
        put(doubles(p + "group_scores", r.groupScores()));
        put(TensorData.ofInts(p + "groups", padded(r.groups(), width(r.groups())), r.groups().length, width(r.groups())));
        put(TensorData.ofInts(p + "experts", padded(r.experts(), width(r.experts())), r.experts().length, width(r.experts())));
        put(doubles(p + "weights", r.weights()));
        return r;
    }

    /** {@code moe.input} F32 [T][D] (with hidden states): what the MoE gate of {@code layer} routes. */
    @Override
    public void gateInput(int layer, TensorF64 x) { if (hidden) put(floats(prefix(layer) + "moe.input", x)); }

    /** {@code hidden} F32 [T][D]: the residual stream leaving block {@code layer}. */
    @Override
    public void blockOutput(int layer, TensorF64 h) { if (hidden) put(floats(prefix(layer) + "hidden", h)); }

    /** {@code seq{b}.step{k}.final_hidden} F32 [T][D]: after the final norm, as handed to the LM head. */
    @Override
    public void finalHidden(TensorF64 h) { if (hidden) put(floats(current() + ".final_hidden", h)); }

    /** Every tensor recorded, in the order of recording. */
    public List<TensorData> tensors() { return Collections.unmodifiableList(new ArrayList<>(tensors.values())); }

    private String current() {
        if (step == null) throw new IllegalStateException("trace: a decision before the first step was named");
        return step;
    }

    private String prefix(int layer) { return current() + ".layer" + layer + "."; }

    private void put(TensorData t) {
        if (tensors.putIfAbsent(t.name(), t) != null) {
            throw new IllegalStateException("trace: " + t.name() + " recorded twice (one call per layer and step expected)");
        }
    }

    private static int width(int[][] rows) {
        int w = 0;
        for (int[] r : rows) w = Math.max(w, r.length);
        return w;
    }

    private static int[] padded(int[][] rows, int width) {
        int[] flat = new int[rows.length * width];
        java.util.Arrays.fill(flat, -1);
        for (int r = 0; r < rows.length; r++) System.arraycopy(rows[r], 0, flat, r * width, rows[r].length);
        return flat;
    }

    private static TensorData doubles(String name, double[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        double[] flat = new double[rows.length * cols];
        for (int r = 0; r < rows.length; r++) System.arraycopy(rows[r], 0, flat, r * cols, cols);
        return TensorData.ofDoubles(name, flat, rows.length, cols);
    }

    private static TensorData doubles(String name, TensorF64 t) { return TensorData.ofDoubles(name, t.toArray(), t.rows(), t.cols()); }

    private static TensorData floats(String name, TensorF64 t) {
        double[] d = t.toArray();
        float[] f = new float[d.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) d[i];
        return TensorData.ofFloats(name, f, t.rows(), t.cols());
    }
}
