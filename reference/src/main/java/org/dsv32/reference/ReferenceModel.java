package org.dsv32.reference;

import java.util.ArrayList;
import java.util.List;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.AbstractModelSession;
import org.dsv32.spec.ops.BlockOp;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.ModelSession;
import org.dsv32.spec.ops.RaggedBatch;
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

    /**
     * A ragged batch (spec/SEMANTICS.md §10c): every sequence's embedding, then layer by layer ONE
     * {@link BlockOp#forwardRagged} call for all sequences (down to the indexer's padded layout), then each sequence's
     * final norm and LM head. Every session must have been opened by this model on the same weights.
     */
    @Override
    public List<TensorF64> forward(RaggedBatch batch) {
        List<Session> sessions = new ArrayList<>();
        for (int b = 0; b < batch.size(); b++) {
            if (!(batch.sessions().get(b) instanceof Session s) || s.owner() != this) {
                throw new IllegalArgumentException("ragged batch: sequence " + b + "'s session was not opened by this model");
            }
            if (s.weights() != sessions.stream().findFirst().orElse(s).weights()) {
                throw new IllegalArgumentException("ragged batch: sequence " + b + "'s session runs on other weights than sequence 0's");
            }
            sessions.add(s);
        }
        ModelWeights weights = sessions.getFirst().weights();
        int[] start = new int[batch.size()];
        List<TensorF64> h = new ArrayList<>();
        for (int b = 0; b < batch.size(); b++) {
            start[b] = sessions.get(b).position();
            h.add(ReferenceEmbedding.lookup(weights.embedding(), batch.chunk(b)));
        }
        BlockOp block = self.require(BlockOp.class, ctx);
        for (LayerWeights layer : weights.layers()) {
            h = block.forwardRagged(h, start, layer, sessions.stream().map(s -> s.cache(layer.index())).toList());
        }
        List<TensorF64> logits = new ArrayList<>();
        for (int b = 0; b < batch.size(); b++) {
            TensorF64 hidden = self.require(RmsNormOp.class, ctx).apply(h.get(b), weights.finalNorm(), ctx.config().rmsNormEps());
            logits.add(sessions.get(b).accept(hidden));
        }
        return logits;
    }

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
        protected TensorF64 head(TensorF64 hidden) {
            return self.require(LinearOp.class, ctx.fp32Island()).apply(hidden, weights.lmHead()); // fp32 in bf16 mode too
        }

        @Override
        protected int positionAfter(int position, int fed) { return ReferenceModel.this.positionAfter(position, fed); }

        ReferenceModel owner() { return ReferenceModel.this; }

        ModelWeights weights() { return weights; }

        LayerCache cache(int layer) { return caches.get(layer); }

        /** Takes the final hidden states of a ragged batch's chunk: advances as forward would, returns the logits. */
        TensorF64 accept(TensorF64 hidden) { return head(advance(hidden, hidden.rows())); }
    }
}
