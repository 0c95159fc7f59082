package org.dsv32.cuda;

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
 * The whole model (spec/SEMANTICS.md §10): the embedding lookup on the GPU ({@link CudaEmbedding}), the decoder
 * blocks with one {@link LayerCache} each (this backend's BlockOp: simd's block composed over cuda, so its MLA,
 * indexer, MoE, norms and linears are the GPU ones), the final RMSNorm and the LM head — this backend's LinearOp,
 * for the bf16 head the fp32 GEMV/GEMM reading the bf16 weight as stored ({@code dsv32_sgemv_bf16w}), never FP8, in
 * both modes. The caches' device mirrors live as long as the session's caches.
 */
final class CudaModel implements ModelOp {
    private final OpContext ctx;
    private final CudaContext gpu;
    private final Backend self;

    CudaModel(OpContext ctx, CudaContext gpu, Backend self) {
        this.ctx = ctx;
        this.gpu = gpu;
        this.self = self;
    }

    @Override
    public ModelSession open(ModelWeights weights) { return new Session(weights); }

    private final class Session extends AbstractModelSession {
        Session(ModelWeights w) { super(w); }

        @Override
        protected TensorF64 finalHidden(int[] tokens, int startPos) {
            BlockOp block = self.require(BlockOp.class, ctx);
            TensorF64 h = CudaEmbedding.lookup(gpu, weights.embedding(), tokens);
            for (LayerWeights layer : weights.layers()) h = block.forward(h, startPos, layer, caches.get(layer.index()));
            return self.require(RmsNormOp.class, ctx).apply(h, weights.finalNorm(), ctx.config().rmsNormEps());
        }

        @Override
        protected TensorF64 head(TensorF64 hidden) { return self.require(LinearOp.class, ctx).apply(hidden, weights.lmHead()); }
    }
}
