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
 * ue8m0 scales). The code dot products are formed in float64, where they are exact (products of two e4m3 values
 * have at most 8 significant bits and are multiples of 2^-18; 128 of them sum to a multiple of 2^-18 below 2^25,
 * within 43 bits): so the fp8 dot products equal the reference's exactly, and the fp8 scores differ from it only
 * through the fp32 head weights and codes that flip at rounding midpoints upstream. A float32 accumulation would not
 * be exact: a tile spans about 2^17 between its largest and smallest codes, and a running sum near 2^18 already has
 * an ulp of 2^-5. The head combination (H terms per key) also runs in float64, on the float32 weights; its cost is
 * 1/D of the dot products'. In exact mode the dot products are float32 FMA chains.
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
    /** Keys scored by one parallel unit. */
    static final int KEYS_PER_UNIT = 256;
    /**
     * Keys scored together, head by head (16 keys of 128 doubles: 16 KB, in L1 while the 64 heads' q rows pass
     * over them); a key's score is the same sum in the same order whatever the tile.
     */
    static final int KEY_TILE = 16;

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
        float[] k = SimdOps.linear(linear, xa, w.wk());
        float[] q = SimdOps.linear(linear, new SimdLinear.Activation(qLatent, tokens), w.wqB());
        return select(xa, q, k, startPos, w, cache);
    }

    /**
     * The float entry with the projections already made (the MLA runs them with its own products of the same
     * inputs): q = wq_b c_q [T][H*D] and k = w_k x [T][D], both modified; x shared with other products (the
     * weights projection reads it).
     */
    IndexerResult select(SimdLinear.Activation x, float[] q, float[] k, int startPos, IndexerWeights w, LayerCache cache) {
        int tokens = x.rows();
        IndexerOp.checkCache(cache, startPos);
        int heads = config.indexNHeads(), dim = config.indexHeadDim(), rope = config.qkRopeHeadDim();
        int[] positions = new int[tokens];
        for (int t = 0; t < tokens; t++) positions[t] = startPos + t;
        if (q.length != tokens * heads * dim) {
            throw new IllegalArgumentException(w.wqB().name() + ": " + w.wqB().rows() + " outputs, expected index_n_heads * index_head_dim = " + heads * dim);
        }
        int[] rowPositions = new int[tokens * heads];
        for (int i = 0; i < rowPositions.length; i++) rowPositions[i] = positions[i / heads];
        rotateRopeDims(q, tokens * heads, dim, rope, rowPositions);
        HadamardOp hadamard = parts.get(HadamardOp.class);
        SimdOps.hadamard(hadamard, q, tokens * heads, dim);

        if (w.wk().rows() != dim) {
            throw new IllegalArgumentException(w.wk().name() + ": " + w.wk().rows() + " outputs, expected index_head_dim " + dim);
        }
        k = SimdOps.layerNorm(parts.get(LayerNormOp.class), k, tokens, dim, w.kNormWeight(), w.kNormBias(), KEY_NORM_EPS);
        rotateRopeDims(k, tokens, dim, rope, positions);
        SimdOps.hadamard(hadamard, k, tokens, dim);

        float[] e = headWeights(x, w);
        SimdCacheMirror mirror = SimdCacheMirror.of(cache);
        boolean fp8 = ctx.fp8();
        mirror.syncIndexKeys(cache, dim, fp8);
        double[] qCodes = null;
        if (fp8) {
            if (dim != SimdActQuant.TILE) {
                throw new IllegalArgumentException("indexer fp8 mode needs index_head_dim equal to the " + SimdActQuant.TILE + " tile, got " + dim);
            }
            ActQuantOp quant = parts.get(ActQuantOp.class);
            byte[] kc = new byte[tokens * dim];
            float[] ks = new float[tokens];
            SimdOps.actQuant(quant, k, tokens, dim, ctx.scaleFormat(), kc, ks);
            mirror.appendIndexKeys(cache, kc, ks, tokens);
            byte[] qc = new byte[tokens * heads * dim];
            float[] qs = new float[tokens * heads];
            SimdOps.actQuant(quant, q, tokens * heads, dim, ctx.scaleFormat(), qc, qs);
            qCodes = new double[qc.length];
            for (int i = 0; i < qc.length; i++) qCodes[i] = Fp8Codec.decodeE4M3(qc[i]);
            for (int i = 0; i < e.length; i++) e[i] *= qs[i]; // q's scale folded into its head weight
        } else {
            mirror.appendIndexKeys(cache, k, tokens);
        }
        return score(q, qCodes, e, positions, mirror);
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

    /** e_h(t) = (W_w x_t)_h * fp32(H^-1/2 * D^-1/2), [T][H], the projection bound to an exact context. */
    private float[] headWeights(SimdLinear.Activation x, IndexerWeights w) {
        int heads = config.indexNHeads();
        float[] e = SimdOps.linear(exactParts.get(LinearOp.class), x, w.weightsProj());
        if (w.weightsProj().rows() != heads) {
            throw new IllegalArgumentException(w.weightsProj().name() + ": " + w.weightsProj().rows() + " outputs, expected index_n_heads " + heads);
        }
        float factor = (float) (Math.pow(heads, -0.5) * Math.pow(config.indexHeadDim(), -0.5));
        for (int i = 0; i < e.length; i++) e[i] *= factor;
        return e;
    }

    /** Scores [T][S] (-inf for s &gt; p) and the per-query selections, over the mirrored key cache. */
    private IndexerResult score(float[] q, double[] qCodes, float[] e, int[] positions, SimdCacheMirror mirror) {
        int tokens = positions.length, heads = config.indexNHeads(), dim = config.indexHeadDim();
        int keys = mirror.indexLength();
        double[] scores = new double[tokens * keys];
        int blocks = (keys + KEYS_PER_UNIT - 1) / KEYS_PER_UNIT;
        double[] codes = mirror.keyCodes();
        float[] values = mirror.keyValues();
        float[] kScales = mirror.keyScales();
        SimdOps.forEach(tokens * blocks, (long) KEYS_PER_UNIT * heads * dim, u -> {
            SimdAttentionKernels kern = SimdAttentionKernels.current();
            int t = u / blocks, s0 = (u % blocks) * KEYS_PER_UNIT, s1 = Math.min(keys, s0 + KEYS_PER_UNIT);
            int seen = Math.min(s1, Math.max(s0, AttendedKeys.visiblePrefix(positions[t], keys)));
            for (int s = seen; s < s1; s++) scores[t * keys + s] = Double.NEGATIVE_INFINITY;
            double[] dots = new double[2 * KEY_TILE], fdots = qCodes != null ? null : new double[KEY_TILE];
            float[] fd = qCodes != null ? null : new float[KEY_TILE];
            double[] sums = new double[KEY_TILE];
            for (int a = s0; a < seen; a += KEY_TILE) {
                int n = Math.min(KEY_TILE, seen - a);
                java.util.Arrays.fill(sums, 0, n, 0.0);
                // heads outermost within a tile: each head's q row is loaded once for the tile's keys (which stay
                // in L1), not once per key; each key still adds its heads' terms in ascending h
                for (int h = 0; h < heads; h++) {
                    int qOff = (t * heads + h) * dim;
                    double[] d = dots;
                    if (qCodes != null) {
                        if (h + 1 < heads) {
                            // two heads at once (exact sums: the same values), then their terms in ascending h
                            kern.dots2(codes, a * dim, dim, n, qCodes, qOff, qOff + dim, dim, dots, 0, KEY_TILE);
                            double eh = e[t * heads + h], eh1 = e[t * heads + h + 1];
                            for (int j = 0; j < n; j++) sums[j] += eh * Math.max(dots[j], 0.0);
                            for (int j = 0; j < n; j++) sums[j] += eh1 * Math.max(dots[KEY_TILE + j], 0.0);
                            h++;
                            continue;
                        }
                        kern.dots(codes, a * dim, dim, n, qCodes, qOff, dim, dots, 0);
                    } else {
                        kern.dots(values, a * dim, dim, n, q, qOff, dim, fd, 0);
                        for (int j = 0; j < n; j++) fdots[j] = fd[j];
                        d = fdots;
                    }
                    double eh = e[t * heads + h];
                    for (int j = 0; j < n; j++) sums[j] += eh * Math.max(d[j], 0.0);
                }
                for (int j = 0; j < n; j++) scores[t * keys + a + j] = qCodes != null ? sums[j] * kScales[a + j] : sums[j];
            }
        });
        int[][] selected = new int[tokens][];
        int topk = config.indexTopk();
        SimdOps.forEach(tokens, (long) keys * 8, t -> {
            double[] row = java.util.Arrays.copyOfRange(scores, t * keys, (t + 1) * keys);
            int visible = AttendedKeys.visiblePrefix(positions[t], keys);
            selected[t] = SimdTopK.select(row, visible, AttendedKeys.selectionSize(topk, visible), SimdTopK.Order.TOTAL);
        });
        return new IndexerResult(TensorF64.wrap(scores, tokens, keys), selected);
    }
}
