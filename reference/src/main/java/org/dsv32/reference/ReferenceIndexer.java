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
 * pick masked future keys that attention ignores; the reference leaves them out.) A chunked prefill (startPos &gt; 0,
 * several tokens) is the same rule: query row r sits at position startPos + r and sees keys 0 .. startPos + r.
 *
 * <p>{@link #selectRagged} computes a ragged batch through a padded layout (see there); its result equals
 * {@link #select} per sequence.
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
        Projected p = project(x, qLatent, startPos, w, cache);

        int keys = startPos + tokens;
        TensorF64 scores = TensorF64.zeros(tokens, keys);
        int[][] selected = new int[tokens][];
        for (int t = 0; t < tokens; t++) {
            int queryPos = maskPosition(startPos, t, tokens);
            double[][] dots = new double[keys][];
            for (int s = 0; s < keys; s++) {
                double score = Double.NEGATIVE_INFINITY;
                if (isVisible(queryPos, s)) {
                    dots[s] = headDots(p.queries()[t], cache, s);
                    score = combineHeads(dots[s], p.weights()[t]);
                }
                scores.put(t, s, score);
            }
            selected[t] = selectKeys(scores.rowArray(t), dots, p.weights()[t], queryPos);
        }
        return new IndexerResult(scores, selected);
    }

    /** The projected queries [T][H][D] (dequantised in fp8 mode) and folded head weights [T][H] of one call. */
    protected record Projected(double[][][] queries, double[][] weights) {}

    /** Queries, keys and head weights of T tokens at startPos..; appends the T keys to {@code cache}. */
    protected Projected project(TensorF64 x, TensorF64 qLatent, int startPos, IndexerWeights w, LayerCache cache) {
        int[] positions = positions(startPos, x.rows());
        TensorF64 q = queries(qLatent, positions, w);   // [T][H][D]
        TensorF64 k = keys(x, positions, w);            // [T][D]
        double[][] weights = headWeights(x, w);         // [T][H], includes H^-1/2 and D^-1/2
        return new Projected(ctx.fp8() ? appendQuantized(q, k, cache) : appendExact(q, k, cache), weights);
    }

    /**
     * The position at which row {@code row} of a forward of {@code rows} tokens starting at {@code startPos} is masked
     * and selects: its absolute position startPos + row, also in a chunked prefill (startPos &gt; 0, several rows), where
     * keys are counted from 0, the first token of the sequence, not from the chunk. ({@code rows} is there because
     * engines run a multi-token "extend" and a one-token decode through different kernels.)
     */
    protected int maskPosition(int startPos, int row, int rows) { return startPos + row; }

    /**
     * ONE selection per query from the head-summed score I(t, s) ({@link #topK}); {@code headDots} (per key its
     * q_h . k dots, null for a masked key) and {@code foldedWeights} are there for a variant that looks at the heads.
     */
    protected int[] selectKeys(double[] scores, double[][] headDots, double[] foldedWeights, int queryPos) {
        return topK(scores, queryPos);
    }

    // ---- ragged batches (spec/SEMANTICS.md §10c)

    /**
     * A ragged batch through a real padded layout, as a serving engine lays it out: the rows of sequence b are
     * right-aligned in a [B][maxRows] grid (maxRows the longest chunk) and its keys in a [B][maxKeys] grid (maxKeys the
     * longest cache), so that a shorter sequence has padding rows and padding key slots BEFORE its own. Padding holds
     * NaN, the engine's uninitialised memory, so that any leak shows. Scores run over the whole grid, padding rows
     * included; a key slot counts for a row only under the length mask {@link #inSequence} and causality at the row's
     * position; the top-k of each row is taken over its padded grid row as torch.topk would (min(index_topk, maxKeys)
     * entries, masked ones −∞) and the masked entries it picks are dropped. The sequences' rows, columns and key
     * indices are then cut back out. Result: exactly {@link #select} per sequence (the same arithmetic, bit for bit).
     */
    @Override
    public List<IndexerResult> selectRagged(List<TensorF64> x, List<TensorF64> qLatent, int[] startPos, IndexerWeights w, List<LayerCache> caches) {
        IndexerOp.checkRagged(x, qLatent, startPos, caches);
        int batch = x.size(), maxRows = 0, maxKeys = 0;
        Projected[] p = new Projected[batch];
        for (int b = 0; b < batch; b++) {
            p[b] = project(x.get(b), qLatent.get(b), startPos[b], w, caches.get(b));
            maxRows = Math.max(maxRows, x.get(b).rows());
            maxKeys = Math.max(maxKeys, startPos[b] + x.get(b).rows());
        }
        int heads = config.indexNHeads(), dim = config.indexHeadDim();
        List<IndexerResult> out = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            int rows = x.get(b).rows(), keys = startPos[b] + rows;
            int firstRow = maxRows - rows, firstSlot = maxKeys - keys;
            // the padded grids of sequence b: queries and weights per row, keys per slot (NaN where padding)
            double[][][] q = new double[maxRows][][];
            double[][] e = new double[maxRows][];
            double[][] k = new double[maxKeys][];
            for (int i = 0; i < maxRows; i++) {
                q[i] = i < firstRow ? poison(heads, dim) : p[b].queries()[i - firstRow];
                e[i] = i < firstRow ? poison(1, heads)[0] : p[b].weights()[i - firstRow];
            }
            for (int j = 0; j < maxKeys; j++) k[j] = j < firstSlot ? poison(1, dim)[0] : keyValues(caches.get(b), j - firstSlot);

            double[][] grid = new double[maxRows][maxKeys];
            boolean[][] mask = new boolean[maxRows][maxKeys];
            int[][] slots = new int[maxRows][];
            for (int i = 0; i < maxRows; i++) {
                int queryPos = maskPosition(startPos[b], i - firstRow, rows);
                for (int j = 0; j < maxKeys; j++) {
                    mask[i][j] = inSequence(j, firstSlot) && isVisible(queryPos, j - firstSlot);
                    grid[i][j] = mask[i][j] ? combineHeads(headDots(q[i], k[j]), e[i]) : Double.NEGATIVE_INFINITY;
                }
                slots[i] = paddedTopK(grid[i], mask[i], maxKeys);
            }
            TensorF64 scores = TensorF64.zeros(rows, keys);
            int[][] selected = new int[rows][];
            for (int t = 0; t < rows; t++) {
                int i = gridRow(t, firstRow);
                for (int s = 0; s < keys; s++) scores.put(t, s, grid[i][firstSlot + s]);
                selected[t] = new int[slots[i].length];
                for (int n = 0; n < slots[i].length; n++) selected[t][n] = slots[i][n] - firstSlot;
            }
            out.add(new IndexerResult(scores, selected));
        }
        return out;
    }

    /** The grid row that holds row {@code row} of a sequence whose rows start at {@code firstRow} (right-aligned). */
    protected int gridRow(int row, int firstRow) { return firstRow + row; }

    /** The length mask of the padded key grid: slot {@code slot} holds a key of the sequence whose keys start at {@code firstSlot}. */
    protected boolean inSequence(int slot, int firstSlot) { return slot >= firstSlot; }

    /**
     * The top-k of one padded grid row as torch.topk over the row: the {@link #selectionSize} of all its slots, by
     * descending score (masked slots −∞, so last), ties to the lower slot; then the slots the mask excludes are dropped.
     */
    protected int[] paddedTopK(double[] row, boolean[] mask, int slots) {
        Integer[] order = new Integer[slots];
        for (int j = 0; j < slots; j++) order[j] = j;
        java.util.Arrays.sort(order, Comparator.<Integer>comparingDouble(j -> row[j]).reversed().thenComparingInt(j -> j));
        int n = Math.min(selectionSize(slots), slots);
        return java.util.Arrays.stream(order, 0, n).filter(j -> mask[j]).mapToInt(Integer::intValue).toArray();
    }

    private static double[][] poison(int rows, int cols) {
        double[][] v = new double[rows][cols];
        for (double[] r : v) java.util.Arrays.fill(r, Double.NaN);
        return v;
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
    protected double[] headDots(double[][] queryHeads, LayerCache cache, int s) { return headDots(queryHeads, keyValues(cache, s)); }

    /** q_h . key for every head, summed over the dims in order. */
    protected double[] headDots(double[][] queryHeads, double[] key) {
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
