package org.dsv32.optimized;

import org.dsv32.spec.format.Bf16Rounding;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.AttentionResult;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MlaAttentionOp;
import org.dsv32.spec.ops.AttendedKeys;
import org.dsv32.spec.ops.MlaChecks;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.AttentionWeights;
import org.dsv32.spec.weights.Weight;

/**
 * Multi-head latent attention with DeepSeek sparse attention in float32 (spec/SEMANTICS.md §5, §7, §8; the
 * reference is {@code ReferenceMla}). With H heads, n = nope, r = rope, v = value dims, for a
 * token t at position p:
 * <pre>
 *   c_q = RMSNorm_q(W_qa x);  q_h = (W_qb c_q)_h = [q_nope | q_pe], q_pe rotated INTERLEAVED at p
 *   [c_kv | k_pe] = W_kva x;  c_kv = RMSNorm_kv(c_kv), fp8 mode: dequant(act_quant(c_kv)); k_pe rotated at p
 *   score_h(t,s) = (q_nope . W_uk[h] c_kv(s) + q_pe . k_pe(s)) * scale   scale = fp32(softmaxScale()), with mscale^2
 *   p = softmax over the selected keys s &lt;= p (float32, max subtracted); o_h = sum p W_uv[h] c_kv(s); out = W_o o
 * </pre>
 *
 * <p>Form, as the reference chooses it ({@link #formFor}): one new token (decode) runs ABSORBED: q~ = W_uk[h]^T
 * q_nope with the dequantised kv_b, scores against the cached latents, o~ = sum p c_kv, o_h = W_uv[h] o~, no
 * act_quant. A prefill (T &gt; 1) runs NAIVE: the latents of the attended keys (the union over the T queries) go
 * through the kv_b LinearOp — act_quant in fp8 mode, as in the reference, which matters when the scales are not
 * ue8m0 (with ue8m0 the second act_quant of a round-tripped latent is lossless, MLA-NOTES) — and the per-head keys
 * and values attend. Rows of a product are independent, so expanding only the attended keys gives the same values
 * as expanding the whole cache. Both forms are public ({@link #forward(float[], int, int, AttentionWeights,
 * LayerCache, int[][], Form)}) and agree to float32 rounding in exact mode.
 *
 * <p>Sparse: scores, softmax and sums touch only the attended keys of each query (its selection, as a set, keys
 * after the query dropped, ascending key order), never the others. A forced selection (decision replay) replaces the
 * indexer's, which still runs and caches its keys. The cache receives the latents and k_pe exactly as the contract
 * says (float64 rows; in fp8 mode the exact dequantised values); the float32 mirror ({@link SimdCacheMirror}) is
 * what this operation reads. In bf16 mode the rounding points of spec/SEMANTICS.md §5c are those of
 * {@code ReferenceMla}, each form its own. Parallel units are groups of heads (absorbed; any grouping gives the same bits) or (token, head) pairs (naive), each computed in a
 * fixed order: results do not depend on the thread count. Modifies only the cache.
 */
public final class SimdMla implements MlaAttentionOp {
    /** Which algebraic form computes the attention core. */
    public enum Form { NAIVE, ABSORBED }

    /** The float32 output [T][hidden] and the indexer decision it used. */
    record Result(float[] output, IndexerResult indexer) {}

    private final OpContext ctx;
    private final SimdParts parts;
    private final ModelConfig config;
    /** fp32(softmaxScale()), with the YaRN mscale^2 (derived from the config on every call otherwise). */
    private final float scale;
    /** bf16 mode: the attention's bf16 rounding points (spec/SEMANTICS.md §5c), as in {@code ReferenceMla}. */
    private final boolean bf16;

    public SimdMla(OpContext ctx, Backend self) {
        this.ctx = ctx;
        this.bf16 = ctx.bf16();
        this.parts = new SimdParts(self, ctx);
        this.config = ctx.config();
        this.scale = (float) config.softmaxScale();
    }

    @Override
    public AttentionResult forward(TensorF64 x, int startPos, AttentionWeights w, LayerCache cache, int[][] forcedSelection) {
        return toContract(forward(SimdTensors.toFloats(x), x.rows(), startPos, w, cache, forcedSelection, formFor(x.rows())));
    }

    /** The contract call with the form chosen by the caller (tests: absorbed equals naive). */
    public AttentionResult forward(TensorF64 x, int startPos, AttentionWeights w, LayerCache cache, int[][] forcedSelection, Form form) {
        return toContract(forward(SimdTensors.toFloats(x), x.rows(), startPos, w, cache, forcedSelection, form));
    }

    private AttentionResult toContract(Result r) {
        return new AttentionResult(SimdTensors.toTensor(r.output(), r.output().length / config.hiddenSize(), config.hiddenSize()), r.indexer());
    }

    /** The reference's (and the official demo's) choice: naive for a prefill, absorbed for one-token decode. */
    static Form formFor(int tokens) { return tokens == 1 ? Form.ABSORBED : Form.NAIVE; }

    /** The float entry with the form of {@link #formFor}: x [T][hidden], not modified. */
    Result forward(float[] x, int tokens, int startPos, AttentionWeights w, LayerCache cache, int[][] forcedSelection) {
        return forward(x, tokens, startPos, w, cache, forcedSelection, formFor(tokens));
    }

    /** The float entry: x [T][hidden] (not modified); appends T entries to the cache. */
    Result forward(float[] x, int tokens, int startPos, AttentionWeights w, LayerCache cache, int[][] forcedSelection, Form form) {
        if (cache.length() != startPos) {
            throw new IllegalArgumentException("MLA: cache holds " + cache.length() + " tokens, expected startPos " + startPos);
        }
        if (forcedSelection != null) MlaChecks.checkForcedSelection(forcedSelection, tokens, startPos + tokens); // before the cache changes
        int heads = config.numAttentionHeads(), nope = config.qkNopeHeadDim(), rope = config.qkRopeHeadDim();
        int[] positions = new int[tokens];
        for (int t = 0; t < tokens; t++) positions[t] = startPos + t;
        LinearOp linear = parts.get(LinearOp.class);
        RmsNormOp norm = parts.get(RmsNormOp.class);

        // x feeds q_a, kv_a and the indexer's w_k, c_q feeds q_b and the indexer's wq_b: each input quantised once,
        // and the products of one input run together (with this backend's indexer, its two as well)
        IndexerOp indexerOp = parts.get(IndexerOp.class);
        boolean ownIndexer = indexerOp instanceof SimdIndexer;
        SimdLinear.Activation xa = new SimdLinear.Activation(x, tokens);
        float[][] fromX = ownIndexer ? SimdOps.linears(linear, xa, w.qA(), w.kvA(), w.indexer().wk())
                : SimdOps.linears(linear, xa, w.qA(), w.kvA());
        float[] cq = SimdOps.rmsNorm(norm, fromX[0], tokens, w.qA().rows(), w.qANorm(), config.rmsNormEps());
        SimdLinear.Activation cqa = new SimdLinear.Activation(cq, tokens);
        float[][] fromCq = ownIndexer ? SimdOps.linears(linear, cqa, w.qB(), w.indexer().wqB()) : SimdOps.linears(linear, cqa, w.qB());
        float[] q = fromCq[0];
        int width = nope + rope;
        if (w.qB().rows() != heads * width) {
            throw new IllegalArgumentException(w.qB().name() + ": " + w.qB().rows() + " outputs, expected heads * (nope + rope) = " + heads * width);
        }
        float[] qPe = new float[tokens * heads * rope];
        int[] rowPositions = new int[tokens * heads];
        for (int i = 0; i < tokens * heads; i++) {
            System.arraycopy(q, i * width + nope, qPe, i * rope, rope);
            rowPositions[i] = positions[i / heads];
        }
        SimdOps.rope(parts.get(RopeOp.class), ctx, qPe, tokens * heads, rope, rowPositions, RopeLayout.INTERLEAVED);

        SimdCacheMirror mirror = SimdCacheMirror.of(cache);
        appendLatents(fromX[1], tokens, positions, w, cache, mirror);
        IndexerResult indexed = indexerOp instanceof SimdIndexer si
                ? si.select(xa, fromCq[1], fromX[2], startPos, w.indexer(), cache)
                : indexerOp.select(SimdTensors.toTensor(x, tokens, config.hiddenSize()), SimdTensors.toTensor(cq, tokens, w.qA().rows()),
                        startPos, w.indexer(), cache);
        int[][] selection = forcedSelection == null ? indexed.selected() : forcedSelection;
        int[][] attended = new int[tokens][];
        for (int t = 0; t < tokens; t++) attended[t] = AttendedKeys.of(selection[t], positions[t], startPos + tokens);

        MlaChecks.checkKvB(config, w.kvB());
        float[] headsOut = form == Form.NAIVE
                ? naive(q, qPe, attended, w, mirror, linear)
                : absorbed(q, qPe, attended, w, mirror);
        float[] out = SimdOps.linear(linear, headsOut, tokens, w.o());
        return new Result(out, new IndexerResult(indexed.scores(), MlaChecks.copy(selection)));
    }

    /** kv = [c_kv | k_pe] = W_kva x [T]; c_kv normed and (fp8) round-tripped, k_pe rotated; appended to the cache and its mirror. */
    private void appendLatents(float[] kv, int tokens, int[] positions, AttentionWeights w, LayerCache cache, SimdCacheMirror mirror) {
        int rank = config.kvLoraRank(), rope = config.qkRopeHeadDim();
        if (w.kvA().rows() != rank + rope) {
            throw new IllegalArgumentException(w.kvA().name() + ": " + w.kvA().rows() + " outputs, expected kv_lora_rank + rope = " + (rank + rope));
        }
        float[] latent = new float[tokens * rank], kPe = new float[tokens * rope];
        for (int t = 0; t < tokens; t++) {
            System.arraycopy(kv, t * (rank + rope), latent, t * rank, rank);
            System.arraycopy(kv, t * (rank + rope) + rank, kPe, t * rope, rope);
        }
        latent = SimdOps.rmsNorm(parts.get(RmsNormOp.class), latent, tokens, rank, w.kvANorm(), config.rmsNormEps());
        double[] exact = null;
        if (ctx.fp8()) { // the FP8 KV cache simulated: dequant(act_quant(c_kv))
            byte[] codes = new byte[latent.length];
            float[] scales = new float[latent.length / SimdActQuant.TILE];
            SimdOps.actQuant(parts.get(ActQuantOp.class), latent, tokens, rank, ctx.scaleFormat(), codes, scales);
            exact = new double[latent.length];
            for (int i = 0; i < latent.length; i++) {
                float s = scales[i / SimdActQuant.TILE], c = Fp8Codec.decodeE4M3(codes[i]);
                latent[i] = c * s;
                exact[i] = c * (double) s;
            }
            if (bf16) { // bf16 mode: code x scale (fp32) stored bf16 in the cache (§5c)
                Bf16Rounding.roundInPlace(latent);
                for (int i = 0; i < latent.length; i++) exact[i] = latent[i];
            }
        }
        SimdOps.rope(parts.get(RopeOp.class), ctx, kPe, tokens, rope, positions, RopeLayout.INTERLEAVED);
        mirror.syncLatents(cache, rank, rope);
        mirror.appendLatents(cache, latent, exact, kPe, tokens);
    }

    /** Absorbed form, one parallel unit per group of heads: returns [T][H*v]. */
    private float[] absorbed(float[] q, float[] qPe, int[][] attended, AttentionWeights w, SimdCacheMirror mirror) {
        int tokens = attended.length, heads = config.numAttentionHeads(), nope = config.qkNopeHeadDim(), rope = config.qkRopeHeadDim();
        int vDim = config.vHeadDim(), rank = config.kvLoraRank(), width = nope + rope, kvWidth = nope + vDim;
        float[] latents = mirror.latents(), kPes = mirror.keyRopes();
        float[] out = new float[tokens * heads * vDim];
        Weight kvB = w.kvB();
        float[] whole = SimdWeightCache.dequantized(kvB); // null beyond the cache budget: decode per head
        // in units of the GEMVs' multiply-adds, which read one byte of weight each: the float32 copy of kv_b moves
        // four per multiply-add (measured: the tiny decode's four heads run faster on two cores, 4 of 4 runs)
        long work = 4L * tokens * rank * (nope + vDim + 2L * maxKeys(attended));
        // a few heads (a tiny model's four) stay one per unit, so that both cores still get some; many heads go in
        // units of several HEAD_GROUPs, about four units per thread (the bits do not depend on the grouping), so that
        // each unit reads a chunk of attended latents from memory once for all its heads
        int group = forcedHeadGroup > 0 ? forcedHeadGroup : heads < 8 * HEAD_GROUP ? 1
                : Math.max(HEAD_GROUP, heads / (4 * SimdThreads.threads()) / HEAD_GROUP * HEAD_GROUP);
        int groups = (heads + group - 1) / group;
        SimdOps.forEach(groups, work * group, g -> {
            SimdAttentionKernels k = SimdAttentionKernels.current();
            int h0 = g * group, n = Math.min(heads, h0 + group) - h0;
            float[] wkv; // W_uk[h] rows then W_uv[h] rows of the group's heads, head h's from base + (h - h0) * kvWidth * rank
            int base;
            if (whole != null && bf16 && kvB instanceof Fp8BlockWeight) { // the deployment's bf16 copy of the dequantised kv_b
                wkv = Bf16Rounding.roundInPlace(java.util.Arrays.copyOfRange(whole, h0 * kvWidth * rank, (h0 + n) * kvWidth * rank));
                base = 0;
            } else if (whole != null) {
                wkv = whole;
                base = h0 * kvWidth * rank;
            } else {
                wkv = new float[n * kvWidth * rank];
                SimdDequant.rows(kvB, h0 * kvWidth, n * kvWidth, wkv);
                if (bf16 && kvB instanceof Fp8BlockWeight) Bf16Rounding.roundInPlace(wkv);
                base = 0;
            }
            float[] qTilde = new float[n * rank], oTilde = new float[n * rank];
            for (int t = 0; t < tokens; t++) {
                absorbedQueries(k, q, qPe, t, h0, n, attended[t], wkv, base, latents, kPes, scale, qTilde, oTilde, out);
            }
        });
        return out;
    }

    /**
     * Heads scored together in the absorbed form (models of at least 32 heads): each cached latent a query attends
     * is loaded once for the group's q~ rows (eight FMA chains, {@link SimdAttentionKernels#dots2}: four heads x two
     * keys) instead of once per head. Each head's scores are the same bits as one head at a time, whatever the grouping.
     */
    static final int HEAD_GROUP = 4;

    /**
     * Attended keys per chunk of the absorbed form: a unit's heads all pass over one chunk's latents (256 KB at
     * kv_lora_rank 512, within a core's L2) before the next, so each latent comes from memory once per unit rather
     * than once per {@link #HEAD_GROUP}. The o~ sums continue across chunks, so the bits do not depend on it.
     */
    static final int KEY_CHUNK = 128;

    /** For tests: heads per unit of the absorbed form when positive (any grouping gives the same bits); 0: automatic. */
    static volatile int forcedHeadGroup = 0;

    /**
     * Token t's queries of heads h0 .. h0 + n - 1 in the absorbed form (a method of its own, kept small so that C2
     * compiles the vector kernels it calls as intrinsics): per head q~ = W_uk[h]^T q_nope; the scores over the
     * attended keys, chunk by chunk, {@link #HEAD_GROUP} heads per pass over a key pair; then per head softmax; o~ =
     * sum p c_kv, chunk by chunk, a HEAD_GROUP at once; W_uv[h] o~. qTilde: n rows of kv_lora_rank floats, oTilde as
     * many (scratch).
     */
    private void absorbedQueries(SimdAttentionKernels k, float[] q, float[] qPe, int t, int h0, int n, int[] keys, float[] wkv, int base,
                                 float[] latents, float[] kPes, float scale, float[] qTilde, float[] oTilde, float[] out) {
        int heads = config.numAttentionHeads(), nope = config.qkNopeHeadDim(), rope = config.qkRopeHeadDim(), rank = config.kvLoraRank();
        int vDim = config.vHeadDim(), width = nope + rope, headWeights = (nope + vDim) * rank;
        java.util.Arrays.fill(qTilde, 0, n * rank, 0f);
        for (int i = 0; i < n; i++) {
            // qTilde_i += q[d] W_uk[h][d] for d ascending
            k.axpyRows(q, (t * heads + h0 + i) * width, nope, wkv, base + i * headWeights, rank, qTilde, i * rank, rank);
        }
        if (bf16) Bf16Rounding.roundInPlace(qTilde, 0, n * rank);
        int m = keys.length, peOff = (t * heads + h0) * rope;
        float[] p = new float[n * m], d = new float[2 * HEAD_GROUP], pe = new float[2 * HEAD_GROUP]; // p: score rows, then probabilities
        for (int c0 = 0; c0 < m; c0 += KEY_CHUNK) {
            int c1 = Math.min(m, c0 + KEY_CHUNK);
            for (int i0 = 0; i0 < n; i0 += HEAD_GROUP) {
                int g = Math.min(HEAD_GROUP, n - i0), qt = i0 * rank, qp = peOff + i0 * rope;
                int j = c0;
                for (; j + 2 <= c1; j += 2) { // two keys per pass: each q~ row loaded once for both
                    int s0 = keys[j], s1 = keys[j + 1];
                    k.dots2(qTilde, qt, rank, g, latents, s0 * rank, s1 * rank, rank, d, 0, g);
                    k.dots2(qPe, qp, rope, g, kPes, s0 * rope, s1 * rope, rope, pe, 0, g);
                    for (int i = 0; i < g; i++) {
                        p[(i0 + i) * m + j] = score(d[i], pe[i], scale);
                        p[(i0 + i) * m + j + 1] = score(d[g + i], pe[g + i], scale);
                    }
                }
                for (; j < c1; j++) {
                    k.dots(qTilde, qt, rank, g, latents, keys[j] * rank, rank, d, 0);
                    k.dots(qPe, qp, rope, g, kPes, keys[j] * rope, rope, pe, 0);
                    for (int i = 0; i < g; i++) p[(i0 + i) * m + j] = score(d[i], pe[i], scale);
                }
            }
        }
        for (int i = 0; i < n; i++) {
            softmax(p, i * m, m);
            if (bf16) Bf16Rounding.roundInPlace(p, i * m, (i + 1) * m);
        }
        // o~_i = sum_j p_ij c_kv(s_j): a HEAD_GROUP at once (each latent loaded once for all of them), chunk by chunk
        for (int c0 = 0; c0 < m || c0 == 0; c0 += KEY_CHUNK) {
            int c1 = Math.min(m, c0 + KEY_CHUNK);
            for (int i0 = 0; i0 < n; i0 += HEAD_GROUP) {
                int g = Math.min(HEAD_GROUP, n - i0);
                k.gatherSums(p, i0 * m + c0, m, g, keys, c0, c1 - c0, latents, rank, oTilde, i0 * rank, rank, rank, c0 > 0);
            }
        }
        for (int i = 0; i < n; i++) {
            if (bf16) Bf16Rounding.roundInPlace(oTilde, i * rank, (i + 1) * rank);
            // W_uv[h] oTilde
            int oOff = (t * heads + h0 + i) * vDim;
            k.dots(wkv, base + i * headWeights + nope * rank, rank, vDim, oTilde, i * rank, rank, out, oOff);
            if (bf16) Bf16Rounding.roundInPlace(out, oOff, oOff + vDim);
        }
    }

    /** One score from its latent and rope dot products; bf16 mode: each product stored bf16, their sum, then the scaled score (§5c). */
    private float score(float latentDot, float ropeDot, float scale) {
        if (!bf16) return (latentDot + ropeDot) * scale;
        float sum = Bf16Rounding.round(Bf16Rounding.round(latentDot) + Bf16Rounding.round(ropeDot));
        return Bf16Rounding.round(sum * scale);
    }

    /** Naive form: the attended latents through the kv_b LinearOp, then per (token, head) attention. Returns [T][H*v]. */
    private float[] naive(float[] q, float[] qPe, int[][] attended, AttentionWeights w, SimdCacheMirror mirror, LinearOp linear) {
        int tokens = attended.length, heads = config.numAttentionHeads(), nope = config.qkNopeHeadDim(), rope = config.qkRopeHeadDim();
        int vDim = config.vHeadDim(), rank = config.kvLoraRank(), width = nope + rope, kvWidth = nope + vDim;
        int keys = mirror.length();
        int[] row = new int[keys];
        java.util.Arrays.fill(row, -1);
        for (int[] a : attended) for (int s : a) row[s] = 0;
        int used = 0;
        for (int s = 0; s < keys; s++) if (row[s] == 0) row[s] = used++;
        float[] gathered = new float[used * rank];
        float[] latents = mirror.latents(), kPes = mirror.keyRopes();
        for (int s = 0; s < keys; s++) if (row[s] >= 0) System.arraycopy(latents, s * rank, gathered, row[s] * rank, rank);
        float[] kvUp = SimdOps.linear(linear, gathered, used, w.kvB()); // [used][H*(n+v)]
        int upWidth = heads * kvWidth;
        float[] out = new float[tokens * heads * vDim];
        SimdOps.forEach(tokens * heads, (long) maxKeys(attended) * (2L * nope + vDim + rope), u -> {
            SimdAttentionKernels k = SimdAttentionKernels.current();
            int t = u / heads, h = u % heads;
            int[] ks = attended[t];
            float[] p = new float[ks.length];
            int qOff = (t * heads + h) * width, peOff = (t * heads + h) * rope;
            for (int j = 0; j < ks.length; j++) {
                int s = ks[j];
                float dot = k.dot(q, qOff, kvUp, row[s] * upWidth + h * kvWidth, nope) + k.dot(qPe, peOff, kPes, s * rope, rope);
                // bf16 mode: the q.k product stored bf16, then the scaled score (§5c)
                p[j] = bf16 ? Bf16Rounding.round(Bf16Rounding.round(dot) * scale) : dot * scale;
            }
            softmax(p);
            if (bf16) Bf16Rounding.roundInPlace(p);
            int oOff = (t * heads + h) * vDim;
            for (int j = 0; j < ks.length; j++) k.axpy(p[j], kvUp, row[ks[j]] * upWidth + h * kvWidth + nope, out, oOff, vDim);
            if (bf16) Bf16Rounding.roundInPlace(out, oOff, oOff + vDim);
        });
        return out;
    }

    private static int maxKeys(int[][] attended) {
        int m = 0;
        for (int[] a : attended) m = Math.max(m, a.length);
        return m;
    }

    /** In place: p_j = exp(x_j - max) / sum, float32, the sum in ascending order. */
    static void softmax(float[] x) { softmax(x, 0, x.length); }

    /** {@link #softmax(float[])} on x[off, off + n). */
    static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = off; j < off + n; j++) max = Math.max(max, x[j]);
        float sum = 0f;
        for (int j = off; j < off + n; j++) {
            x[j] = (float) Math.exp(x[j] - max);
            sum += x[j];
        }
        for (int j = off; j < off + n; j++) x[j] /= sum;
    }




}
