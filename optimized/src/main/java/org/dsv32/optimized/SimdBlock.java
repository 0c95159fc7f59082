package org.dsv32.optimized;

import org.dsv32.spec.format.Bf16Rounding;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.BlockOp;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MlaAttentionOp;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.ops.MoeOp;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.LayerWeights;

/**
 * A decoder block in float32 (spec/SEMANTICS.md §10; the reference is {@code ReferenceBlock}):
 * <pre>
 *   h   = x + Attn(RMSNorm_in(x))
 *   out = h + FFN(RMSNorm_post(h))     FFN = the dense MLP, or the MoE for layers &gt;= first_k_dense_replace
 * </pre>
 * The residual stream is float32 (the first add fused into the post-attention norm, the second an fp32 add). Every
 * part comes from the backend ({@code self.require}); the simd parts are called through their float entries, so
 * no float64 tensor is built inside the block. x is not modified; the cache gets the T new tokens.
 */
public final class SimdBlock implements BlockOp {
    private final OpContext ctx;
    private final SimdParts parts;

    public SimdBlock(OpContext ctx, Backend self) {
        this.ctx = ctx;
        this.parts = new SimdParts(self, ctx);
    }

    @Override
    public TensorF64 forward(TensorF64 x, int startPos, LayerWeights w, LayerCache cache) {
        return SimdTensors.toTensor(forward(SimdTensors.toFloats(x), x.rows(), startPos, w, cache), x.shape());
    }

    /** The float entry: x [T][D] (not modified); returns the new residual stream [T][D]. */
    float[] forward(float[] x, int tokens, int startPos, LayerWeights w, LayerCache cache) {
        int dim = x.length / tokens;
        double eps = ctx.config().rmsNormEps();
        RmsNormOp norm = parts.get(RmsNormOp.class);
        float[] attnIn = SimdOps.rmsNorm(norm, x, tokens, dim, w.inputNorm(), eps);
        float[] residual = x.clone();
        // bf16 mode: the norm read x (the previous block's fp32 sum), the stream keeps it stored bf16 (§5c)
        if (ctx.bf16()) Bf16Rounding.roundInPlace(residual);
        MlaAttentionOp mla = parts.get(MlaAttentionOp.class);
        float[] attn;
        if (mla instanceof SimdMla m) {
            attn = m.forward(attnIn, tokens, startPos, w.attention(), cache, null).output();
        } else {
            attn = new float[tokens * dim];
            SimdOps.toFloats(mla.forward(SimdTensors.toTensor(attnIn, tokens, dim), startPos, w.attention(), cache, null).output(), attn);
        }
        float[] ffnIn = SimdOps.rmsNormWithResidual(norm, attn, residual, tokens, dim, w.postAttentionNorm(), eps);
        float[] ffn;
        if (w.isMoe()) {
            MoeOp moe = parts.get(MoeOp.class);
            if (moe instanceof SimdMoe m) {
                ffn = m.forward(ffnIn, tokens, w.moe(), null).output();
            } else {
                ffn = new float[tokens * dim];
                SimdOps.toFloats(moe.forward(SimdTensors.toTensor(ffnIn, tokens, dim), w.moe(), null).output(), ffn);
            }
        } else {
            ffn = SimdOps.mlp(parts.get(MlpOp.class), parts.get(LinearOp.class), ffnIn, tokens, w.mlp());
        }
        for (int i = 0; i < residual.length; i++) residual[i] += ffn[i];
        return residual;
    }

    /** A block through {@code op}: the float entry for SimdBlock, the contract otherwise. */
    static float[] run(BlockOp op, float[] x, int tokens, int startPos, LayerWeights w, LayerCache cache) {
        if (op instanceof SimdBlock b) return b.forward(x, tokens, startPos, w, cache);
        TensorF64 r = op.forward(SimdTensors.toTensor(x, tokens, x.length / tokens), startPos, w, cache);
        float[] out = new float[x.length];
        SimdOps.toFloats(r, out);
        return out;
    }
}
