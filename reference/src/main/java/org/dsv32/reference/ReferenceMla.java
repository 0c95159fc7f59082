package org.dsv32.reference;

import java.util.ArrayList;
import java.util.List;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.format.Bf16Rounding;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.AttentionResult;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MlaAttentionOp;
import org.dsv32.spec.ops.AttendedKeys;
import org.dsv32.spec.ops.MlaChecks;
import org.dsv32.spec.ops.RaggedBatch;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.AttentionWeights;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.Weight;

/**
 * Multi-head latent attention with DeepSeek sparse attention, one layer, in float64 (spec/SEMANTICS.md §5, §7, §8;
 * reference/MLA-NOTES.md). For a token t at position p, with H heads and n = nope, r = rope, v = value dims:
 * <pre>
 *   c_q  = RMSNorm_q(W_qa x)                 q_h = (W_qb c_q)_h = [q_nope (n) | q_pe (r)],  q_pe rotated INTERLEAVED at p
 *   W_kva x = [c_kv | k_pe]                  c_kv = RMSNorm_kv(c_kv), fp8 mode: dequant(act_quant(c_kv)); k_pe rotated at p
 *   cache  &lt;- (c_kv, k_pe)                   indexer keys appended too; selection K(t) from the indexer (or forced)
 *   score_h(t,s) = (q_nope . W_uk[h] c_kv(s) + q_pe . k_pe(s)) * scale,   scale = (n + r)^-1/2 * mscale^2
 *   p = softmax over s in K(t) with s &lt;= p;  o_h = sum_s p_s W_uv[h] c_kv(s);  out = W_o [o_1 .. o_H]
 * </pre>
 * W_kvb splits per head h into rows [h(n+v), h(n+v)+n) = W_uk[h] and the next v rows = W_uv[h].
 *
 * <p>Two forms compute the attention: {@link Form#NAIVE} expands every latent through the kv_b LinearOp (act_quant in
 * fp8 mode) into per-head keys and values; {@link Form#ABSORBED} folds W_uk[h] into the query (q~ = W_uk[h]^T q_nope),
 * attends the latents directly and expands the average (o_h = W_uv[h] o~), with the dequantised W_kvb and no
 * act_quant. Like the official demo, {@link #forward} uses NAIVE for a prefill (T &gt; 1) and ABSORBED for a one-token
 * decode. Both forms are equal in real arithmetic. In bf16 mode each form rounds where the deployment's form does
 * (spec/SEMANTICS.md §5c): naive — the q.k product, the scaled score, the probabilities, the value sum; absorbed — the
 * bf16 copy of the dequantised W_kvb, q~, each of the two score products and their sum, the scaled score, the
 * probabilities, o~ and W_uv o~; both — the kv latent after its FP8 round trip.
 *
 * <p>Each formula step is a protected method so that a mutant can change exactly one. Modifies only the cache.
 */
public class ReferenceMla implements MlaAttentionOp {
    /** Which algebraic form computes the attention core. */
    public enum Form { NAIVE, ABSORBED }

    protected final OpContext ctx;
    protected final Backend self;
    protected final ModelConfig config;

    public ReferenceMla(OpContext ctx, Backend self) {
        this.ctx = ctx;
        this.self = self;
        this.config = ctx.config();
    }

    @Override
    public AttentionResult forward(TensorF64 x, int startPos, AttentionWeights w, LayerCache cache, int[][] forcedSelection) {
        return forward(x, startPos, w, cache, forcedSelection, formFor(x.rows()));
    }

    /** {@link #forward(TensorF64, int, AttentionWeights, LayerCache, int[][])} with the attention form chosen by the caller. */
    public AttentionResult forward(TensorF64 x, int startPos, AttentionWeights w, LayerCache cache, int[][] forcedSelection, Form form) {
        checkCache(cache, startPos);
        if (forcedSelection != null) MlaChecks.checkForcedSelection(forcedSelection, x.rows(), startPos + x.rows()); // before the cache changes
        Prepared p = prepare(x, startPos, w, cache);
        IndexerResult indexed = self.require(IndexerOp.class, ctx).select(x, p.qLatent(), startPos, w.indexer(), cache);
        return attend(p, indexed, forcedSelection, w, cache, form);
    }

    /**
     * A ragged batch: every sequence's queries and cache entries as in {@link #forward}, then ONE ragged indexer call
     * for all of them ({@link IndexerOp#selectRagged}, the reference's padded layout), then each sequence's attention in
     * the form {@link #formFor} its own chunk length picks. Equals {@link #forward} per sequence.
     */
    @Override
    public List<AttentionResult> forwardRagged(List<TensorF64> x, int[] startPos, AttentionWeights w, List<LayerCache> caches) {
        RaggedBatch.checkLayerCall("MLA", x.size(), startPos, caches);
        for (int b = 0; b < x.size(); b++) checkCache(caches.get(b), startPos[b]);
        List<Prepared> prepared = new ArrayList<>();
        for (int b = 0; b < x.size(); b++) prepared.add(prepare(x.get(b), startPos[b], w, caches.get(b)));
        List<IndexerResult> indexed = self.require(IndexerOp.class, ctx)
                .selectRagged(x, prepared.stream().map(Prepared::qLatent).toList(), startPos, w.indexer(), caches);
        List<AttentionResult> out = new ArrayList<>();
        for (int b = 0; b < x.size(); b++) {
            out.add(attend(prepared.get(b), indexed.get(b), null, w, caches.get(b), formFor(x.get(b).rows())));
        }
        return out;
    }

    private static void checkCache(LayerCache cache, int startPos) {
        if (cache.length() != startPos) {
            throw new IllegalArgumentException("MLA: cache holds " + cache.length() + " tokens, expected startPos " + startPos);
        }
    }

    /** One forward's queries: c_q [T][q_lora_rank], q_nope [T][H][n] and the rotated q_pe [T][H][r], at these positions. */
    private record Prepared(int[] positions, TensorF64 qLatent, TensorF64[] q) {}

    /** The queries of {@code x} at startPos..; appends the T kv-cache entries. */
    private Prepared prepare(TensorF64 x, int startPos, AttentionWeights w, LayerCache cache) {
        int tokens = x.rows();
        int[] positions = new int[tokens];
        for (int i = 0; i < tokens; i++) positions[i] = startPos + i;
        TensorF64 qLatent = queryLatent(x, w);
        TensorF64[] q = queries(qLatent, positions, w);         // q_nope [T][H][n], q_pe [T][H][r]
        appendLatents(x, positions, w, cache);
        return new Prepared(positions, qLatent, q);
    }

    /** Attention over the selection (the indexer's, or the forced one) in {@code form}, then W_o. */
    private AttentionResult attend(Prepared p, IndexerResult indexed, int[][] forcedSelection, AttentionWeights w, LayerCache cache, Form form) {
        int[][] selection = forcedSelection == null ? indexed.selected() : forcedSelection;
        TensorF64 heads = form == Form.NAIVE
                ? naive(p.q()[0], p.q()[1], p.positions(), selection, w, cache)
                : absorbed(p.q()[0], p.q()[1], p.positions(), selection, w, cache);
        TensorF64 out = self.require(LinearOp.class, ctx).apply(heads, w.o());
        return new AttentionResult(out, new IndexerResult(indexed.scores(), MlaChecks.copy(selection)));
    }

    /** The official demo's choice: the naive (MHA) form for a prefill, the absorbed (MQA) form for one-token decode. */
    protected Form formFor(int tokens) { return tokens == 1 ? Form.ABSORBED : Form.NAIVE; }

    /** c_q = RMSNorm_q(W_qa x), [T][q_lora_rank]. */
    protected TensorF64 queryLatent(TensorF64 x, AttentionWeights w) {
        TensorF64 a = self.require(LinearOp.class, ctx).apply(x, w.qA());
        return self.require(RmsNormOp.class, ctx).apply(a, w.qANorm(), normEps());
    }

    /** eps of q_a_layernorm and kv_a_layernorm: rms_norm_eps. */
    protected double normEps() { return config.rmsNormEps(); }

    /** W_qb c_q split per head into {q_nope [T][H][n], q_pe [T][H][r]}, q_pe rotated at the token's position. */
    protected TensorF64[] queries(TensorF64 qLatent, int[] positions, AttentionWeights w) {
        int tokens = positions.length, heads = config.numAttentionHeads();
        int nope = config.qkNopeHeadDim(), rope = config.qkRopeHeadDim(), width = nope + rope;
        TensorF64 q = self.require(LinearOp.class, ctx).apply(qLatent, w.qB());
        if (q.cols() != heads * width) {
            throw new IllegalArgumentException(w.qB().name() + ": " + q.cols() + " outputs, expected heads * (nope + rope) = " + heads * width);
        }
        TensorF64 qNope = TensorF64.zeros(tokens, heads, nope);
        TensorF64 pe = TensorF64.zeros(tokens * heads, rope);
        int[] rowPositions = new int[tokens * heads];
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < heads; h++) {
                int base = h * width;
                for (int d = 0; d < nope; d++) qNope.set(q.at(t, base + d), t, h, d);
                for (int d = 0; d < rope; d++) pe.put(t * heads + h, d, q.at(t, base + nope + d));
                rowPositions[t * heads + h] = positions[t];
            }
        }
        TensorF64 qPe = rotate(pe, rowPositions).reshape(tokens, heads, rope);
        return new TensorF64[] {qNope, qPe};
    }

    /** RoPE of q_pe and k_pe with {@link #ropeLayout}. */
    protected TensorF64 rotate(TensorF64 rows, int[] rowPositions) {
        return self.require(RopeOp.class, ctx).apply(rows, rowPositions, ropeLayout());
    }

    /** MLA rotates INTERLEAVED: pairs (2i, 2i+1). */
    protected RopeLayout ropeLayout() { return RopeLayout.INTERLEAVED; }

    /** W_kva x = [c_kv | k_pe]; c_kv normed and (fp8) round-tripped, k_pe rotated; both appended to the cache. */
    protected void appendLatents(TensorF64 x, int[] positions, AttentionWeights w, LayerCache cache) {
        int tokens = positions.length, rank = config.kvLoraRank(), rope = config.qkRopeHeadDim();
        TensorF64 kv = self.require(LinearOp.class, ctx).apply(x, w.kvA());
        if (kv.cols() != rank + rope) {
            throw new IllegalArgumentException(w.kvA().name() + ": " + kv.cols() + " outputs, expected kv_lora_rank + rope = " + (rank + rope));
        }
        TensorF64 latent = TensorF64.zeros(tokens, rank);
        TensorF64 kPe = TensorF64.zeros(tokens, rope);
        for (int t = 0; t < tokens; t++) {
            for (int c = 0; c < rank; c++) latent.put(t, c, kv.at(t, c));
            for (int d = 0; d < rope; d++) kPe.put(t, d, kv.at(t, rank + d));
        }
        latent = roundTripLatent(self.require(RmsNormOp.class, ctx).apply(latent, w.kvANorm(), normEps()));
        kPe = rotate(kPe, positions);
        for (int t = 0; t < tokens; t++) cache.appendLatent(latent.rowArray(t), kPe.rowArray(t));
    }

    /** fp8 mode: dequant(act_quant(c_kv)), the FP8 KV cache simulated (spec/SEMANTICS.md §5); exact mode: c_kv. */
    protected TensorF64 roundTripLatent(TensorF64 latent) {
        if (!ctx.fp8()) return latent;
        TensorF64 back = self.require(ActQuantOp.class, ctx).quantize(latent, ctx.scaleFormat()).dequantize();
        return ctx.bf16() ? Bf16Rounding.roundInPlace(back) : back; // bf16 mode: code x scale stored bf16 (§5c)
    }

    /** The softmax scale: (nope + rope)^-1/2 * mscale^2 ({@link ModelConfig#softmaxScale()}). */
    protected double softmaxScale() { return config.softmaxScale(); }

    /** Causality of attention: a query at position p attends keys s &lt;= p only, whatever was selected. */
    protected boolean isVisible(int queryPos, int keyPos) { return AttendedKeys.visible(queryPos, keyPos); }

    /**
     * Naive form: k_nope(s) and v(s) for every cached latent via the kv_b LinearOp (act_quant in fp8 mode),
     * score = (q_nope . k_nope + q_pe . k_pe) * scale, o_h = sum p v. Returns [T][H*v].
     */
    public TensorF64 naive(TensorF64 qNope, TensorF64 qPe, int[] positions, int[][] selection, AttentionWeights w, LayerCache cache) {
        int heads = config.numAttentionHeads(), nope = config.qkNopeHeadDim(), vDim = config.vHeadDim();
        int keys = cache.length();
        MlaChecks.checkKvB(config, w.kvB());
        TensorF64 latents = TensorF64.zeros(keys, config.kvLoraRank());
        for (int s = 0; s < keys; s++) {
            double[] c = cache.latent(s);
            for (int j = 0; j < c.length; j++) latents.put(s, j, c[j]);
        }
        TensorF64 kvUp = self.require(LinearOp.class, ctx).apply(latents, w.kvB()); // [S][H*(n+v)]
        int width = nope + vDim;
        TensorF64 out = TensorF64.zeros(positions.length, heads * vDim);
        for (int t = 0; t < positions.length; t++) {
            boolean[] attended = attended(selection[t], positions[t], keys);
            for (int h = 0; h < heads; h++) {
                double[] scores = new double[keys];
                for (int s = 0; s < keys; s++) {
                    if (!attended[s]) continue;
                    double dot = 0;
                    for (int d = 0; d < nope; d++) dot += qNope.get(t, h, d) * kvUp.at(s, h * width + d);
                    dot += ropeDot(qPe, t, h, cache.keyRope(s));
                    scores[s] = bf(bf(dot) * softmaxScale()); // bf16 mode: the product, then the scaled score (§5c)
                }
                double[] p = bf(softmax(scores, attended));
                for (int j = 0; j < vDim; j++) {
                    double o = 0;
                    for (int s = 0; s < keys; s++) if (attended[s]) o += p[s] * kvUp.at(s, h * width + nope + j);
                    out.put(t, h * vDim + j, bf(o));
                }
            }
        }
        return out;
    }

    /**
     * Absorbed form with the dequantised W_kvb and no act_quant: q~ = W_uk[h]^T q_nope,
     * score = (q~ . c_kv(s) + q_pe . k_pe(s)) * scale, o~ = sum p c_kv(s), o_h = W_uv[h] o~. Returns [T][H*v].
     */
    public TensorF64 absorbed(TensorF64 qNope, TensorF64 qPe, int[] positions, int[][] selection, AttentionWeights w, LayerCache cache) {
        int heads = config.numAttentionHeads(), nope = config.qkNopeHeadDim(), vDim = config.vHeadDim();
        int rank = config.kvLoraRank(), keys = cache.length();
        Weight kvB = w.kvB();
        MlaChecks.checkKvB(config, kvB);
        TensorF64 out = TensorF64.zeros(positions.length, heads * vDim);
        for (int h = 0; h < heads; h++) {
            double[][] uk = new double[nope][];
            double[][] uv = new double[vDim][];
            for (int d = 0; d < nope; d++) uk[d] = absorbedWeightRow(kvB, absorbedRow(h, d));
            for (int j = 0; j < vDim; j++) uv[j] = absorbedWeightRow(kvB, absorbedRow(h, nope + j));
            for (int t = 0; t < positions.length; t++) {
                boolean[] attended = attended(selection[t], positions[t], keys);
                double[] qTilde = new double[rank];
                for (int d = 0; d < nope; d++) {
                    double qd = qNope.get(t, h, d);
                    for (int c = 0; c < rank; c++) qTilde[c] += uk[d][c] * qd;
                }
                bf(qTilde);
                double[] scores = new double[keys];
                for (int s = 0; s < keys; s++) {
                    if (!attended[s]) continue;
                    double[] latent = cache.latent(s);
                    double dot = 0;
                    for (int c = 0; c < rank; c++) dot += qTilde[c] * latent[c];
                    // bf16 mode: each product stored, their sum, then the scaled score (§5c)
                    dot = bf(bf(dot) + bf(absorbedRopeTerm(qPe, t, h, cache.keyRope(s))));
                    scores[s] = bf(dot * softmaxScale());
                }
                double[] p = bf(softmax(scores, attended));
                double[] oTilde = new double[rank];
                for (int s = 0; s < keys; s++) {
                    if (!attended[s]) continue;
                    double[] latent = cache.latent(s);
                    for (int c = 0; c < rank; c++) oTilde[c] += p[s] * latent[c];
                }
                bf(oTilde);
                for (int j = 0; j < vDim; j++) {
                    double o = 0;
                    for (int c = 0; c < rank; c++) o += uv[j][c] * oTilde[c];
                    out.put(t, h * vDim + j, bf(o));
                }
            }
        }
        return out;
    }

    /**
     * Row i of the absorbed form's W_kvb: the dequantised row; in bf16 mode an FP8 weight's dequantisation
     * (code x scale, fp32) stored bf16, as the deployment's one-time dequantised copy (§5c). A dense weight is taken
     * as given.
     */
    protected double[] absorbedWeightRow(Weight kvB, int i) {
        double[] row = kvB.row(i);
        return ctx.bf16() && kvB instanceof Fp8BlockWeight ? Bf16Rounding.roundInPlace(row.clone()) : row;
    }

    /** v rounded to bf16 in bf16 mode (spec/SEMANTICS.md §5c), v otherwise. */
    protected final double bf(double v) { return ctx.bf16() ? Bf16Rounding.round(v) : v; }

    /** Every element of a rounded to bf16 in bf16 mode, in place; returns a. */
    protected final double[] bf(double[] a) { return ctx.bf16() ? Bf16Rounding.roundInPlace(a) : a; }

    /**
     * The row of W_kvb that the absorbed form takes as row i of head h's [W_uk[h] ; W_uv[h]] (i &lt; nope: W_uk):
     * h (nope + v) + i, the per-head split the naive form's kv_b output columns have too.
     */
    protected int absorbedRow(int h, int i) { return h * (config.qkNopeHeadDim() + config.vHeadDim()) + i; }

    /** The rope part of an absorbed-form logit, q_pe . k_pe(s) (the same term as in the naive form). */
    protected double absorbedRopeTerm(TensorF64 qPe, int t, int h, double[] kPe) { return ropeDot(qPe, t, h, kPe); }

    /**
     * The keys query t attends as a mask: the selected ones that are visible from its position under
     * {@link #isVisible} (a set: duplicates count once), with {@link AttendedKeys}' refusals.
     */
    protected boolean[] attended(int[] selected, int queryPos, int keys) {
        boolean[] mask = new boolean[keys];
        for (int s : AttendedKeys.of(selected, queryPos, keys, this::isVisible)) mask[s] = true;
        return mask;
    }

    /** Softmax over the attended entries (max subtracted); the others get probability 0. */
    protected double[] softmax(double[] scores, boolean[] attended) {
        double max = Double.NEGATIVE_INFINITY;
        for (int s = 0; s < scores.length; s++) if (attended[s]) max = Math.max(max, scores[s]);
        double[] p = new double[scores.length];
        double sum = 0;
        for (int s = 0; s < scores.length; s++) {
            if (attended[s]) {
                p[s] = Math.exp(scores[s] - max);
                sum += p[s];
            }
        }
        for (int s = 0; s < p.length; s++) p[s] /= sum;
        return p;
    }

    private static double ropeDot(TensorF64 qPe, int t, int h, double[] kPe) {
        double dot = 0;
        for (int d = 0; d < kPe.length; d++) dot += qPe.get(t, h, d) * kPe[d];
        return dot;
    }



}
