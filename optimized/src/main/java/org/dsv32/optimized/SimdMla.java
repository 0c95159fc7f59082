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
        long clock = clock();
        SimdLinear.Activation xa = new SimdLinear.Activation(x, tokens);
        float[][] fromX = ownIndexer ? SimdOps.linears(linear, xa, w.qA(), w.kvA(), w.indexer().wk())
                : SimdOps.linears(linear, xa, w.qA(), w.kvA());
        clock = lap(0, clock);
        float[] cq = SimdOps.rmsNorm(norm, fromX[0], tokens, w.qA().rows(), w.qANorm(), config.rmsNormEps());
        SimdLinear.Activation cqa = new SimdLinear.Activation(cq, tokens);
        float[][] fromCq = ownIndexer ? SimdOps.linears(linear, cqa, w.qB(), w.indexer().wqB()) : SimdOps.linears(linear, cqa, w.qB());
        float[] q = fromCq[0];
        clock = lap(1, clock);
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
        clock = lap(2, clock);
        IndexerResult indexed = indexerOp instanceof SimdIndexer si
                ? si.select(xa, fromCq[1], fromX[2], startPos, w.indexer(), cache)
                : indexerOp.select(SimdTensors.toTensor(x, tokens, config.hiddenSize()), SimdTensors.toTensor(cq, tokens, w.qA().rows()),
                        startPos, w.indexer(), cache);
        int[][] selection = forcedSelection == null ? indexed.selected() : forcedSelection;
        int[][] attended = new int[tokens][];
        for (int t = 0; t < tokens; t++) attended[t] = AttendedKeys.of(selection[t], positions[t], startPos + tokens);

        MlaChecks.checkKvB(config, w.kvB());
        clock = lap(3, clock);
        float[] headsOut = form == Form.NAIVE
                ? naive(q, qPe, attended, w, mirror, linear)
                : absorbed(q, qPe, attended, w, mirror);
        clock = lap(4, clock);
        float[] out = SimdOps.linear(linear, headsOut, tokens, w.o());
        lap(5, clock);
        return new Result(out, new IndexerResult(indexed.scores(), MlaChecks.copy(selection)));
    }

    /**
     * For a profiling harness (test scope): when not null, each forward adds the nanoseconds of its stages here:
     * 0 the products of x (q_a, kv_a, the indexer's w_k), 1 q_a's norm and the products of c_q (q_b, the indexer's
     * wq_b), 2 RoPE and the cache append, 3 the indexer's selection, 4 the attention core, 5 the output projection.
     */
    static volatile long[] stageNanos;

    /** The clock of {@link #stageNanos}: wall time unless a harness sets another (a single thread's CPU time). */
    static volatile java.util.function.LongSupplier stageClock = System::nanoTime;

    private static long clock() { return stageClock.getAsLong(); }

    /** Adds the time since {@code since} to stage {@code stage} of {@link #stageNanos} (when set); returns now. */
    private static long lap(int stage, long since) {
        long now = clock();
        long[] s = stageNanos;
        if (s != null) s[stage] += now - since;
        return now;
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

    /**
     * Absorbed form: returns [T][H*v]. Per token five parallel loops, each cut so that the data its units share is
     * read from memory once: (1) q~_h = W_uk[h]^T q_nope_h, units of heads; (2) the scores of every head over a block
     * of {@link #KEY_BLOCK} attended keys, units of key blocks (each block's latents read once, for all heads; fp32
     * and fp8 modes: one FMA chain over [q~ | q_pe] . [c_kv | k_pe] per score, keys in vector lanes); (3)
     * softmax, units of heads; (4) o~_h = sum_j p_hj c_kv(s_j), units of {@link #COLUMN_BLOCK} latent columns (each
     * attended latent column read once, for all heads; few keys: read in place); (5) W_uv[h] o~_h, units of heads.
     * kv_b is read from a small copy when it is small, as FP8 codes dequantised in registers where the kernels can,
     * else from a float32 copy ({@link KvB}). Per-thread work arrays ({@link Scratch}), no per-unit ones. Every value is
     * computed by one kernel call whose order does not depend on the cut (a score: one dot; an o~ element: one FMA
     * chain over the keys ascending; q~: one chain over the nope dims), so the bits depend neither on the units nor on
     * the thread count, nor on which copy of kv_b is read. fp32 and fp8 modes with vector kernels and at least a head
     * group of heads (the real model's 128) run {@link #headLanes} instead: the same chains, the heads in vector lanes.
     */
    private float[] absorbed(float[] q, float[] qPe, int[][] attended, AttentionWeights w, SimdCacheMirror mirror) {
        int tokens = attended.length, heads = config.numAttentionHeads(), nope = config.qkNopeHeadDim(), rope = config.qkRopeHeadDim();
        int vDim = config.vHeadDim(), rank = config.kvLoraRank(), width = nope + rope;
        float[] latents = mirror.latents(), kPes = mirror.keyRopes();
        float[] out = new float[tokens * heads * vDim];
        KvB kv = KvB.of(w.kvB(), nope, vDim, bf16, SimdAttentionKernels.current());
        int qWidth = rank + rope; // a row of qCat: [q~_h | q_pe_h]
        // in units of the GEMVs' multiply-adds, which read one byte of weight each
        long headWork = (long) (nope + vDim) * rank * kv.bytesPerWeight();
        Boolean forced = forcedHeadLanes;
        if (!bf16 && (forced == null ? heads >= SimdAttentionKernels.current().headGroup() && SimdAttentionKernels.current().bits() > 0 : forced)) {
            headLanes(q, qPe, attended, kv, headWork, latents, kPes, out);
            return out;
        }
        float[] qCat = new float[heads * qWidth], oTilde = new float[heads * rank];
        for (int t = 0; t < tokens; t++) {
            int tt = t;
            int[] keys = attended[t];
            int m = keys.length;
            float[] p = new float[heads * m]; // score rows, then probabilities
            long[] sub = absorbedNanos;
            long t0 = sub == null ? 0 : clock();
            SimdOps.forEach(heads, headWork, h -> { // (1) q~_h = sum_d q_nope[h][d] W_uk[h][d] for d ascending
                SimdAttentionKernels k = SimdAttentionKernels.current();
                kv.absorb(k, h, q, (tt * heads + h) * width, qCat, h * qWidth);
                if (bf16) Bf16Rounding.roundInPlace(qCat, h * qWidth, h * qWidth + rank);
                System.arraycopy(qPe, (tt * heads + h) * rope, qCat, h * qWidth + rank, rope);
            });
            if (sub != null) t0 = subLap(sub, 0, t0);
            int blocks = (m + KEY_BLOCK - 1) / KEY_BLOCK;
            SimdOps.forEach(blocks, (long) heads * KEY_BLOCK * (rank + rope), b -> { // (2)
                int j0 = b * KEY_BLOCK, j1 = Math.min(m, j0 + KEY_BLOCK);
                if (bf16) scores(SimdAttentionKernels.current(), qCat, keys, j0, j1, latents, kPes, p, 0, heads);
                else keyLaneScores(SimdAttentionKernels.current(), qCat, keys, j0, j1, latents, kPes, p);
            });
            if (sub != null) t0 = subLap(sub, 1, t0);
            SimdOps.forEach(heads, 8L * m, h -> { // (3)
                SimdAttentionKernels.current().softmax(p, h * m, m);
                if (bf16) Bf16Rounding.roundInPlace(p, h * m, (h + 1) * m);
            });
            if (sub != null) t0 = subLap(sub, 2, t0);
            int columnBlocks = (rank + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
            int[] order = new int[Math.min(m, SUM_KEYS)];
            for (int j = 0; j < order.length; j++) order[j] = j;
            // few attended latents (at most one slice's worth of values) are read in place: they stay in L1 anyway
            boolean inPlace = (long) m * rank <= (long) SUM_KEYS * COLUMN_BLOCK;
            SimdOps.forEach(columnBlocks, (long) heads * m * COLUMN_BLOCK, c -> { // (4)
                int c0 = c * COLUMN_BLOCK, n = Math.min(rank, c0 + COLUMN_BLOCK) - c0;
                SimdAttentionKernels k = SimdAttentionKernels.current();
                if (inPlace) {
                    k.gatherSums(p, 0, m, heads, keys, 0, m, latents, c0, rank, oTilde, c0, rank, n, false);
                    return;
                }
                // the block's columns of the attended latents copied together first: read in place, rows 2 KB apart
                // (kv_lora_rank 512) fall into a few of the caches' sets and would come from memory on every pass
                float[] slice = Scratch.get().slice(SUM_KEYS * n);
                for (int j0 = 0; j0 < m || j0 == 0; j0 += SUM_KEYS) {
                    int len = Math.min(SUM_KEYS, m - j0);
                    for (int j = 0; j < len; j++) System.arraycopy(latents, keys[j0 + j] * rank + c0, slice, j * n, n);
                    k.gatherSums(p, j0, m, heads, order, 0, len, slice, 0, n, oTilde, c0, rank, n, j0 > 0);
                }
            });
            if (sub != null) t0 = subLap(sub, 3, t0);
            SimdOps.forEach(heads, headWork, h -> { // (5) out_h = W_uv[h] o~_h
                if (bf16) Bf16Rounding.roundInPlace(oTilde, h * rank, (h + 1) * rank);
                int oOff = (tt * heads + h) * vDim;
                kv.expand(SimdAttentionKernels.current(), h, oTilde, h * rank, out, oOff);
                if (bf16) Bf16Rounding.roundInPlace(out, oOff, oOff + vDim);
            });
            if (sub != null) subLap(sub, 4, t0);
        }
        return out;
    }

    /**
     * The absorbed form's core with the heads in vector lanes (fp32 and fp8 modes, the real model's many heads), into
     * out [T][H*v], its matrices in the head-lane layout of {@link SimdAttentionKernels#headGroup} (groups of G heads,
     * the last padded with zero queries, whose lanes are computed and dropped): per token (1) q~ as {@link #absorbed},
     * then [q~_h | q_pe_h] transposed into qt [kv_lora_rank + rope][hp]; (2) the scores pt [m][hp], units of
     * {@link #LANE_KEYS} attended keys, their latent and k_pe rows read in place (no transposition); (3) the softmax of
     * each head's column, units of vectors of heads; (4) o~ [kv_lora_rank][hp], units of
     * {@link #LANE_SLICES} slices of latent columns; (5) W_uv o~ per head. Each value is the same FMA chain
     * as in {@link #absorbed}'s key-lane kernels (a score over [c_kv | k_pe] ascending, times the scale; an o~ element
     * over the keys ascending; the softmax's sum over the keys ascending), so the bits are those of the other path,
     * at every width and thread count; only which vector lane computes a chain differs.
     */
    private void headLanes(float[] q, float[] qPe, int[][] attended, KvB kv, long headWork, float[] latents, float[] kPes, float[] out) {
        int tokens = attended.length, heads = config.numAttentionHeads(), nope = config.qkNopeHeadDim(), rope = config.qkRopeHeadDim();
        int vDim = config.vHeadDim(), rank = config.kvLoraRank(), width = nope + rope, qWidth = rank + rope;
        int group = SimdAttentionKernels.current().headGroup(), groups = (heads + group - 1) / group, hp = groups * group;
        int lanes = Math.max(1, SimdAttentionKernels.current().bits() / 32), slice = SimdAttentionKernels.LANE_SLICE; // 1: scalar
        Scratch mine = Scratch.get(); // the calling thread's: read by every unit
        float[] qCat = new float[heads * qWidth], oTilde = new float[heads * rank];
        float[] qt = mine.queries(qWidth * hp), ot = mine.sums(rank * hp);
        for (int t = 0; t < tokens; t++) {
            int tt = t;
            int[] keys = attended[t];
            int m = keys.length;
            float[] pt = mine.probabilities(m * hp);
            int[] latentStarts = new int[m], ropeStarts = new int[m];
            for (int j = 0; j < m; j++) {
                latentStarts[j] = keys[j] * rank;
                ropeStarts[j] = keys[j] * rope;
            }
            long[] sub = absorbedNanos;
            long t0 = sub == null ? 0 : clock();
            SimdOps.forEach(heads, headWork, h -> { // (1) q~_h = sum_d q_nope[h][d] W_uk[h][d] for d ascending
                kv.absorb(SimdAttentionKernels.current(), h, q, (tt * heads + h) * width, qCat, h * qWidth);
                System.arraycopy(qPe, (tt * heads + h) * rope, qCat, h * qWidth + rank, rope);
            });
            SimdOps.forEach(groups, (long) qWidth * group, g -> { // a group's rows of qt: written by one unit
                for (int h = g * group; h < Math.min(heads, (g + 1) * group); h++) {
                    for (int c = 0, o = g * qWidth * group + h % group; c < qWidth; c++, o += group) qt[o] = qCat[h * qWidth + c];
                }
            });
            if (sub != null) t0 = subLap(sub, 0, t0);
            int blocks = (m + LANE_KEYS - 1) / LANE_KEYS;
            SimdOps.forEach(blocks, (long) hp * LANE_KEYS * qWidth, b -> { // (2)
                int j0 = b * LANE_KEYS, n = Math.min(m, j0 + LANE_KEYS) - j0;
                SimdAttentionKernels.current().headLaneScores(qt, groups, rank, latents, latentStarts, rope, kPes, ropeStarts, j0, n, m, scale, pt);
            });
            if (sub != null) t0 = subLap(sub, 1, t0);
            int vectors = hp / lanes; // a vector's column each
            SimdOps.forEach(vectors, 32L * m * lanes, v -> { // (3)
                int g = v * lanes / group, l = v * lanes % group;
                SimdAttentionKernels.current().headLaneSoftmax(pt, g * m * group + l, m);
            });
            if (sub != null) t0 = subLap(sub, 2, t0);
            int unitColumns = LANE_SLICES * slice, columnBlocks = (rank + unitColumns - 1) / unitColumns;
            SimdOps.forEach(columnBlocks, (long) hp * m * unitColumns, c -> { // (4)
                int c0 = c * unitColumns, cn = Math.min(rank, c0 + unitColumns) - c0, pieces = (cn + slice - 1) / slice;
                SimdAttentionKernels k = SimdAttentionKernels.current();
                // the unit's columns of LANE_SUM_KEYS attended latents copied first, a slice of LANE_SLICE columns each:
                // read in place, rows 2 KB apart fall into a few of the caches' sets; a slice and the pass's
                // probability rows stay in L1, and each latent row is read in runs of the unit's columns
                float[] x = Scratch.get().slice(pieces * LANE_SUM_KEYS * slice);
                for (int j0 = 0; j0 < m || j0 == 0; j0 += LANE_SUM_KEYS) {
                    int len = Math.min(LANE_SUM_KEYS, m - j0);
                    for (int j = 0; j < len; j++) {
                        int src = latentStarts[j0 + j] + c0;
                        for (int u = 0; u < pieces; u++) System.arraycopy(latents, src + u * slice, x, (u * LANE_SUM_KEYS + j) * slice, Math.min(slice, cn - u * slice));
                    }
                    for (int u = 0; u < pieces; u++) {
                        k.headLaneSums(pt, groups, m, j0, len, x, u * LANE_SUM_KEYS * slice, Math.min(slice, cn - u * slice), ot, rank, c0 + u * slice, j0 > 0);
                    }
                }
            });
            if (sub != null) t0 = subLap(sub, 3, t0);
            SimdOps.forEach(heads, headWork, h -> { // (5) out_h = W_uv[h] o~_h
                for (int i = 0, o = h / group * rank * group + h % group; i < rank; i++, o += group) oTilde[h * rank + i] = ot[o];
                kv.expand(SimdAttentionKernels.current(), h, oTilde, h * rank, out, (tt * heads + h) * vDim);
            });
            if (sub != null) subLap(sub, 4, t0);
        }
    }

    /** Attended keys per unit of {@link #headLanes}' scores: a multiple of the six keys its kernel scores at once. */
    static final int LANE_KEYS = 96;

    /** Latent slices per unit of {@link #headLanes}' o~ sums: 128 columns at kv_lora_rank 512, four units. */
    static final int LANE_SLICES = 4;

    /** Attended keys per pass of {@link #headLanes}' o~ sums: their probability rows (hp 128: 32 KB) and latent slice stay in L1. */
    static final int LANE_SUM_KEYS = 64;

    /** For tests: whether the absorbed form (fp32 and fp8 modes, vector kernels) runs {@link #headLanes} (null: by the head count). */
    static volatile Boolean forcedHeadLanes = null;

    /**
     * For a profiling harness (test scope): when not null, each absorbed call adds the nanoseconds ({@link #stageClock})
     * of its five steps here: 0 q~, 1 the scores, 2 the softmax, 3 the o~ sums, 4 W_uv o~. Not read otherwise.
     */
    static volatile long[] absorbedNanos;

    private static long subLap(long[] sub, int step, long since) {
        long now = clock();
        sub[step] += now - since;
        return now;
    }


    /**
     * Heads scored together in bf16 mode's absorbed scores: each attended latent is loaded once per four of a
     * group's q~ rows ({@link SimdAttentionKernels#dots2}: four heads x two keys a pass) instead of once per head. Each head's
     * scores are the same bits as one head at a time, whatever the grouping.
     */
    static final int HEAD_GROUP = 8;

    /**
     * Attended keys per unit of the absorbed form's scores: every head passes over the block's latents (128 KB at
     * kv_lora_rank 512, within a core's L2) before the next block, so each latent comes from memory once.
     */
    static final int KEY_BLOCK = 64;

    /** Attended keys per pass of the o~ sums: a unit's slice of them (32 KB) stays in L1 while every head passes over it. */
    static final int SUM_KEYS = 128;

    /** Which copy of kv_b the absorbed form reads ({@link KvB}): all give the same bits. */
    enum KvBCopy { CODES, FLOATS, SMALL }

    /** For tests: the copy of kv_b the absorbed form reads where it can, instead of the one its shape chooses (null). */
    static volatile KvBCopy forcedKvB = null;

    /**
     * kv_b's elements up to which the absorbed form reads its small copy ({@link KvBCopy#SMALL}: at most 4 MiB of
     * floats, half that as packed bf16) rather than the FP8 codes. Decoding codes in registers costs more than the
     * bytes they save at small sizes: the tiny model's four heads took about 5 + 5 us (q~, W_uv o~) from the codes
     * against 1 + 1.5 us from floats with all of it in L1, and its single-thread attention core 108 us per decoded
     * token from the codes, 45 from run-ordered floats, 31-34 from packed bf16 (three layers). The real model's kv_b
     * (16.8 M elements, 64 MiB as floats, streamed from memory on every token) stays on the codes.
     */
    static final long SMALL_KVB_MAX = 1L << 20;

    /**
     * Work arrays of the absorbed form's units, per thread, grown on demand and reused: a fresh 48-147 KB array per
     * unit and token cost about as much to allocate and zero as the tiny model's scores themselves.
     */
    private static final class Scratch {
        private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);
        private float[] kt = new float[0], block = new float[0], slice = new float[0];
        private float[] queries = new float[0], probabilities = new float[0], sums = new float[0];
        private int[] starts = new int[0];

        static Scratch get() { return LOCAL.get(); }

        float[] kt(int n) { return kt.length >= n ? kt : (kt = new float[n]); }

        float[] block(int n) { return block.length >= n ? block : (block = new float[n]); }

        float[] slice(int n) { return slice.length >= n ? slice : (slice = new float[n]); }

        int[] starts(int n) { return starts.length >= n ? starts : (starts = new int[n]); }

        float[] queries(int n) { return queries.length >= n ? queries : (queries = new float[n]); }

        float[] probabilities(int n) { return probabilities.length >= n ? probabilities : (probabilities = new float[n]); }

        float[] sums(int n) { return sums.length >= n ? sums : (sums = new float[n]); }
    }

    /** Latent columns per unit of the absorbed form's o~ sums (two 512-bit vectors' worth per pass of eight heads). */
    static final int COLUMN_BLOCK = 64;

    /**
     * bf16 mode's scores of keys [j0, j1) of the attended list for heads [h0, h1) into p [H][m]: the latent dot and the
     * rope dot each rounded, as {@link #score} says (§5c); {@link #HEAD_GROUP} heads by two keys per kernel call.
     */
    private void scores(SimdAttentionKernels k, float[] qCat, int[] keys, int j0, int j1, float[] latents, float[] kPes, float[] p, int h0, int h1) {
        int rope = config.qkRopeHeadDim(), rank = config.kvLoraRank(), m = keys.length, qWidth = rank + rope;
        float[] d = new float[2 * HEAD_GROUP], pe = new float[2 * HEAD_GROUP];
        for (int i0 = h0; i0 < h1; i0 += HEAD_GROUP) {
            int g = Math.min(HEAD_GROUP, h1 - i0), qt = i0 * qWidth, qp = qt + rank;
            int j = j0;
            for (; j + 2 <= j1; j += 2) { // two keys per pass: each q~ row loaded once for both
                int s0 = keys[j], s1 = keys[j + 1];
                k.dots2(qCat, qt, qWidth, g, latents, s0 * rank, s1 * rank, rank, d, 0, g);
                k.dots2(qCat, qp, qWidth, g, kPes, s0 * rope, s1 * rope, rope, pe, 0, g);
                for (int i = 0; i < g; i++) {
                    p[(i0 + i) * m + j] = score(d[i], pe[i], scale);
                    p[(i0 + i) * m + j + 1] = score(d[g + i], pe[g + i], scale);
                }
            }
            for (; j < j1; j++) {
                k.dots(qCat, qt, qWidth, g, latents, keys[j] * rank, rank, d, 0);
                k.dots(qCat, qp, qWidth, g, kPes, keys[j] * rope, rope, pe, 0);
                for (int i = 0; i < g; i++) p[(i0 + i) * m + j] = score(d[i], pe[i], scale);
            }
        }
    }

    /**
     * The scores of keys [j0, j1) of the attended list for every head into p [H][m], fp32 and fp8 modes: the keys'
     * [c_kv | k_pe] transposed into a block (keys in vector lanes, zero past j1), then each score one FMA chain over
     * the kv_lora_rank + rope dims of [q~ | q_pe] ascending, times the scale ({@link SimdAttentionKernels#keyLaneScores}):
     * no lane reductions, the same bits at every width.
     */
    private void keyLaneScores(SimdAttentionKernels k, float[] qCat, int[] keys, int j0, int j1, float[] latents, float[] kPes, float[] p) {
        int heads = config.numAttentionHeads(), rope = config.qkRopeHeadDim(), rank = config.kvLoraRank(), m = keys.length, qWidth = rank + rope;
        int n = j1 - j0;
        Scratch scratch = Scratch.get();
        int[] starts = scratch.starts(n);
        float[] kt = scratch.kt(qWidth * KEY_BLOCK), block = scratch.block(heads * KEY_BLOCK);
        for (int j = 0; j < n; j++) starts[j] = keys[j0 + j] * rank;
        k.gatherColumns(latents, starts, 0, n, rank, kt, 0, KEY_BLOCK);
        for (int j = 0; j < n; j++) starts[j] = keys[j0 + j] * rope;
        k.gatherColumns(kPes, starts, 0, n, rope, kt, rank * KEY_BLOCK, KEY_BLOCK);
        // the keys' lanes rounded up to whole pairs of vectors (the kernel's unit; the padding's scores, of whatever
        // an earlier block left there, dropped): a block of a few keys scores a few vectors, not KEY_BLOCK lanes
        int pair = 2 * k.bits() / 32, lanes = pair == 0 ? n : Math.min(KEY_BLOCK, (n + pair - 1) / pair * pair);
        k.keyLaneScores(qCat, 0, qWidth, heads, kt, KEY_BLOCK, lanes, qWidth, scale, block, 0, KEY_BLOCK);
        for (int h = 0; h < heads; h++) System.arraycopy(block, h * KEY_BLOCK, p, h * m + j0, n);
    }

    /**
     * kv_b as the absorbed form reads it, head h's W_uk rows [h (n + v), h (n + v) + n) and W_uv rows after them:
     * at most {@link #SMALL_KVB_MAX} elements (fp32 and fp8 modes, vector kernels), its small copy
     * ({@link SimdWeightCache#absorbedKvB}: W_uv's rows in run order, packed two bf16 numbers to an int where every
     * value is one); else FP8 codes dequantised in registers (a quarter of the bytes of a float32 copy) where the
     * kernels run them in vectors and no code is the e4m3 NaN, else a float32 copy ({@link SimdWeightCache#dequantized},
     * or rows dequantised per call beyond its budget; bf16 mode: the deployment's bf16 copy). The same bits either way.
     */
    private static final class KvB {
        private final int rank, nope, vDim;
        /** The float32 rows, or null when the codes or the run-ordered rows are read. */
        final float[] floats;
        /** The float32 rows, W_uv's with their columns in run order ({@link SimdWeightCache#absorbedKvB}), or null. */
        private final float[] runs;
        /** Those rows as bf16 numbers packed two to an int ({@link SimdAttentionKernels#packBf16Pairs}), or null. */
        private final int[] packed;
        private final Fp8BlockWeight fp8;
        /** FP8: the block scales [scale rows][scale cols] as floats. */
        private final float[] grid;

        private KvB(float[] floats, float[] runs, int[] packed, Fp8BlockWeight fp8, float[] grid, int rank, int nope, int vDim) {
            this.floats = floats;
            this.runs = runs;
            this.packed = packed;
            this.fp8 = fp8;
            this.grid = grid;
            this.rank = rank;
            this.nope = nope;
            this.vDim = vDim;
        }

        /**
         * The bytes read per weight: 1 (codes), 2 (packed bf16), 4 (floats). (The tiny model's four heads of packed
         * kv_b make 2^17, {@link SimdThreads#MIN_PARALLEL_WORK}: their q~ and W_uv o~ run on two cores, measured
         * slightly faster than one in 2 of 2 alternated runs of the tiny decode.)
         */
        int bytesPerWeight() { return fp8 != null ? 1 : packed != null ? 2 : 4; }

        static KvB of(Weight kvB, int nope, int vDim, boolean bf16, SimdAttentionKernels k) {
            int rank = kvB.cols();
            KvBCopy forced = forcedKvB;
            boolean small = (long) kvB.rows() * rank <= SMALL_KVB_MAX;
            if (!bf16 && k.bits() > 0 && (forced == null ? small : forced == KvBCopy.SMALL)) {
                Object copy = SimdWeightCache.absorbedKvB(kvB, nope, vDim, k);
                if (copy instanceof float[] runs) return new KvB(null, runs, null, null, null, rank, nope, vDim);
                if (copy instanceof int[] packed) return new KvB(null, null, packed, null, null, rank, nope, vDim);
            }
            if (kvB instanceof Fp8BlockWeight f && !bf16 && (forced == null || forced == KvBCopy.CODES) && rank % 4 == 0 && k.fp8Rows(f.blockCols())
                    && !SimdFp8Facts.of(f).hasNanCode()) {
                float[] grid = new float[f.scaleRows() * f.scaleCols()];
                for (int i = 0; i < grid.length; i++) grid[i] = f.scales().get(SimdLayouts.F32, 4L * i);
                return new KvB(null, null, null, f, grid, rank, nope, vDim);
            }
            float[] whole = SimdWeightCache.dequantized(kvB);
            if (whole == null) { // beyond the cache budget: this call's own copy
                whole = new float[kvB.rows() * rank];
                SimdDequant.rows(kvB, 0, kvB.rows(), whole);
            } else if (bf16 && kvB instanceof Fp8BlockWeight) {
                whole = whole.clone();
            }
            if (bf16 && kvB instanceof Fp8BlockWeight) Bf16Rounding.roundInPlace(whole); // the deployment's bf16 copy of the dequantised kv_b
            return new KvB(whole, null, null, null, null, rank, nope, vDim);
        }

        /** y[yOff, + rank) = sum q[qOff + d] W_uk[h][d] for d ascending (an FMA chain per element from +0). */
        void absorb(SimdAttentionKernels k, int h, float[] q, int qOff, float[] y, int yOff) {
            int r0 = h * (nope + vDim);
            if (packed != null) {
                java.util.Arrays.fill(y, yOff, yOff + rank, 0f);
                k.axpyRowsPacked(q, qOff, nope, packed, r0 * rank / 2, rank / 2, y, yOff, rank);
            } else if (floats != null || runs != null) { // W_uk's rows are as they are in both copies
                java.util.Arrays.fill(y, yOff, yOff + rank, 0f);
                k.axpyRows(q, qOff, nope, floats != null ? floats : runs, r0 * rank, rank, y, yOff, rank);
            } else {
                k.axpyRowsFp8(q, qOff, nope, fp8.codes(), (long) r0 * rank, rank, rowScales(r0, nope), 0, fp8.scaleCols(), fp8.blockCols(), y, yOff, rank);
            }
        }

        /** out[outOff + i] = W_uv[h][i] . oTilde[oOff, + rank) for i in [0, v), in {@link SimdAttentionKernels#dotsRuns}' order. */
        void expand(SimdAttentionKernels k, int h, float[] oTilde, int oOff, float[] out, int outOff) {
            int r0 = h * (nope + vDim) + nope;
            if (packed != null) {
                k.dotsRunPacked(packed, r0 * rank / 2, rank / 2, vDim, oTilde, oOff, rank, out, outOff);
            } else if (runs != null) {
                k.dotsRunOrdered(runs, r0 * rank, rank, vDim, oTilde, oOff, rank, out, outOff);
            } else if (floats != null) {
                k.dotsRuns(floats, r0 * rank, rank, vDim, oTilde, oOff, rank, out, outOff);
            } else {
                k.dotsFp8(fp8.codes(), (long) r0 * rank, rank, vDim, rowScales(r0, vDim), 0, fp8.scaleCols(), fp8.blockCols(), oTilde, oOff, rank, out, outOff);
            }
        }

        /** The block scales of rows [r0, r0 + n), a row of scale columns each. */
        private float[] rowScales(int r0, int n) {
            int scols = fp8.scaleCols(), br = fp8.blockRows();
            float[] rs = new float[n * scols];
            for (int i = 0; i < n; i++) System.arraycopy(grid, (r0 + i) / br * scols, rs, i * scols, scols);
            return rs;
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
            k.softmax(p, 0, p.length);
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

}
