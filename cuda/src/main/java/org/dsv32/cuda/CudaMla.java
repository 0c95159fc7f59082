package org.dsv32.cuda;

import java.util.function.Supplier;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.AttendedKeys;
import org.dsv32.spec.ops.AttentionResult;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MlaAttentionOp;
import org.dsv32.spec.ops.MlaChecks;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.AttentionWeights;

/**
 * MLA attention with DeepSeek sparse attention (spec/SEMANTICS.md §5, §7, §8; the definition is the reference's):
 * decode steps (one new token) on the GPU in the absorbed form, prefill (T &gt; 1) delegated.
 *
 * <p>Decode, for the token at position p with H heads, n = nope, r = rope, v = value dims, R = kv_lora_rank:
 * <pre>
 *   c_q = RMSNorm_q(W_qa x); [q_nope | q_pe] = (W_qb c_q)_h, q_pe rotated interleaved   this backend's ops (GPU)
 *   [c_kv | k_pe] = W_kva x; c_kv = RMSNorm_kv(c_kv), fp8: act_quant round trip; k_pe rotated; appended to the cache
 *   K(t) from this backend's indexer (CudaIndexer), or the forced selection (decision replay)
 *   q~ = W_uk[h]^T q_nope;  z_s = (q~ . c_kv(s) + q_pe . k_pe(s)) * scale over the attended s in K(t), s &lt;= p
 *   p = softmax(z);  o~ = sum p_s c_kv(s);  o_h = W_uv[h] o~;  out = W_o [o_1 .. o_H]
 * </pre>
 * The attention core is mla_decode.cu (one CTA per head over the attended keys only) on the fp32 dequantised
 * kv_b_proj and the latent cache resident on the device ({@link CudaCacheMirror}, uploaded incrementally from the
 * LayerCache); no act_quant inside attention, as in the reference's absorbed form. The attended keys are the
 * selection as a set (duplicates once, keys after p ignored) in ascending index; a query left with none is an error.
 *
 * <p>Prefill (T &gt; 1), and a decode step attending more than {@value #MAX_KEYS} keys, go to {@code prefill}:
 * the simd backend's MLA composed over this backend (its linears, norms, RoPE and indexer still run on the GPU,
 * its attention core on the CPU), the same split as the official demo's naive prefill / absorbed decode.
 *
 * <p>Modifies only the cache (the T new latents and indexer keys appended).
 */
final class CudaMla implements MlaAttentionOp {
    /** Attended keys per query the decode kernel stages in shared memory (8 bytes each, within 48 KiB). */
    static final int MAX_KEYS = 5000;
    static final int MAX_NOPE = 512, MAX_RANK = 1024, MAX_ROPE = 128;

    private final OpContext ctx;
    private final CudaContext gpu;
    private final Backend self;
    private final ModelConfig config;
    private final Supplier<MlaAttentionOp> prefill;

    CudaMla(OpContext ctx, CudaContext gpu, Backend self, Supplier<MlaAttentionOp> prefill) {
        this.ctx = ctx;
        this.gpu = gpu;
        this.self = self;
        this.config = ctx.config();
        this.prefill = prefill;
    }

    @Override
    public AttentionResult forward(TensorF64 x, int startPos, AttentionWeights w, LayerCache cache, int[][] forcedSelection) {
        int tokens = x.rows();
        if (tokens != 1 || !decodeFits(startPos, forcedSelection)) {
            return prefill.get().forward(x, startPos, w, cache, forcedSelection);
        }
        if (cache.length() != startPos) {
            throw new IllegalArgumentException("MLA: cache holds " + cache.length() + " tokens, expected startPos " + startPos);
        }
        if (forcedSelection != null) MlaChecks.checkForcedSelection(forcedSelection, tokens, startPos + tokens);   // before the cache changes
        MlaChecks.checkKvB(config, w.kvB());
        int heads = config.numAttentionHeads(), nope = config.qkNopeHeadDim(), rope = config.qkRopeHeadDim();
        int vDim = config.vHeadDim(), rank = config.kvLoraRank();
        int[] positions = new int[tokens];
        for (int t = 0; t < tokens; t++) positions[t] = startPos + t;

        LinearOp linear = self.require(LinearOp.class, ctx);
        TensorF64 qLatent = self.require(RmsNormOp.class, ctx).apply(linear.apply(x, w.qA()), w.qANorm(), config.rmsNormEps());
        float[][] q = queries(linear, qLatent, positions, w);   // q_nope [T][H][n], q_pe [T][H][r]
        appendLatents(linear, x, positions, w, cache);
        IndexerResult indexed = self.require(IndexerOp.class, ctx).select(x, qLatent, startPos, w.indexer(), cache);
        int[][] selection = forcedSelection == null ? indexed.selected() : forcedSelection;

        int[][] attended = new int[tokens][];
        int maxKeys = 1;
        for (int t = 0; t < tokens; t++) {
            attended[t] = AttendedKeys.of(selection[t], positions[t], cache.length());
            maxKeys = Math.max(maxKeys, attended[t].length);
        }
        int[] keys = new int[tokens * maxKeys], counts = new int[tokens];
        for (int t = 0; t < tokens; t++) {
            System.arraycopy(attended[t], 0, keys, t * maxKeys, attended[t].length);
            counts[t] = attended[t].length;
        }
        CudaCacheMirror mirror = CudaCacheMirror.of(cache, gpu);
        mirror.syncLatents(cache, rank, rope);
        DeviceBuffer wkvb = gpu.f32(w.kvB());
        float[] headOut;
        try (DeviceBuffer dqn = gpu.upload(q[0]); DeviceBuffer dqp = gpu.upload(q[1]);
             DeviceBuffer dk = gpu.upload(keys); DeviceBuffer dn = gpu.upload(counts);
             DeviceBuffer qt = gpu.alloc(4L * tokens * heads * rank); DeviceBuffer ot = gpu.alloc(4L * tokens * heads * rank);
             DeviceBuffer out = gpu.alloc(4L * tokens * heads * vDim)) {
            gpu.launch(CudaKernel.MLA_ABSORB_Q, tokens * heads, (rank + 255) / 256, 256, 0, dqn, wkvb, qt, heads, nope, vDim, rank);
            gpu.launch(CudaKernel.MLA_SPARSE_ATTEND, tokens * heads, 1, 256, 8 * maxKeys,
                    qt, dqp, mirror.latents(), mirror.keyRopes(), dk, dn, ot, heads, rank, rope, maxKeys, (float) config.softmaxScale());
            long warps = (long) tokens * heads * vDim;
            gpu.launch(CudaKernel.MLA_EXPAND_V, Math.toIntExact((warps + 7) / 8), 1, 256, 0, ot, wkvb, out, tokens, heads, nope, vDim, rank);
            headOut = gpu.downloadFloats(out, tokens * heads * vDim);
        }
        TensorF64 o = linear.apply(CudaTensors.fromFloats(headOut, tokens, heads * vDim), w.o());
        return new AttentionResult(o, new IndexerResult(indexed.scores(), MlaChecks.copy(selection)));
    }

    /**
     * Whether a one-token step fits the decode kernels: the model's dimensions within their limits and at most
     * {@link #MAX_KEYS} attended keys (the indexer's top-k, or the forced selection's distinct visible keys).
     */
    private boolean decodeFits(int startPos, int[][] forced) {
        if (config.qkNopeHeadDim() > MAX_NOPE || config.kvLoraRank() > MAX_RANK || config.qkRopeHeadDim() > MAX_ROPE) return false;
        int bound = Math.min(config.indexTopk(), startPos + 1);
        if (forced != null && forced.length == 1) {
            java.util.BitSet seen = new java.util.BitSet();
            for (int s : forced[0]) if (s >= 0 && s <= startPos) seen.set(s);
            bound = seen.cardinality();
        }
        return bound <= MAX_KEYS;
    }

    /** W_qb c_q split per head into q_nope [T][H][n] and q_pe [T][H][r], q_pe rotated interleaved at the position. */
    private float[][] queries(LinearOp linear, TensorF64 qLatent, int[] positions, AttentionWeights w) {
        int tokens = positions.length, heads = config.numAttentionHeads();
        int nope = config.qkNopeHeadDim(), rope = config.qkRopeHeadDim(), width = nope + rope;
        TensorF64 q = linear.apply(qLatent, w.qB());
        if (q.cols() != heads * width) {
            throw new IllegalArgumentException(w.qB().name() + ": " + q.cols() + " outputs, expected heads * (nope + rope) = " + heads * width);
        }
        float[] qNope = new float[tokens * heads * nope];
        TensorF64 pe = TensorF64.zeros(tokens * heads, rope);
        int[] rowPositions = new int[tokens * heads];
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < heads; h++) {
                int base = h * width, row = t * heads + h;
                for (int d = 0; d < nope; d++) qNope[row * nope + d] = (float) q.at(t, base + d);
                for (int d = 0; d < rope; d++) pe.put(row, d, q.at(t, base + nope + d));
                rowPositions[row] = positions[t];
            }
        }
        TensorF64 qPe = self.require(RopeOp.class, ctx).apply(pe, rowPositions, RopeLayout.INTERLEAVED);
        return new float[][] {qNope, CudaTensors.toFloats(qPe)};
    }

    /** W_kva x = [c_kv | k_pe]; c_kv normed and (fp8) round-tripped, k_pe rotated; both appended to the cache. */
    private void appendLatents(LinearOp linear, TensorF64 x, int[] positions, AttentionWeights w, LayerCache cache) {
        int tokens = positions.length, rank = config.kvLoraRank(), rope = config.qkRopeHeadDim();
        TensorF64 kv = linear.apply(x, w.kvA());
        if (kv.cols() != rank + rope) {
            throw new IllegalArgumentException(w.kvA().name() + ": " + kv.cols() + " outputs, expected kv_lora_rank + rope = " + (rank + rope));
        }
        TensorF64 latent = TensorF64.zeros(tokens, rank), kPe = TensorF64.zeros(tokens, rope);
        for (int t = 0; t < tokens; t++) {
            for (int c = 0; c < rank; c++) latent.put(t, c, kv.at(t, c));
            for (int d = 0; d < rope; d++) kPe.put(t, d, kv.at(t, rank + d));
        }
        latent = self.require(RmsNormOp.class, ctx).apply(latent, w.kvANorm(), config.rmsNormEps());
        if (ctx.fp8()) latent = self.require(ActQuantOp.class, ctx).quantize(latent, ctx.scaleFormat()).dequantize();
        kPe = self.require(RopeOp.class, ctx).apply(kPe, positions, RopeLayout.INTERLEAVED);
        for (int t = 0; t < tokens; t++) cache.appendLatent(latent.rowArray(t), kPe.rowArray(t));
    }




}
