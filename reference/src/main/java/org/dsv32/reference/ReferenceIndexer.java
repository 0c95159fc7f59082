package org.dsv32.reference;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.AttendedKeys;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.IndexerWeights;

/**
 * The DSA lightning indexer of one layer, in float64 (spec/SEMANTICS.md §8; reference/MLA-NOTES.md).
 * With H = index_n_heads, D = index_head_dim, r = qk_rope_head_dim, for a token t at position p:
 * <pre>
 *   q_h(t) = Had( RoPE_halfsplit,p( W_qb^I c_q(t) )_h )      per head, dims [0, r) rotated, [r, D) kept
 *   k(t)   = Had( RoPE_halfsplit,p( LayerNorm(W_k^I x_t) ) ) eps 1e-6, same split
 *   w_h(t) = (W_w x_t)_h * H^-1/2                            no act_quant (fp32 in deployment)
 *   I(t,s) = sum_h w_h(t) * D^-1/2 * ReLU(q_h(t) . k(s))     for s &lt;= t, and -inf for s &gt; t
 * </pre>
 * Had is the Sylvester Hadamard transform scaled by D^-1/2. In fp8 mode q (one 128-tile per head) and k (one tile)
 * go through act_quant after the Hadamard, the dot products use the e4m3 codes times q's and k's scales, and the
 * key cache holds the codes and the scale; in exact mode it holds the float64 key.
 *
 * <p>Selection, per query t: the keys s &lt;= t only, the top min(index_topk, t + 1) by I(t, s), in descending order,
 * ties to the lower index. (The official demo takes min(index_topk, S) over all columns, so early queries may also
 * pick masked future keys that attention ignores; the reference leaves them out.)
 *
 * <p>Each formula step is a protected method so that a mutant can change exactly one of them. Sub-operations come
 * from {@code self}, never from {@code new}. Modifies only the cache it is given (appends T keys).
 */
public class ReferenceIndexer implements IndexerOp {
    protected final OpContext ctx;
    protected final Backend self;
    protected final ModelConfig config;

    public ReferenceIndexer(OpContext ctx, Backend self) {
        this.ctx = ctx;
        this.self = self;
        this.config = ctx.config();
    }

    @Override
    public IndexerResult select(TensorF64 x, TensorF64 qLatent, int startPos, IndexerWeights w, LayerCache cache) {
        int tokens = x.rows();
        IndexerOp.checkInputs(x, qLatent, startPos, cache);
        int[] positions = positions(startPos, tokens);
        TensorF64 q = queries(qLatent, positions, w);   // [T][H][D]
        TensorF64 k = keys(x, positions, w);            // [T][D]
        double[][] weights = headWeights(x, w);         // [T][H], includes H^-1/2 and D^-1/2
        double[][][] qValues = ctx.fp8() ? appendQuantized(q, k, cache) : appendExact(q, k, cache);

        int keys = startPos + tokens;
        TensorF64 scores = TensorF64.zeros(tokens, keys);
        int[][] selected = new int[tokens][];
        for (int t = 0; t < tokens; t++) {
            for (int s = 0; s < keys; s++) {
                double score = isVisible(positions[t], s)
                        ? combineHeads(headDots(qValues[t], cache, s), weights[t])
                        : Double.NEGATIVE_INFINITY;
                scores.put(t, s, score);
            }
            selected[t] = topK(scores.rowArray(t), positions[t]);
        }
        return new IndexerResult(scores, selected);
    }

    /** Absolute positions startPos .. startPos + T - 1. */
    protected int[] positions(int startPos, int tokens) {
        int[] p = new int[tokens];
        for (int i = 0; i < tokens; i++) p[i] = startPos + i;
        return p;
    }

    /** q^I: W_qb^I c_q split into heads [T][H][D], rope part rotated, then {@link #hadamardQuery}. */
    protected TensorF64 queries(TensorF64 qLatent, int[] positions, IndexerWeights w) {
        int heads = config.indexNHeads(), dim = config.indexHeadDim();
        TensorF64 q = self.require(LinearOp.class, ctx).apply(qLatent, w.wqB());
        if (q.cols() != heads * dim) {
            throw new IllegalArgumentException(w.wqB().name() + ": " + q.cols() + " outputs, expected index_n_heads * index_head_dim = " + heads * dim);
        }
        int[] rowPositions = new int[positions.length * heads];
        for (int r = 0; r < rowPositions.length; r++) rowPositions[r] = positions[r / heads];
        TensorF64 rows = rotate(q.reshape(positions.length * heads, dim), rowPositions);
        return hadamardQuery(rows).reshape(positions.length, heads, dim);
    }

    /** k^I: LayerNorm(W_k^I x) [T][D] (eps {@link #keyNormEps}), rope part rotated, then {@link #hadamardKey}. */
    protected TensorF64 keys(TensorF64 x, int[] positions, IndexerWeights w) {
        TensorF64 k = self.require(LinearOp.class, ctx).apply(x, w.wk());
        if (k.cols() != config.indexHeadDim()) {
            throw new IllegalArgumentException(w.wk().name() + ": " + k.cols() + " outputs, expected index_head_dim " + config.indexHeadDim());
        }
        k = self.require(LayerNormOp.class, ctx).apply(k, w.kNormWeight(), w.kNormBias(), keyNormEps());
        return hadamardKey(rotate(k, positions));
    }

    /** eps of the indexer key LayerNorm: 1e-6, the LayerNorm default of the official code (spec/SEMANTICS.md §6). */
    protected double keyNormEps() { return 1e-6; }

    /**
     * Rotates the rope dims [{@link #ropeOffset}, + r) of each row at its position with {@link #ropeLayout};
     * returns a new tensor, the other dims copied.
     */
    protected TensorF64 rotate(TensorF64 rows, int[] rowPositions) {
        int n = rows.rows(), dim = rows.cols(), rope = config.qkRopeHeadDim(), off = ropeOffset();
        TensorF64 pe = TensorF64.zeros(n, rope);
        for (int r = 0; r < n; r++) for (int i = 0; i < rope; i++) pe.put(r, i, rows.at(r, off + i));
        TensorF64 rotated = self.require(RopeOp.class, ctx).apply(pe, rowPositions, ropeLayout());
        TensorF64 out = rows.copy().reshape(n, dim);
        for (int r = 0; r < n; r++) for (int i = 0; i < rope; i++) out.put(r, off + i, rotated.at(r, i));
        return out;
    }

    /** The indexer rotates NON-interleaved: pairs (i, i + r/2) (the 2025-11-17 fix). */
    protected RopeLayout ropeLayout() { return RopeLayout.HALF_SPLIT; }

    /** Where the rope dims start in an indexer head: 0, they come FIRST ([pe | nope]), unlike MLA. */
    protected int ropeOffset() { return 0; }

    /** Hadamard transform of every query head (over all D dims). */
    protected TensorF64 hadamardQuery(TensorF64 qRows) { return self.require(HadamardOp.class, ctx).apply(qRows); }

    /** Hadamard transform of every key (over all D dims). */
    protected TensorF64 hadamardKey(TensorF64 kRows) { return self.require(HadamardOp.class, ctx).apply(kRows); }

    /**
     * Folded head weights e_h(t) = (W_w x_t)_h * {@link #headWeightFactor} * {@link #dotScale}, [T][H]. The projection
     * runs through LinearOp bound to an EXACT context: it never sees act_quant (fp32 in deployment).
     */
    protected double[][] headWeights(TensorF64 x, IndexerWeights w) {
        OpContext exact = new OpContext(config, PrecisionMode.EXACT);
        TensorF64 proj = self.require(LinearOp.class, exact).apply(x, w.weightsProj());
        if (proj.cols() != config.indexNHeads()) {
            throw new IllegalArgumentException(w.weightsProj().name() + ": " + proj.cols() + " outputs, expected index_n_heads " + config.indexNHeads());
        }
        double factor = headWeightFactor() * dotScale();
        double[][] e = new double[proj.rows()][proj.cols()];
        for (int t = 0; t < e.length; t++) for (int h = 0; h < e[t].length; h++) e[t][h] = proj.at(t, h) * factor;
        return e;
    }

    /** index_n_heads^-1/2 (64^-1/2 for V3.2), applied to the head weights. */
    protected double headWeightFactor() { return Math.pow(config.indexNHeads(), -0.5); }

    /** index_head_dim^-1/2 (128^-1/2), the dot-product scale. */
    protected double dotScale() { return Math.pow(config.indexHeadDim(), -0.5); }

    /**
     * Exact mode: caches the float64 keys and returns the queries as values, [T][H][D].
     */
    protected double[][][] appendExact(TensorF64 q, TensorF64 k, LayerCache cache) {
        for (int t = 0; t < k.rows(); t++) cache.appendIndexKey(k.rowArray(t));
        return toArray(q);
    }

    /**
     * fp8 mode: act_quant of every query head and of every key (one 128-tile each); caches the key codes and scale;
     * returns the dequantised queries (codes times scale, exact in float64), [T][H][D].
     */
    protected double[][][] appendQuantized(TensorF64 q, TensorF64 k, LayerCache cache) {
        int tokens = q.dim(0), heads = q.dim(1), dim = q.dim(2);
        ActQuantOp quant = self.require(ActQuantOp.class, ctx);
        QuantizedActivation kq = quant.quantize(k, ctx.scaleFormat());
        if (kq.tilesPerRow() != 1) {
            throw new IllegalArgumentException("indexer fp8 mode needs index_head_dim equal to the 128 tile, got " + dim);
        }
        for (int t = 0; t < tokens; t++) {
            byte[] codes = new byte[dim];
            for (int c = 0; c < dim; c++) codes[c] = kq.code(t, c);
            cache.appendIndexKey(codes, kq.scale(t, 0));
        }
        return toArray(quant.quantize(q.reshape(tokens * heads, dim), ctx.scaleFormat()).dequantize().reshape(tokens, heads, dim));
    }

    /**
     * q_h . k(s) for every head. In fp8 mode from the cached codes: (sum_c q_code k_code) * q_scale * k_scale, with
     * q given dequantised; the code products and sums are exact in float64, so the order of scaling does not matter.
     */
    protected double[] headDots(double[][] queryHeads, LayerCache cache, int s) {
        double[] key = keyValues(cache, s);
        double[] dots = new double[queryHeads.length];
        for (int h = 0; h < dots.length; h++) {
            double sum = 0;
            for (int c = 0; c < key.length; c++) sum += queryHeads[h][c] * key[c];
            dots[h] = sum;
        }
        return dots;
    }

    /** Key s as values: in fp8 mode decode(codes) * scale (and the cache must hold codes), else the float64 key. */
    protected double[] keyValues(LayerCache cache, int s) {
        if (!ctx.fp8()) return cache.indexKey(s);
        byte[] codes = cache.indexKeyCodes(s);
        if (codes == null) throw new IllegalStateException("indexer fp8 mode: key " + s + " was cached in exact mode");
        double scale = cache.indexKeyScale(s);
        double[] v = new double[codes.length];
        for (int c = 0; c < v.length; c++) v[c] = E4M3.decode(codes[c]) * scale;
        return v;
    }

    /** I = sum_h e_h * ReLU(dot_h): ReLU per head, BEFORE the weighted sum over heads. */
    protected double combineHeads(double[] dots, double[] foldedWeights) {
        double sum = 0;
        for (int h = 0; h < dots.length; h++) sum += foldedWeights[h] * Math.max(dots[h], 0.0);
        return sum;
    }

    /** Causality: a query at position p sees the keys s &lt;= p. */
    protected boolean isVisible(int queryPos, int keyPos) { return AttendedKeys.visible(queryPos, keyPos); }

    /** How many keys a query selects when {@code visibleKeys} are visible: min(index_topk, visibleKeys). */
    protected int selectionSize(int visibleKeys) { return AttendedKeys.selectionSize(config.indexTopk(), visibleKeys); }

    /** The selected keys of one query: visible keys by descending score, ties to the lower index, {@link #selectionSize} of them. */
    protected int[] topK(double[] scores, int queryPos) {
        List<Integer> visible = new ArrayList<>();
        for (int s = 0; s < scores.length; s++) if (isVisible(queryPos, s)) visible.add(s);
        visible.sort(Comparator.<Integer>comparingDouble(s -> scores[s]).reversed().thenComparingInt(s -> s));
        int n = Math.min(selectionSize(visible.size()), visible.size());
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = visible.get(i);
        return out;
    }

    private static double[][][] toArray(TensorF64 t3) {
        int a = t3.dim(0), b = t3.dim(1), c = t3.dim(2);
        double[][][] out = new double[a][b][c];
        for (int i = 0; i < a; i++) for (int j = 0; j < b; j++) for (int k = 0; k < c; k++) out[i][j][k] = t3.get(i, j, k);
        return out;
    }
}
