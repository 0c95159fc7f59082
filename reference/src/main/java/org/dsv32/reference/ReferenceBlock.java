package org.dsv32.reference;

import org.dsv32.spec.format.Bf16Rounding;
import java.util.ArrayList;
import java.util.List;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.AttentionResult;
import org.dsv32.spec.ops.BlockOp;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.MlaAttentionOp;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.ops.MoeOp;
import org.dsv32.spec.ops.RaggedBatch;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.LayerWeights;

/**
 * A decoder block (spec/SEMANTICS.md §10):
 * <pre>
 *   h   = x + Attn(RMSNorm_in(x))
 *   out = h + FFN(RMSNorm_post(h))      FFN = dense SwiGLU MLP, or the MoE for layers &gt;= first_k_dense_replace
 * </pre>
 * The residual stream is the running sum; the norms use rms_norm_eps. In bf16 mode (spec/SEMANTICS.md §5c) the
 * input norm reads x as given and the stream stores it in bf16; the returned stream is the unrounded sum of the
 * stored residual and the FFN output (the next block's norm stores it).
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
        TensorF64 attnIn = inputNorm(x, w);
        TensorF64 residual = storedResidual(x);
        TensorF64 attn = self.require(MlaAttentionOp.class, ctx).forward(attnIn, startPos, w.attention(), cache, null).output();
        return feedForward(residual, attn, w);
    }

    /** A ragged batch: each sequence's norms and FFN as in {@link #forward}, the attention as one {@link MlaAttentionOp#forwardRagged} call. */
    @Override
    public List<TensorF64> forwardRagged(List<TensorF64> x, int[] startPos, LayerWeights w, List<LayerCache> caches) {
        RaggedBatch.checkLayerCall("block", x.size(), startPos, caches);
        List<TensorF64> residual = new ArrayList<>(), attnIn = new ArrayList<>();
        for (TensorF64 xb : x) {
            attnIn.add(inputNorm(xb, w));
            residual.add(storedResidual(xb));
        }
        List<AttentionResult> attn = self.require(MlaAttentionOp.class, ctx).forwardRagged(attnIn, startPos, w.attention(), caches);
        List<TensorF64> out = new ArrayList<>();
        for (int b = 0; b < x.size(); b++) out.add(feedForward(residual.get(b), attn.get(b).output(), w));
        return out;
    }

    /**
     * The residual stream as the block keeps it: x itself, or in bf16 mode x stored in bf16 (the deployment adds the
     * previous block's output in fp32 inside this block's input norm, normalises that sum and stores it bf16, §5c).
     */
    private TensorF64 storedResidual(TensorF64 x) {
        TensorF64 r = x.copy();
        return ctx.bf16() ? Bf16Rounding.roundInPlace(r) : r;
    }

    private TensorF64 inputNorm(TensorF64 residual, LayerWeights w) {
        return self.require(RmsNormOp.class, ctx).apply(residual, w.inputNorm(), ctx.config().rmsNormEps());
    }

    /** residual &lt;- residual + attn + FFN(RMSNorm_post(residual + attn)); returns residual. */
    private TensorF64 feedForward(TensorF64 residual, TensorF64 attn, LayerWeights w) {
        TensorF64 ffnIn = self.require(RmsNormOp.class, ctx).applyWithResidual(attn, residual, w.postAttentionNorm(), ctx.config().rmsNormEps()); // residual = x + attn
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
