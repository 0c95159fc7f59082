package org.dsv32.reference.train;

import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.AttendedKeys;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.MlaChecks;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.AttentionWeights;

/**
 * MLA of one layer over a training sequence (a prefill from position 0, the naive form), forward with its tape and
 * backward (spec/SEMANTICS.md §7). The forward is {@code ReferenceMla}'s in the same mode, step for step and with the
 * backend's operations, so that its output is the model's; it records what the backward needs:
 * <pre>
 *   qa = W_qa x, c_q = RMSNorm_q(qa), [q_nope | q_pe'] = W_qb c_q, q_pe = RoPE_interleaved(q_pe')
 *   [c_kv' | k_pe'] = W_kva x, c_kv = RMSNorm_kv(c_kv') (fp8: act_quant round trip), k_pe = RoPE(k_pe')
 *   [k_nope | v]_h = (W_kvb c_kv)_h, score = (q_nope·k_nope + q_pe·k_pe) scale, p = softmax over K(t), o_h = Σ p v
 *   out = W_o [o_1 .. o_H]
 * </pre>
 * K(t) is the attended set: every causal key (dense, the indexer's warm-up stage) or the indexer's selection among
 * them (sparse). The selection is a decision, not differentiated; a given one replaces the indexer's.
 */
public class AttentionBackward {
    protected final BackwardSteps steps;
    protected final Backend self;
    protected final ModelConfig config;

    public AttentionBackward(BackwardSteps steps, Backend self) {
        this.steps = steps;
        this.self = self;
        this.config = steps.context().config();
    }

    /** What the forward computed and the backward reads. probs [T][H][S] (0 outside K(t)), selection the attended keys. */
    public record Tape(TensorF64 x, TensorF64 qa, TensorF64 qLatent, TensorF64 qNope, TensorF64 qPe, TensorF64 kvRaw,
                       TensorF64 latentNormed, TensorF64 latent, TensorF64 kPe, TensorF64 kvUp, int[][] selection,
                       TensorF64 probs, TensorF64 heads, TensorF64 output, IndexerResult indexed) {}

    /**
     * The forward over x [T][D] (already normed): {@code sparse} attends the indexer's selection (or {@code forced}
     * when given), otherwise every causal key. The indexer runs in either case (its scores are in the tape).
     */
    public Tape forward(TensorF64 x, AttentionWeights w, boolean sparse, int[][] forced) {
        int tokens = x.rows();
        int[] positions = positions(tokens);
        TensorF64 qa = steps.linear(x, w.qA());
        TensorF64 qLatent = self.require(RmsNormOp.class, steps.context()).apply(qa, w.qANorm(), config.rmsNormEps());
        TensorF64[] q = queries(qLatent, positions, w);
        TensorF64 kvRaw = steps.linear(x, w.kvA());
        int rank = config.kvLoraRank(), rope = config.qkRopeHeadDim();
        TensorF64 latentRaw = columns(kvRaw, 0, rank), kPeRaw = columns(kvRaw, rank, rope);
        TensorF64 latentNormed = self.require(RmsNormOp.class, steps.context()).apply(latentRaw, w.kvANorm(), config.rmsNormEps());
        TensorF64 latent = steps.context().fp8()
                ? self.require(ActQuantOp.class, steps.context()).quantize(latentNormed, steps.context().scaleFormat()).dequantize()
                : latentNormed;
        TensorF64 kPe = self.require(RopeOp.class, steps.context()).apply(kPeRaw, positions, RopeLayout.INTERLEAVED);
        LayerCache cache = new LayerCache();
        for (int t = 0; t < tokens; t++) cache.appendLatent(latent.rowArray(t), kPe.rowArray(t));
        IndexerResult indexed = self.require(IndexerOp.class, steps.context()).select(x, qLatent, 0, w.indexer(), cache);
        int[][] selection = selection(sparse, forced, indexed, tokens);
        MlaChecks.checkKvB(config, w.kvB());
        TensorF64 kvUp = steps.linear(latent, w.kvB());
        TensorF64 probs = TensorF64.zeros(tokens, config.numAttentionHeads(), tokens);
        TensorF64 heads = attend(q[0], q[1], kPe, kvUp, selection, probs);
        TensorF64 out = steps.linear(heads, w.o());
        return new Tape(x, qa, qLatent, q[0], q[1], kvRaw, latentNormed, latent, kPe, kvUp, selection, probs, heads, out, indexed);
    }

    /** The attended keys per query: the forced or the indexer's selection (sparse), or every causal key (dense). */
    protected int[][] selection(boolean sparse, int[][] forced, IndexerResult indexed, int tokens) {
        int[][] out = new int[tokens][];
        for (int t = 0; t < tokens; t++) {
            if (sparse) {
                out[t] = AttendedKeys.of(forced != null ? forced[t] : indexed.selected()[t], t, tokens);
            } else {
                out[t] = new int[t + 1];
                for (int s = 0; s <= t; s++) out[t][s] = s;
            }
        }
        return out;
    }

    /** W_qb c_q split into q_nope [T][H][n] and the rotated q_pe [T][H][r]. */
    protected TensorF64[] queries(TensorF64 qLatent, int[] positions, AttentionWeights w) {
        int tokens = positions.length, heads = config.numAttentionHeads(), nope = config.qkNopeHeadDim(), rope = config.qkRopeHeadDim();
        TensorF64 q = steps.linear(qLatent, w.qB());
        TensorF64 qNope = TensorF64.zeros(tokens, heads, nope), pe = TensorF64.zeros(tokens * heads, rope);
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < heads; h++) {
                int base = h * (nope + rope);
                for (int d = 0; d < nope; d++) qNope.set(q.at(t, base + d), t, h, d);
                for (int d = 0; d < rope; d++) pe.put(t * heads + h, d, q.at(t, base + nope + d));
            }
        }
        TensorF64 qPe = self.require(RopeOp.class, steps.context()).apply(pe, headPositions(positions, heads), RopeLayout.INTERLEAVED);
        return new TensorF64[] {qNope, qPe.reshape(tokens, heads, rope)};
    }

    /** The naive attention core; fills probs [T][H][S]; returns o [T][H*v]. */
    protected TensorF64 attend(TensorF64 qNope, TensorF64 qPe, TensorF64 kPe, TensorF64 kvUp, int[][] selection, TensorF64 probs) {
        int tokens = qNope.dim(0), heads = config.numAttentionHeads(), nope = config.qkNopeHeadDim(), vDim = config.vHeadDim();
        int rope = config.qkRopeHeadDim(), width = nope + vDim;
        double scale = config.softmaxScale();
        TensorF64 out = TensorF64.zeros(tokens, heads * vDim);
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < heads; h++) {
                double[] scores = new double[tokens];
                double max = Double.NEGATIVE_INFINITY;
                for (int s : selection[t]) {
                    double dot = 0;
                    for (int d = 0; d < nope; d++) dot += qNope.get(t, h, d) * kvUp.at(s, h * width + d);
                    double ropeDot = 0;
                    for (int d = 0; d < rope; d++) ropeDot += qPe.get(t, h, d) * kPe.at(s, d);
                    scores[s] = (dot + ropeDot) * scale;
                    max = Math.max(max, scores[s]);
                }
                double sum = 0;
                for (int s : selection[t]) {
                    double e = Math.exp(scores[s] - max);
                    probs.set(e, t, h, s);
                    sum += e;
                }
                for (int s : selection[t]) probs.set(probs.get(t, h, s) / sum, t, h, s);
                for (int j = 0; j < vDim; j++) {
                    double o = 0;
                    for (int s : selection[t]) o += probs.get(t, h, s) * kvUp.at(s, h * width + nope + j);
                    out.put(t, h * vDim + j, o);
                }
            }
        }
        return out;
    }

    /**
     * The backward from dOut [T][D]: adds the gradients of W_o, W_kvb, kv_a_layernorm, W_kva, W_qb, q_a_layernorm and
     * W_qa to {@code grads} (when non-null) and returns dx [T][D]. The selection is constant; the indexer gets nothing.
     */
    public TensorF64 backward(Tape tape, AttentionWeights w, TensorF64 dOut, Gradients grads) {
        int tokens = tape.x().rows(), heads = config.numAttentionHeads(), nope = config.qkNopeHeadDim(), vDim = config.vHeadDim();
        int rope = config.qkRopeHeadDim(), rank = config.kvLoraRank(), width = nope + vDim;
        TensorF64 dHeads = steps.linearBackward(dOut, tape.heads(), w.o(), grads);
        TensorF64[] d = attentionCoreBackward(tape, dHeads);          // dq_nope, dq_pe, dkvUp, dk_pe
        TensorF64 dLatent = steps.linearBackward(d[2], tape.latent(), w.kvB(), grads); // the fp8 round trip passes straight through
        TensorF64 dLatentRaw = steps.rmsNormBackward(columns(tape.kvRaw(), 0, rank), w.kvANorm(), config.rmsNormEps(), dLatent, grads);
        TensorF64 dKPeRaw = steps.ropeBackward(d[3], positions(tokens), RopeLayout.INTERLEAVED);
        TensorF64 dKv = TensorF64.zeros(tokens, rank + rope);
        for (int t = 0; t < tokens; t++) {
            for (int c = 0; c < rank; c++) dKv.put(t, c, dLatentRaw.at(t, c));
            for (int c = 0; c < rope; c++) dKv.put(t, rank + c, dKPeRaw.at(t, c));
        }
        TensorF64 dx = steps.linearBackward(dKv, tape.x(), w.kvA(), grads);
        TensorF64 dPe = steps.ropeBackward(d[1].reshape(tokens * heads, rope), headPositions(positions(tokens), heads), RopeLayout.INTERLEAVED);
        TensorF64 dQ = TensorF64.zeros(tokens, heads * (nope + rope));
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < heads; h++) {
                for (int c = 0; c < nope; c++) dQ.put(t, h * (nope + rope) + c, d[0].get(t, h, c));
                for (int c = 0; c < rope; c++) dQ.put(t, h * (nope + rope) + nope + c, dPe.at(t * heads + h, c));
            }
        }
        TensorF64 dQLatent = steps.linearBackward(dQ, tape.qLatent(), w.qB(), grads);
        TensorF64 dQa = steps.rmsNormBackward(tape.qa(), w.qANorm(), config.rmsNormEps(), dQLatent, grads);
        add(dx, steps.linearBackward(dQa, tape.x(), w.qA(), grads));
        return dx;
    }

    /**
     * The softmax attention's backward, per query t and head h, from do = dHeads[t, h]: dp_s = do·v_s, dv_s += p_s do,
     * dscore_s = p_s (dp_s − Σ p dp) · scale, then dq_nope += dscore k_nope(s), dk_nope(s) += dscore q_nope,
     * dq_pe += dscore k_pe(s), dk_pe(s) += dscore q_pe (k_pe is shared by the heads). Returns
     * {dq_nope [T][H][n], dq_pe [T][H][r], dkvUp [S][H(n+v)], dk_pe [S][r]}.
     */
    protected TensorF64[] attentionCoreBackward(Tape tape, TensorF64 dHeads) {
        int tokens = tape.x().rows(), heads = config.numAttentionHeads(), nope = config.qkNopeHeadDim(), vDim = config.vHeadDim();
        int rope = config.qkRopeHeadDim(), width = nope + vDim;
        double scale = config.softmaxScale();
        TensorF64 dqNope = TensorF64.zeros(tokens, heads, nope), dqPe = TensorF64.zeros(tokens, heads, rope);
        TensorF64 dKvUp = TensorF64.zeros(tokens, heads * width), dkPe = TensorF64.zeros(tokens, rope);
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < heads; h++) {
                int[] keys = tape.selection()[t];
                double[] dp = new double[keys.length];
                double mean = 0;
                for (int i = 0; i < keys.length; i++) {
                    int s = keys[i];
                    double p = tape.probs().get(t, h, s);
                    for (int j = 0; j < vDim; j++) {
                        double g = dHeads.at(t, h * vDim + j);
                        dp[i] += g * tape.kvUp().at(s, h * width + nope + j);
                        dKvUp.put(s, h * width + nope + j, dKvUp.at(s, h * width + nope + j) + p * g);
                    }
                    mean += p * dp[i];
                }
                for (int i = 0; i < keys.length; i++) {
                    int s = keys[i];
                    double ds = tape.probs().get(t, h, s) * (dp[i] - mean) * scale;
                    for (int c = 0; c < nope; c++) {
                        dqNope.set(dqNope.get(t, h, c) + ds * tape.kvUp().at(s, h * width + c), t, h, c);
                        dKvUp.put(s, h * width + c, dKvUp.at(s, h * width + c) + ds * tape.qNope().get(t, h, c));
                    }
                    for (int c = 0; c < rope; c++) {
                        dqPe.set(dqPe.get(t, h, c) + ds * tape.kPe().at(s, c), t, h, c);
                        dkPe.put(s, c, dkPe.at(s, c) + ds * tape.qPe().get(t, h, c));
                    }
                }
            }
        }
        return new TensorF64[] {dqNope, dqPe, dKvUp, dkPe};
    }

    static int[] positions(int tokens) {
        int[] p = new int[tokens];
        for (int i = 0; i < tokens; i++) p[i] = i;
        return p;
    }

    private static int[] headPositions(int[] positions, int heads) {
        int[] out = new int[positions.length * heads];
        for (int r = 0; r < out.length; r++) out[r] = positions[r / heads];
        return out;
    }

    static TensorF64 columns(TensorF64 x, int from, int count) {
        TensorF64 out = TensorF64.zeros(x.rows(), count);
        for (int r = 0; r < x.rows(); r++) for (int c = 0; c < count; c++) out.put(r, c, x.at(r, from + c));
        return out;
    }

    static void add(TensorF64 a, TensorF64 b) {
        if (a.size() != b.size()) throw new IllegalArgumentException("shape mismatch " + a + " vs " + b);
        for (int i = 0; i < a.size(); i++) a.setFlat(i, a.getFlat(i) + b.getFlat(i));
    }
}
