package org.dsv32.cuda;

import java.util.Arrays;
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
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.IndexerWeights;

/**
 * The DSA lightning indexer on the GPU (spec/SEMANTICS.md §8; the definition is the reference indexer's). With H
 * heads of D dims and r rope dims, for a query token t at position p and a key s &lt;= p:
 * <pre>
 *   q_h(t) = Had(RoPE_halfsplit,p(W_qb^I c_q(t))_h)      rope dims FIRST ([0, r)), Had scaled by D^-1/2
 *   k(s)   = Had(RoPE_halfsplit(LayerNorm(W_k^I x_s)))     eps 1e-6
 *   e_h(t) = (W_w x_t)_h * fp32(H^-1/2 * D^-1/2)           LinearOp bound to an EXACT context: no act_quant
 *   fp8:   I(t,s) = ks(s) * sum_h (e_h(t) * qs_h(t)) * ReLU(qcode_h(t) . kcode(s))
 *   exact: I(t,s) = sum_h e_h(t) * ReLU(q_h(t) . k(s))
 * </pre>
 * The projections, LayerNorm, RoPE, Hadamard and act_quant are this backend's operations (GPU kernels, taken from
 * {@code self}); the scores are {@code dsv32_indexer_score_fp8} / {@code _f32} (indexer.cu: exact integer code dot
 * products in fp8 mode, fp32 dots in exact mode, the head sum in float64) over the key cache held on the device
 * ({@link CudaCacheMirror}, uploaded incrementally), and the selection is {@code dsv32_topk_rows}: among keys
 * s &lt;= p only, the top min(index_topk, p + 1) in descending order, ties to the lower index, the reference's order
 * (Double.compare). Rows selecting more than {@value #GPU_TOPK_MAX} keys are selected on the CPU with the same rule.
 *
 * <p>Modifies only the cache: T keys appended (codes and scale in fp8 mode, values in exact mode), as the
 * reference does.
 */
final class CudaIndexer implements IndexerOp {
    /** The most keys one row's GPU selection may return (TOPK_MAX in indexer.cu). */
    static final int GPU_TOPK_MAX = 2048;
    /** Heads per query the score kernel handles (two per lane: IDX_MAX_HEADS in indexer.cu). */
    static final int MAX_HEADS = 64;
    /** Keys per block of the score kernel (IDX_BLOCK_KEYS) and keys per staged tile (IDX_TILE_KEYS). */
    static final int BLOCK_KEYS = 256, TILE_KEYS = 16;
    private static final int SHARED_LIMIT = 48 * 1024;
    /** Query tokens per call: the score kernel's grid has one row of blocks per token (gridDim.y). */
    static final int MAX_TOKENS = 65535;

    private final OpContext ctx;
    private final CudaContext gpu;
    private final Backend self;
    private final ModelConfig config;

    CudaIndexer(OpContext ctx, CudaContext gpu, Backend self) {
        this.ctx = ctx;
        this.gpu = gpu;
        this.self = self;
        this.config = ctx.config();
    }

    @Override
    public IndexerResult select(TensorF64 x, TensorF64 qLatent, int startPos, IndexerWeights w, LayerCache cache) {
        int tokens = x.rows();
        IndexerOp.checkInputs(x, qLatent, startPos, cache);
        int heads = config.indexNHeads(), dim = config.indexHeadDim();
        checkShapes(heads, dim, ctx.fp8());
        if (tokens > MAX_TOKENS) throw new IllegalArgumentException("indexer: " + tokens + " tokens in one call exceed the GPU grid's " + MAX_TOKENS);
        int[] positions = new int[tokens];
        for (int t = 0; t < tokens; t++) positions[t] = startPos + t;

        TensorF64 q = queries(qLatent, positions, w);   // [T*H][D]
        TensorF64 k = keys(x, positions, w);            // [T][D]
        float[] e = headWeights(x, w);                  // [T][H]
        CudaCacheMirror mirror = CudaCacheMirror.of(cache, gpu);
        int keys = startPos + tokens;
        double[] scores;
        if (ctx.fp8()) {
            ActQuantOp quant = self.require(ActQuantOp.class, ctx);
            QuantizedActivation kq = quant.quantize(k, ctx.scaleFormat());
            for (int t = 0; t < tokens; t++) {
                byte[] codes = new byte[dim];
                for (int c = 0; c < dim; c++) codes[c] = kq.code(t, c);
                cache.appendIndexKey(codes, kq.scale(t, 0));
            }
            QuantizedActivation qq = quant.quantize(q, ctx.scaleFormat());
            for (int i = 0; i < e.length; i++) e[i] *= qq.scale(i, 0);   // q's scale folded into its head weight
            mirror.syncIndexKeys(cache, dim, true);
            try (DeviceBuffer dq = gpu.upload(qq.codes()); DeviceBuffer de = gpu.upload(e);
                 DeviceBuffer ds = gpu.alloc(8L * tokens * keys)) {
                launchScores(gpu, true, dq, de, mirror.keyData(), mirror.keyScales(), ds, tokens, keys, heads, dim, startPos);
                return finish(ds, tokens, keys, startPos);
            }
        }
        for (int t = 0; t < tokens; t++) cache.appendIndexKey(k.rowArray(t));
        mirror.syncIndexKeys(cache, dim, false);
        try (DeviceBuffer dq = gpu.upload(CudaTensors.toFloats(q)); DeviceBuffer de = gpu.upload(e);
             DeviceBuffer ds = gpu.alloc(8L * tokens * keys)) {
            launchScores(gpu, false, dq, de, mirror.keyData(), null, ds, tokens, keys, heads, dim, startPos);
            return finish(ds, tokens, keys, startPos);
        }
    }

    /**
     * Launches the score kernel: scores [T][S] float64 from q (fp8: codes [T][H][D]; exact: fp32 [T][H][D]), the
     * head weights w [T][H] (fp8: with q's scales folded in), the keys (fp8: codes [S][D] and scales [S]; exact:
     * fp32 [S][D]); -inf for s &gt; startPos + t.
     */
    static void launchScores(CudaContext gpu, boolean fp8, DeviceBuffer q, DeviceBuffer w, DeviceBuffer keys,
                             DeviceBuffer keyScales, DeviceBuffer scores, int tokens, int keyCount, int heads, int dim, int startPos) {
        checkShapes(heads, dim, fp8);
        int grid = (keyCount + BLOCK_KEYS - 1) / BLOCK_KEYS;
        if (fp8) {
            gpu.launch(CudaKernel.INDEXER_SCORE_FP8, grid, tokens, 256, sharedBytes(heads, dim),
                    q, w, keys, keyScales, scores, keyCount, heads, dim, startPos);
        } else {
            gpu.launch(CudaKernel.INDEXER_SCORE_F32, grid, tokens, 256, sharedBytes(heads, dim),
                    q, w, keys, scores, keyCount, heads, dim, startPos);
        }
    }

    /**
     * The selection of each row of scores [T][S] (on the device): the top min(topk, startPos + t + 1) of the keys
     * s &lt;= startPos + t, best first, ties to the lower index. On the GPU when no row returns more than
     * {@link #GPU_TOPK_MAX} keys, else on the CPU ({@link CudaTopK}) from {@code hostScores}, fetched when null.
     */
    static int[][] selectRows(CudaContext gpu, DeviceBuffer scores, double[] hostScores, int tokens, int keyCount, int startPos, int topk) {
        int[][] selected = new int[tokens][];
        if (topk <= 0) {
            for (int t = 0; t < tokens; t++) selected[t] = new int[0];
            return selected;
        }
        if (Math.min(topk, keyCount) <= GPU_TOPK_MAX) {
            try (DeviceBuffer sel = gpu.alloc(4L * tokens * topk)) {
                gpu.launch(CudaKernel.TOPK_ROWS, tokens, 1, 1024, 0, scores, sel, keyCount, startPos, topk);
                int[] flat = gpu.downloadInts(sel, tokens * topk);
                for (int t = 0; t < tokens; t++) {
                    int n = AttendedKeys.selectionSize(topk, AttendedKeys.visiblePrefix(startPos + t, keyCount));
                    selected[t] = Arrays.copyOfRange(flat, t * topk, t * topk + n);
                }
            }
            return selected;
        }
        double[] host = hostScores != null ? hostScores : gpu.downloadDoubles(scores, tokens * keyCount);
        for (int t = 0; t < tokens; t++) selected[t] = CudaTopK.select(host, t * keyCount, AttendedKeys.visiblePrefix(startPos + t, keyCount), topk);
        return selected;
    }

    /** The score kernel's limits: D a power of two (its bank swizzle), H at most 64, the staging within 48 KiB. */
    static void checkShapes(int heads, int dim, boolean fp8) {
        if (fp8 && dim != CudaActQuant.TILE) {
            throw new IllegalArgumentException("indexer fp8 mode needs index_head_dim equal to the " + CudaActQuant.TILE + " tile, got " + dim);
        }
        if (dim <= 0 || Integer.bitCount(dim) != 1) {
            throw new IllegalArgumentException("indexer: index_head_dim " + dim + " is not a power of two (the GPU score kernel needs one)");
        }
        if (heads < 1 || heads > MAX_HEADS || sharedBytes(heads, dim) > SHARED_LIMIT) {
            throw new IllegalArgumentException("indexer: " + heads + " heads of " + dim + " dims exceed the GPU score kernel's limits ("
                    + MAX_HEADS + " heads, " + SHARED_LIMIT + " bytes of staged query and keys)");
        }
    }

    static int sharedBytes(int heads, int dim) { return 4 * (heads + TILE_KEYS) * dim + 4 * heads; }

    /** Downloads the scores and selects per row. */
    private IndexerResult finish(DeviceBuffer ds, int tokens, int keys, int startPos) {
        double[] scores = gpu.downloadDoubles(ds, tokens * keys);
        int[][] selected = selectRows(gpu, ds, scores, tokens, keys, startPos, config.indexTopk());
        return new IndexerResult(TensorF64.wrap(scores, tokens, keys), selected);
    }

    /** q^I: W_qb^I c_q per head [T*H][D], rope dims [0, r) rotated half-split at the token's position, Hadamard. */
    private TensorF64 queries(TensorF64 qLatent, int[] positions, IndexerWeights w) {
        int heads = config.indexNHeads(), dim = config.indexHeadDim();
        TensorF64 q = self.require(LinearOp.class, ctx).apply(qLatent, w.wqB());
        if (q.cols() != heads * dim) {
            throw new IllegalArgumentException(w.wqB().name() + ": " + q.cols() + " outputs, expected index_n_heads * index_head_dim = " + heads * dim);
        }
        int[] rowPositions = new int[positions.length * heads];
        for (int r = 0; r < rowPositions.length; r++) rowPositions[r] = positions[r / heads];
        TensorF64 rows = rotate(q.reshape(positions.length * heads, dim), rowPositions);
        return self.require(HadamardOp.class, ctx).apply(rows);
    }

    /** k^I: LayerNorm(W_k^I x) [T][D] (eps 1e-6), rope dims rotated, Hadamard. */
    private TensorF64 keys(TensorF64 x, int[] positions, IndexerWeights w) {
        TensorF64 k = self.require(LinearOp.class, ctx).apply(x, w.wk());
        if (k.cols() != config.indexHeadDim()) {
            throw new IllegalArgumentException(w.wk().name() + ": " + k.cols() + " outputs, expected index_head_dim " + config.indexHeadDim());
        }
        k = self.require(LayerNormOp.class, ctx).apply(k, w.kNormWeight(), w.kNormBias(), KEY_NORM_EPS);
        return self.require(HadamardOp.class, ctx).apply(rotate(k, positions));
    }

    /** eps of the key LayerNorm: 1e-6, LayerNorm's default in the official code (as the reference). */
    static final double KEY_NORM_EPS = 1e-6;

    /** Rotates dims [0, r) of each row half-split (the indexer's layout, rope dims first); the other dims are kept. */
    private TensorF64 rotate(TensorF64 rows, int[] rowPositions) {
        int n = rows.rows(), dim = rows.cols(), rope = config.qkRopeHeadDim();
        TensorF64 pe = TensorF64.zeros(n, rope);
        for (int r = 0; r < n; r++) for (int i = 0; i < rope; i++) pe.put(r, i, rows.at(r, i));
        TensorF64 rotated = self.require(RopeOp.class, ctx).apply(pe, rowPositions, RopeLayout.HALF_SPLIT);
        TensorF64 out = rows.copy().reshape(n, dim);
        for (int r = 0; r < n; r++) for (int i = 0; i < rope; i++) out.put(r, i, rotated.at(r, i));
        return out;
    }

    /** e_h(t) = (W_w x_t)_h * fp32(H^-1/2 * D^-1/2), [T][H] fp32; the projection bound to an exact context. */
    private float[] headWeights(TensorF64 x, IndexerWeights w) {
        int heads = config.indexNHeads();
        TensorF64 proj = self.require(LinearOp.class, new OpContext(config, PrecisionMode.EXACT)).apply(x, w.weightsProj());
        if (proj.cols() != heads) {
            throw new IllegalArgumentException(w.weightsProj().name() + ": " + proj.cols() + " outputs, expected index_n_heads " + heads);
        }
        float factor = (float) (Math.pow(heads, -0.5) * Math.pow(config.indexHeadDim(), -0.5));
        float[] e = CudaTensors.toFloats(proj);
        for (int i = 0; i < e.length; i++) e[i] *= factor;
        return e;
    }
}
