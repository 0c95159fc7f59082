package org.dsv32.reference;

import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.AbstractModelSession;
import org.dsv32.spec.ops.BlockOp;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.ModelSession;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.LayerWeights;
import org.dsv32.spec.weights.ModelWeights;

/**
 * The whole model (spec/SEMANTICS.md §10): embedding, the decoder blocks with their caches, the final RMSNorm and
 * the LM head (a dense fp32 product in both modes: the head is never FP8).
 */
public class ReferenceModel implements ModelOp {
    private final OpContext ctx;
    private final Backend self;

    public ReferenceModel(OpContext ctx, Backend self) {
        this.ctx = ctx;
        this.self = self;
    }

    @Override
    public ModelSession open(ModelWeights weights) { return new Session(weights); }

    /** The position of the next token after {@code fed} tokens from {@code position}: the cache's write index. */
    protected int positionAfter(int position, int fed) { return position + fed; }

    private final class Session extends AbstractModelSession {
        Session(ModelWeights w) { super(w); }

        @Override
        protected TensorF64 finalHidden(int[] tokens, int startPos) {
            BlockOp block = self.require(BlockOp.class, ctx);
            TensorF64 h = ReferenceEmbedding.lookup(weights.embedding(), tokens);
            for (LayerWeights layer : weights.layers()) h = block.forward(h, startPos, layer, caches.get(layer.index()));
            return self.require(RmsNormOp.class, ctx).apply(h, weights.finalNorm(), ctx.config().rmsNormEps());
        }

        @Override
        protected TensorF64 head(TensorF64 hidden) { return self.require(LinearOp.class, ctx).apply(hidden, weights.lmHead()); }

        @Override
        protected int positionAfter(int position, int fed) { return ReferenceModel.this.positionAfter(position, fed); }
    }
}
