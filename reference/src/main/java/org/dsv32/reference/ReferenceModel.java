package org.dsv32.reference;

import java.util.ArrayList;
import java.util.List;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.BlockOp;
import org.dsv32.spec.ops.LayerCache;
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

    private final class Session implements ModelSession {
        private final ModelWeights w;
        private final List<LayerCache> caches = new ArrayList<>();
        private int position;
        private TensorF64 lastHidden;

        Session(ModelWeights w) {
            this.w = w;
            for (int i = 0; i < w.layers().size(); i++) caches.add(new LayerCache());
        }

        @Override
        public TensorF64 forward(int[] tokens) {
            if (tokens.length == 0) throw new IllegalArgumentException("no tokens to feed");
            BlockOp block = self.require(BlockOp.class, ctx);
            TensorF64 h = ReferenceEmbedding.lookup(w.embedding(), tokens);
            for (LayerWeights layer : w.layers()) h = block.forward(h, position, layer, caches.get(layer.index()));
            lastHidden = self.require(RmsNormOp.class, ctx).apply(h, w.finalNorm(), ctx.config().rmsNormEps());
            position += tokens.length;
            return self.require(LinearOp.class, ctx).apply(lastHidden, w.lmHead());
        }

        @Override
        public TensorF64 lastHidden() {
            if (lastHidden == null) throw new IllegalStateException("no forward call yet");
            return lastHidden;
        }

        @Override
        public int position() { return position; }
    }
}
