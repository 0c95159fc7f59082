package org.dsv32.optimized;

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
 * The whole model in float32 (spec/SEMANTICS.md §10; the reference is {@code ReferenceModel}):
 * embedding (the bf16 table read as float32, exact), the decoder blocks with one {@link LayerCache} each, the final
 * RMSNorm and the LM head through the backend's LinearOp — for the dense bf16 head that is the fp32 GEMV/GEMM over
 * the bf16 weight, never FP8, in both modes. The hidden state stays float32 between blocks. The logits and the last
 * hidden states are returned as float64 tensors holding the float32 values.
 */
public final class SimdModel implements ModelOp {
    private final OpContext ctx;
    private final SimdParts parts;

    public SimdModel(OpContext ctx, Backend self) {
        this.ctx = ctx;
        this.parts = new SimdParts(self, ctx);
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
            int n = tokens.length, dim = w.embedding().cols();
            BlockOp block = parts.get(BlockOp.class);
            float[] h = SimdEmbedding.lookup(w.embedding(), tokens);
            for (LayerWeights layer : w.layers()) h = SimdBlock.run(block, h, n, position, layer, caches.get(layer.index()));
            float[] hidden = SimdOps.rmsNorm(parts.get(RmsNormOp.class), h, n, dim, w.finalNorm(), ctx.config().rmsNormEps());
            lastHidden = SimdTensors.toTensor(hidden, n, dim);
            position += n;
            float[] logits = SimdOps.linear(parts.get(LinearOp.class), hidden, n, w.lmHead());
            return SimdTensors.toTensor(logits, n, w.lmHead().rows());
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
