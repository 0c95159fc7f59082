package org.dsv32.optimized;

import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.AttendedKeys;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.IndexerWeights;
import org.dsv32.spec.weights.Weight;

/**
 * The DSA lightning indexer in float32 (spec/SEMANTICS.md §8; the reference is
 * {@code ReferenceIndexer}, whose formula and selection rule this computes). With H heads of
 * D dims, r rope dims, for a query token t at position p and a key s &lt;= p:
 * <pre>
 *   q_h(t) = Had(RoPE_halfsplit,p(W_qb^I c_q(t))_h)    rope dims FIRST ([0, r)), Had scaled by D^-1/2
 *   k(s)   = Had(RoPE_halfsplit(LayerNorm(W_k^I x_s)))   eps 1e-6
 *   e_h(t) = (W_w x_t)_h * fp32(H^-1/2 * D^-1/2)         through LinearOp bound to an EXACT context: no act_quant
 *   fp8:   I(t,s) = ks(s) * sum_h (e_h(t) * qs_h(t)) * ReLU(qcode_h(t) . kcode(s))
 *   exact: I(t,s) = sum_h e_h(t) * ReLU(q_h(t) . k(s))
 * </pre>
 * In fp8 mode q (one 128-tile per head) and k (one tile) go through act_quant after the Hadamard; the key cache
 * receives the codes and scale. q's scale is folded into the head weight (an exact multiply by a power of two with
 * ue8m0 scales). Everything up to the key's scale is float32, as in the deployment's fp8_index kernel (fp32
 * accumulators): each head's dot product is one FMA chain over the dims in ascending order (the products of two
 * e4m3 values are exact in float32, only the sums round: at most 128 u of the sum of |products|, far inside the fp8
 * mode's tolerance, spec/tolerance {@code KernelTolerances.scoreRow}), then ReLU, then one FMA chain over the heads
 * in ascending order adding w_h * ReLU; the key's scale multiplies that float in float64 (exact). Exact mode is the
 * same with the float values of q and k. The keys are mirrored in a transposed layout ({@link SimdAttentionKernels#indexScores})
 * so that vector lanes run across keys: each lane performs the scalar sequence, and the scores are the same bits at
 * every vector width and thread count.
 *
 * <p>Selection per query at position p: among keys s &lt;= p only, the min(index_topk, p + 1) highest scores in
 * descending order, ties to the lower index (Double.compare order, as the reference), by partial selection
 * ({@link SimdTopK}: a bounded heap, O(S log k)), never a full sort.
 *
 * <p>Work is cut into fixed units (a query and a block of {@value #KEYS_PER_UNIT} keys) whatever the thread count;
 * each score is computed by one unit in a fixed order, so the scores and selections are bitwise the same for any
 * number of threads. Modifies only the cache (T keys appended, to it and to its float mirror).
 */
public final class SimdIndexer implements IndexerOp {
    /** Keys scored by one parallel unit (a multiple of the score kernel's 32-key passes). */
    static final int KEYS_PER_UNIT = 256;

    private final OpContext ctx;
    private final SimdParts parts, exactParts;
    private final ModelConfig config;

    public SimdIndexer(OpContext ctx, Backend self) {
        this.ctx = ctx;
        this.parts = new SimdParts(self, ctx);
        this.exactParts = new SimdParts(self, new OpContext(ctx.config(), PrecisionMode.EXACT));
        this.config = ctx.config();
    }

    @Override
    public IndexerResult select(TensorF64 x, TensorF64 qLatent, int startPos, IndexerWeights w, LayerCache cache) {
        IndexerOp.checkInputs(x, qLatent, startPos, cache);
        return select(SimdTensors.toFloats(x), SimdTensors.toFloats(qLatent), x.rows(), startPos, w, cache);
    }

    /**
     * The float entry: x [T][hidden] and c_q [T][q_lora_rank], row-major; neither is modified. Appends T keys to
     * the cache (and its mirror).
     */
    public IndexerResult select(float[] x, float[] qLatent, int tokens, int startPos, IndexerWeights w, LayerCache cache) {
        LinearOp linear = parts.get(LinearOp.class);
        SimdLinear.Activation xa = new SimdLinear.Activation(x, tokens);
        // the three products in one parallel loop (the key's and the head weights' GEMVs are too small to split
        // alone, and would each be a serial stretch on a decode step); each is the same bits as alone
        float[][] y = SimdOps.linears(new LinearOp[] {linear, linear, exactParts.get(LinearOp.class)},
                new SimdLinear.Activation[] {xa, new SimdLinear.Activation(qLatent, tokens), xa},
                new Weight[] {w.wk(), w.wqB(), w.weightsProj()});
        return select(xa, y[1], y[0], y[2], startPos, w, cache);
    }

    /**
     * The float entry with the projections already made (the MLA runs them with its own products of the same
     * inputs): q = wq_b c_q [T][H*D] (not modified) and k = w_k x [T][D] (modified); x shared with other products
     * (the weights projection reads it).
     */
    IndexerResult select(SimdLinear.Activation x, float[] q, float[] k, int startPos, IndexerWeights w, LayerCache cache) {
        return select(x, q, k, null, startPos, w, cache);
    }

    /**
     * As above, with the weights projection W_w x (before its scale factor) made already, or null: made here. The
     * query's heads (rotated, transformed, quantised and packed for the score kernel, {@value
     * SimdAttentionKernels#QUERY_GROUP} heads of one token per unit) and the new keys (normalised, rotated,
     * transformed, quantised and appended to the cache, one unit) are prepared in one parallel loop: a decode
     * step's ~40 us of row work would otherwise be a serial stretch while the other core waits. Every step is a
     * row-wise operation, so a row gets the same bits in a unit of a few rows as in the whole array.
     */
    private IndexerResult select(SimdLinear.Activation x, float[] q, float[] k, float[] weightsProj, int startPos, IndexerWeights w, LayerCache cache) {
        int tokens = x.rows();
        IndexerOp.checkCache(cache, startPos);
        int heads = config.indexNHeads(), dim = config.indexHeadDim();
        int[] positions = new int[tokens];
        for (int t = 0; t < tokens; t++) positions[t] = startPos + t;
        if (q.length != tokens * heads * dim) {
            throw new IllegalArgumentException(w.wqB().name() + ": " + w.wqB().rows() + " outputs, expected index_n_heads * index_head_dim = " + heads * dim);
        }
        if (w.wk().rows() != dim) {
            throw new IllegalArgumentException(w.wk().name() + ": " + w.wk().rows() + " outputs, expected index_head_dim " + dim);
        }
        boolean fp8 = ctx.fp8();
        if (fp8 && dim != SimdActQuant.TILE) {
            throw new IllegalArgumentException("indexer fp8 mode needs index_head_dim equal to the " + SimdActQuant.TILE + " tile, got " + dim);
        }
        float[] e = headWeights(weightsProj != null ? weightsProj : SimdOps.linear(exactParts.get(LinearOp.class), x, w.weightsProj()), w);
        SimdCacheMirror mirror = SimdCacheMirror.of(cache);
        int group = SimdAttentionKernels.QUERY_GROUP, groups = (heads + group - 1) / group;
        float[][] packed = new float[tokens][groups * group * dim]; // each query in the kernel's layout, padded heads zero
        SimdOps.forEach(tokens * groups + 1, (long) group * dim * PREP_WORK_PER_VALUE, u -> {
            if (u == tokens * groups) {
                appendKeys(k, tokens, positions, w, mirror, cache, fp8);
            } else {
                int t = u / groups, h0 = (u % groups) * group;
                prepareHeads(q, t, h0, Math.min(heads, h0 + group), positions[t], e, packed[t], fp8);
            }
        });
        return score(packed, fp8 ? mirror.keyScales() : null, e, positions, mirror);
    }

    /**
     * Operations per value of the row work ({@link #prepareHeads}: RoPE, a 7-stage Hadamard, act_quant, decode and
     * packing), in multiply-adds for {@link SimdThreads#parallelFor(int, long, java.util.function.IntConsumer)}: a
     * decode step's nine units (eight head groups and the key) then reach its threshold and run on all cores.
     */
    private static final int PREP_WORK_PER_VALUE = 16;

    /**
     * Heads [h0, h1) of token t's query q_h = Had(RoPE(q_h)) at position pos, in fp8 mode quantised (the code values
     * kept, the scale folded into the head weight e[t][h]), written to packed (the token's query in the score
     * kernel's layout). q is not modified.
     */
    private void prepareHeads(float[] q, int t, int h0, int h1, int pos, float[] e, float[] packed, boolean fp8) {
        int heads = config.indexNHeads(), dim = config.indexHeadDim(), rows = h1 - h0, off = (t * heads + h0) * dim;
        float[] g = java.util.Arrays.copyOfRange(q, off, off + rows * dim);
        int[] rowPositions = new int[rows];
        java.util.Arrays.fill(rowPositions, pos);
        rotateRopeDims(g, rows, dim, config.qkRopeHeadDim(), rowPositions);
        SimdOps.hadamard(parts.get(HadamardOp.class), g, rows, dim);
        if (fp8) {
            byte[] qc = new byte[rows * dim];
            float[] qs = new float[rows];
            SimdOps.actQuant(parts.get(ActQuantOp.class), g, rows, dim, ctx.scaleFormat(), qc, qs);
            for (int i = 0; i < qc.length; i++) g[i] = Fp8Codec.decodeE4M3(qc[i]); // q now holds its code values
            for (int r = 0; r < rows; r++) e[t * heads + h0 + r] *= qs[r]; // q's scale folded into its head weight
        }
        SimdAttentionKernels.packHeads(g, 0, h0, h1, dim, packed);
    }

    /**
     * The T new keys k(s) = Had(RoPE(LayerNorm(k))) (k MODIFIED), appended to the cache and its mirror (fp8 mode:
     * their codes and scales); the mirror is first brought up to the cache.
     */
    private void appendKeys(float[] k, int tokens, int[] positions, IndexerWeights w, SimdCacheMirror mirror, LayerCache cache, boolean fp8) {
        int dim = config.indexHeadDim();
        k = SimdOps.layerNorm(parts.get(LayerNormOp.class), k, tokens, dim, w.kNormWeight(), w.kNormBias(), KEY_NORM_EPS);
        rotateRopeDims(k, tokens, dim, config.qkRopeHeadDim(), positions);
        SimdOps.hadamard(parts.get(HadamardOp.class), k, tokens, dim);
        mirror.syncIndexKeys(cache, dim, fp8);
        if (fp8) {
            byte[] kc = new byte[tokens * dim];
            float[] ks = new float[tokens];
            SimdOps.actQuant(parts.get(ActQuantOp.class), k, tokens, dim, ctx.scaleFormat(), kc, ks);
            mirror.appendIndexKeys(cache, kc, ks, tokens);
        } else {
            mirror.appendIndexKeys(cache, k, tokens);
        }
    }

    /** eps of the key LayerNorm: 1e-6, LayerNorm's default in the official code (as the reference). */
    static final double KEY_NORM_EPS = 1e-6;

    /** Rotates dims [0, rope) of each row of x [rows][dim] half-split at its position (indexer heads are [pe | nope]). */
    private void rotateRopeDims(float[] x, int rows, int dim, int rope, int[] rowPositions) {
        float[] pe = new float[rows * rope];
        for (int r = 0; r < rows; r++) System.arraycopy(x, r * dim, pe, r * rope, rope);
        SimdOps.rope(parts.get(RopeOp.class), ctx, pe, rows, rope, rowPositions, RopeLayout.HALF_SPLIT);
        for (int r = 0; r < rows; r++) System.arraycopy(pe, r * rope, x, r * dim, rope);
    }

    /**
     * e_h(t) = (W_w x_t)_h * fp32(H^-1/2 * D^-1/2), [T][H], from the projection e = W_w x [T][H] (bound to an exact
     * context), scaled in place.
     */
    private float[] headWeights(float[] e, IndexerWeights w) {
        int heads = config.indexNHeads();
        if (w.weightsProj().rows() != heads) {
            throw new IllegalArgumentException(w.weightsProj().name() + ": " + w.weightsProj().rows() + " outputs, expected index_n_heads " + heads);
        }
        float factor = (float) (Math.pow(heads, -0.5) * Math.pow(config.indexHeadDim(), -0.5));
        for (int i = 0; i < e.length; i++) e[i] *= factor;
        return e;
    }

    /**
     * Scores [T][S] (-inf for s &gt; p) and the per-query selections, over the mirrored key cache; packed[t] is token
     * t's query in the score kernel's layout.
     */
    private IndexerResult score(float[][] packed, float[] kScales, float[] e, int[] positions, SimdCacheMirror mirror) {
        int tokens = positions.length, heads = config.indexNHeads(), dim = config.indexHeadDim();
        int keys = mirror.indexLength();
        double[] scores = new double[tokens * keys];
        int blocks = (keys + KEYS_PER_UNIT - 1) / KEYS_PER_UNIT;
        java.lang.foreign.MemorySegment tiles = mirror.keyTiles();
        // each query's top-k samples every SAMPLE_STRIDE-th visible score: taken here, by the unit that just wrote
        // it, rather than read back across the cores afterwards
        long[][] sampled = new long[tokens][];
        for (int t = 0; t < tokens; t++) sampled[t] = new long[AttendedKeys.visiblePrefix(positions[t], keys) / SimdTopK.SAMPLE_STRIDE];
        SimdOps.forEach(tokens * blocks, (long) KEYS_PER_UNIT * heads * dim, u -> {
            int t = u / blocks, s0 = (u % blocks) * KEYS_PER_UNIT, s1 = Math.min(keys, s0 + KEYS_PER_UNIT);
            int seen = Math.min(s1, Math.max(s0, AttendedKeys.visiblePrefix(positions[t], keys)));
            for (int s = seen; s < s1; s++) scores[t * keys + s] = Double.NEGATIVE_INFINITY;
            if (seen == s0) return;
            float[] sums = new float[KEYS_PER_UNIT];
            SimdAttentionKernels.current().indexScores(tiles, s0, seen - s0, dim, packed[t], 0, heads, e, t * heads, sums, 0);
            for (int s = s0; s < seen; s++) {
                // the key's scale applied in float64: the product of two floats is exact there
                scores[t * keys + s] = kScales != null ? sums[s - s0] * (double) kScales[s] : sums[s - s0];
            }
            long[] samples = sampled[t]; // s0 is a multiple of the stride
            for (int s = s0, i = s0 / SimdTopK.SAMPLE_STRIDE; s < seen && i < samples.length; s += SimdTopK.SAMPLE_STRIDE, i++) {
                samples[i] = SimdTopK.descendingKey(scores[t * keys + s]);
            }
        });
        int[][] selected = new int[tokens][];
        int topk = config.indexTopk();
        SimdOps.forEach(tokens, (long) keys * 8, t -> {
            // select reads the row without changing it: a single query's row is the whole array, no copy
            double[] row = tokens == 1 ? scores : java.util.Arrays.copyOfRange(scores, t * keys, (t + 1) * keys);
            int visible = AttendedKeys.visiblePrefix(positions[t], keys);
            selected[t] = SimdTopK.select(row, visible, AttendedKeys.selectionSize(topk, visible), SimdTopK.Order.TOTAL, sampled[t]);
        });
        return new IndexerResult(TensorF64.wrap(scores, tokens, keys), selected);
    }
}
