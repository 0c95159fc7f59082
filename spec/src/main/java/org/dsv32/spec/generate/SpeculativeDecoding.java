package org.dsv32.spec.generate;

import java.util.Arrays;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.metrics.Metrics;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.ModelSession;
import org.dsv32.spec.ops.MtpOp;
import org.dsv32.spec.ops.SpeculativeDecodingOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ModelWeights;

/**
 * Greedy generation with and without MTP drafting (spec/SEMANTICS.md §10e), over any backend's {@link ModelOp} and
 * {@link MtpOp}: only bookkeeping lives here, every number comes from the backend, so the same loop checks the
 * reference and the simd path.
 * <p>Speculation, one draft per step: after the main model has fed position m and chosen g = t_{m+1} greedily,
 * the MTP module (module 0) reads h_m and g and proposes d for t_{m+2}. The next main step feeds [g, d] in one
 * forward of two tokens at position m+1 (a chunked forward). Its first row's argmax y is the true t_{m+2}: if y = d
 * the draft is accepted, the second row's argmax is t_{m+3}, and one main step produced two tokens; otherwise y is
 * taken and d's cache rows are dropped by {@link ModelSession#rollback} (truncation, not recomputation). The MTP
 * module's own cache only ever receives rows whose inputs are final (h_p of a fed token and the true t_{p+1}), so it
 * never needs a rollback. With D > 1 modules only module 0 drafts; chaining modules for several drafts per step is
 * not implemented.
 * <p>Greedy: the argmax of a logits row, ties to the lower token id (Metrics.argmax).
 */
public class SpeculativeDecoding implements SpeculativeDecodingOp {
    private final Backend backend;
    private final OpContext ctx;

    public SpeculativeDecoding(Backend backend, OpContext ctx) {
        this.backend = backend;
        this.ctx = ctx;
    }

    /** Plain greedy: the prompt's prefill, then one decode step per further token. */
    public Generation greedy(ModelWeights w, int[] prompt, int count) {
        check(prompt, count);
        ModelSession s = backend.require(ModelOp.class, ctx).open(w);
        int[] out = new int[count];
        out[0] = argmax(s.forwardLast(prompt.clone()), 0);
        int steps = 0;
        for (int n = 1; n < count; n++, steps++) out[n] = argmax(s.forwardLast(new int[] {out[n - 1]}), 0);
        return new Generation(out, steps, 0, 0);
    }

    /**
     * The logits a greedy decoder sees along a given continuation: row n is the last-position logits after the prompt
     * and {@code tokens[0..n-1]} (so its argmax is what plain greedy would choose for token n on that path). A checker
     * judges another backend's tokens with it, one decision per row, and follows the other backend's path after an
     * admissible near-tie instead of diverging from it.
     */
    public TensorF64 teacherForced(ModelWeights w, int[] prompt, int[] tokens) {
        check(prompt, tokens.length);
        ModelSession s = backend.require(ModelOp.class, ctx).open(w);
        TensorF64 first = s.forwardLast(prompt.clone());
        TensorF64 out = TensorF64.zeros(tokens.length, first.cols());
        for (int n = 0; n < tokens.length; n++) {
            TensorF64 z = n == 0 ? first : s.forwardLast(new int[] {tokens[n - 1]});
            for (int j = 0; j < z.cols(); j++) out.put(n, j, z.get(0, j));
        }
        return out;
    }

    /** The operation: {@link #speculative}. */
    @Override
    public Generation generate(ModelWeights w, int[] prompt, int count) { return speculative(w, prompt, count); }

    /** Greedy with one MTP draft per main step; must equal {@link #greedy} token for token. */
    public Generation speculative(ModelWeights w, int[] prompt, int count) {
        check(prompt, count);
        if (w.mtp().isEmpty()) throw new IllegalArgumentException("speculative decoding: the checkpoint has no MTP module to draft with");
        ModelSession s = backend.require(ModelOp.class, ctx).open(w);
        MtpOp mtp = backend.require(MtpOp.class, ctx);
        LayerCache mtpCache = new LayerCache();
        int[] out = new int[count];
        int g = argmax(s.forwardLast(prompt.clone()), 0);
        out[0] = g;
        int n = 1, steps = 0, drafts = 0, accepted = 0;
        // the MTP rows not yet fed: hidden states from mtpCache.length() on, each with the token after it
        TensorF64 pendingHidden = s.lastHidden();
        int[] pendingNext = Arrays.copyOf(Arrays.copyOfRange(prompt, 1, prompt.length), prompt.length);
        pendingNext[prompt.length - 1] = g;
        while (n < count) {
            if (count - n == 1) { // room for one token only: a draft could not be used
                out[n++] = argmax(s.forwardLast(new int[] {g}), 0);
                steps++;
                break;
            }
            TensorF64 z = mtp.forward(pendingHidden, pendingNext, mtpCache.length(), w, 0, mtpCache);
            int draft = argmax(z, z.rows() - 1);
            drafts++;
            TensorF64 verify = s.forward(new int[] {g, draft});
            steps++;
            TensorF64 hidden = s.lastHidden();
            int truth = argmax(verify, 0);
            if (accepts(draft, truth)) {
                accepted++;
                out[n++] = draft;
                g = argmax(verify, 1);
                out[n++] = g;
                pendingHidden = hidden;
                pendingNext = new int[] {draft, g};
            } else {
                s.rollback(s.position() - 1); // forget the draft's cache rows
                out[n++] = truth;
                g = truth;
                pendingHidden = firstRow(hidden);
                pendingNext = new int[] {truth};
            }
        }
        return new Generation(out, steps, drafts, accepted);
    }

    /** Whether the main model's greedy choice {@code verified} confirms {@code draft}: equality, nothing else. */
    protected boolean accepts(int draft, int verified) { return draft == verified; }

    private static int argmax(TensorF64 logits, int row) { return Metrics.argmax(logits.rowArray(row)); }

    private static TensorF64 firstRow(TensorF64 x) {
        TensorF64 y = TensorF64.zeros(1, x.cols());
        for (int c = 0; c < x.cols(); c++) y.put(0, c, x.at(0, c));
        return y;
    }

    private static void check(int[] prompt, int count) {
        if (prompt.length == 0) throw new IllegalArgumentException("greedy generation: the prompt is empty");
        if (count < 1) throw new IllegalArgumentException("greedy generation: " + count + " tokens to generate (at least 1)");
    }
}
