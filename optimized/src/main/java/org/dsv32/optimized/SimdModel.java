package org.dsv32.optimized;

import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.AbstractModelSession;
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
 * hidden states are returned as float64 tensors holding the float32 values. A ragged batch
 * ({@link ModelOp#forward(org.dsv32.spec.ops.RaggedBatch)}, spec/SEMANTICS.md §10c) runs through the contract's default:
 * one sequence after another, which is its result by definition (no padded layout here).
 */
public final class SimdModel implements ModelOp {
    private final OpContext ctx;
    private final SimdParts parts, headParts;

    public SimdModel(OpContext ctx, Backend self) {
        this.ctx = ctx;
        this.parts = new SimdParts(self, ctx);
        this.headParts = new SimdParts(self, ctx.fp32Island());
    }

    @Override
    public ModelSession open(ModelWeights weights) { return new Session(weights); }

    private final class Session extends AbstractModelSession {
        Session(ModelWeights w) { super(w); }

        @Override
        protected TensorF64 finalHidden(int[] tokens, int startPos) {
            int n = tokens.length, dim = weights.embedding().cols();
            BlockOp block = parts.get(BlockOp.class);
            float[] h = SimdEmbedding.lookup(weights.embedding(), tokens);
            for (LayerWeights layer : weights.layers()) h = SimdBlock.run(block, h, n, startPos, layer, caches.get(layer.index()));
            return SimdTensors.toTensor(SimdOps.rmsNorm(parts.get(RmsNormOp.class), h, n, dim, weights.finalNorm(), ctx.config().rmsNormEps()), n, dim);
        }

        @Override
        protected TensorF64 head(TensorF64 hidden) {
            // the LM head is an fp32 island in bf16 mode too (§5c)
            float[] logits = SimdOps.linear(headParts.get(LinearOp.class), SimdTensors.toFloats(hidden), hidden.rows(), weights.lmHead());
            return SimdTensors.toTensor(logits, hidden.rows(), weights.lmHead().rows());
        }
    }
}
