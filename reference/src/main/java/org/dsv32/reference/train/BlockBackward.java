package org.dsv32.reference.train;

import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.LayerWeights;

/**
 * One decoder block over a training sequence, forward with its tape and backward (spec/SEMANTICS.md §10):
 * <pre>
 *   a = RMSNorm_in(x),  h = x + Attn(a),  b = RMSNorm_post(h),  out = h + FFN(b)
 * </pre>
 * so dh = dOut + RMSNorm_post'ᵀ FFN'ᵀ dOut and dx = dh + RMSNorm_in'ᵀ Attn'ᵀ dh. The block's decisions (the
 * attention's selection, the MoE's experts) are recorded in the tape and can be forced, so that a finite difference
 * differentiates one smooth piece.
 */
public class BlockBackward {
    protected final BackwardSteps steps;
    protected final Backend self;
    protected final AttentionBackward attention;
    protected final FeedForwardBackward feedForward;

    public BlockBackward(BackwardSteps steps, Backend self) {
        this.steps = steps;
        this.self = self;
        this.attention = new AttentionBackward(steps, self);
        this.feedForward = new FeedForwardBackward(steps, self);
    }

    /** A block's decisions: the attended keys per query [T][..] and, for an MoE block, the experts per token [T][k] (else null). */
    public record Decisions(int[][] selection, int[][] experts) {}

    /** The forward of one block: input, attention tape, h, the FFN input b, the FFN tape (one of the two), output. */
    public record Tape(LayerWeights weights, TensorF64 x, TensorF64 attnIn, AttentionBackward.Tape attention, TensorF64 h,
                       TensorF64 ffnIn, FeedForwardBackward.MlpTape mlp, FeedForwardBackward.MoeTape moe, TensorF64 output) {
        public Decisions decisions() { return new Decisions(attention.selection(), moe == null ? null : moe.experts()); }
    }

    /** The backward's results: dx and the gradients of the block's weights (null when not asked for). */
    public record Result(TensorF64 dx, Gradients gradients) {}

    public AttentionBackward attention() { return attention; }

    /** The forward; {@code sparse} attends the indexer's selection, else every causal key; {@code forced} may be null. */
    public Tape forward(TensorF64 x, LayerWeights w, boolean sparse, Decisions forced) {
        double eps = steps.context().config().rmsNormEps();
        RmsNormOp norm = self.require(RmsNormOp.class, steps.context());
        TensorF64 attnIn = norm.apply(x, w.inputNorm(), eps);
        AttentionBackward.Tape at = attention.forward(attnIn, w.attention(), sparse, forced == null ? null : forced.selection());
        TensorF64 h = x.copy();
        AttentionBackward.add(h, at.output());
        TensorF64 ffnIn = norm.apply(h, w.postAttentionNorm(), eps);
        FeedForwardBackward.MlpTape mlp = null;
        FeedForwardBackward.MoeTape moe = null;
        TensorF64 out = h.copy();
        if (w.isMoe()) {
            moe = feedForward.moeForward(ffnIn, w.moe(), forced == null ? null : forced.experts());
            AttentionBackward.add(out, moe.output());
        } else {
            mlp = feedForward.mlpForward(ffnIn, w.mlp());
            AttentionBackward.add(out, mlp.output());
        }
        return new Tape(w, x, attnIn, at, h, ffnIn, mlp, moe, out);
    }

    /** The backward from dOut; the weights' gradients are computed only when {@code weightGradients}. */
    public Result backward(Tape tape, TensorF64 dOut, boolean weightGradients) {
        Gradients g = weightGradients ? new Gradients() : null;
        LayerWeights w = tape.weights();
        double eps = steps.context().config().rmsNormEps();
        TensorF64 dFfnIn = tape.moe() != null
                ? feedForward.moeBackward(tape.moe(), w.moe(), dOut, g)
                : feedForward.mlpBackward(tape.mlp(), w.mlp(), dOut, g);
        TensorF64 dh = dOut.copy();
        AttentionBackward.add(dh, steps.rmsNormBackward(tape.h(), w.postAttentionNorm(), eps, dFfnIn, g));
        TensorF64 dAttnIn = attention.backward(tape.attention(), w.attention(), dh, g);
        TensorF64 dx = dh.copy();
        AttentionBackward.add(dx, steps.rmsNormBackward(tape.x(), w.inputNorm(), eps, dAttnIn, g));
        return new Result(dx, g);
    }
}
