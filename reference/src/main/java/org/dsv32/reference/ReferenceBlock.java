package org.dsv32.reference;

import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.BlockOp;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.MlaAttentionOp;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.ops.MoeOp;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.LayerWeights;

/**
 * A decoder block (spec/SEMANTICS.md §10):
 * <pre>
 *   h   = x + Attn(RMSNorm_in(x))
 *   out = h + FFN(RMSNorm_post(h))      FFN = dense SwiGLU MLP, or the MoE for layers &gt;= first_k_dense_replace
 * </pre>
 * The residual stream is the running sum; the norms use rms_norm_eps.
 */
public class ReferenceBlock implements BlockOp {
    private final OpContext ctx;
    private final Backend self;

    public ReferenceBlock(OpContext ctx, Backend self) {
        this.ctx = ctx;
        this.self = self;
    }

    @Override
    public TensorF64 forward(TensorF64 x, int startPos, LayerWeights w, LayerCache cache) {
        RmsNormOp norm = self.require(RmsNormOp.class, ctx);
        double eps = ctx.config().rmsNormEps();
        TensorF64 residual = x.copy();
        TensorF64 attnIn = norm.apply(residual, w.inputNorm(), eps);
        TensorF64 attn = self.require(MlaAttentionOp.class, ctx).forward(attnIn, startPos, w.attention(), cache, null).output();
        TensorF64 ffnIn = norm.applyWithResidual(attn, residual, w.postAttentionNorm(), eps); // residual = x + attn
        TensorF64 ffn = w.isMoe()
                ? self.require(MoeOp.class, ctx).forward(ffnIn, w.moe(), null).output()
                : self.require(MlpOp.class, ctx).forward(ffnIn, w.mlp());
        addInPlace(residual, ffn);
        return residual;
    }

    /** a &lt;- a + b, elementwise. */
    static void addInPlace(TensorF64 a, TensorF64 b) {
        if (a.size() != b.size()) throw new IllegalArgumentException("shape mismatch " + a + " vs " + b);
        for (int i = 0; i < a.size(); i++) a.setFlat(i, a.getFlat(i) + b.getFlat(i));
    }
}
