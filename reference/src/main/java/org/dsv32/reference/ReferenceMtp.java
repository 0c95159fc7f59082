package org.dsv32.reference;

import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.BlockOp;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MtpOp;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ModelWeights;
import org.dsv32.spec.weights.MtpWeights;

/**
 * The multi-token-prediction module (spec/SEMANTICS.md §10). For row i at position p = startPos + i:
 * <pre>
 *   e = RMSNorm_e(emb(t_{i+1}))   (zero when p == 0)
 *   u = W_eh [ e ; RMSNorm_h(h_i) ]          embedding FIRST
 *   g = Block(u)                              a full decoder block with its own cache
 *   logits = head(RMSNorm_shared(g))          shared_head.head, or the main LM head when absent
 * </pre>
 * h_i is the main model's final hidden state (after its final norm), as vLLM passes it.
 */
public class ReferenceMtp implements MtpOp {
    private final OpContext ctx;
    private final Backend self;

    public ReferenceMtp(OpContext ctx, Backend self) {
        this.ctx = ctx;
        this.self = self;
    }

    @Override
    public TensorF64 forward(TensorF64 hidden, int[] nextTokens, int startPos, ModelWeights weights, int mtpIndex, LayerCache cache) {
        MtpWeights m = weights.mtp().get(mtpIndex);
        int t = hidden.rows();
        int d = hidden.cols();
        if (nextTokens.length != t) throw new IllegalArgumentException(t + " hidden rows but " + nextTokens.length + " next tokens");
        RmsNormOp norm = self.require(RmsNormOp.class, ctx);
        double eps = ctx.config().rmsNormEps();
        TensorF64 e = norm.apply(ReferenceEmbedding.lookup(weights.embedding(), nextTokens), m.enorm(), eps);
        zeroEmbeddingAtPositionZero(e, startPos);
        TensorF64 h = norm.apply(hidden, m.hnorm(), eps);
        TensorF64 u = self.require(LinearOp.class, ctx).apply(concat(e, h, d), m.ehProj());
        TensorF64 g = self.require(BlockOp.class, ctx).forward(u, startPos, m.block(), cache);
        TensorF64 gn = norm.apply(g, m.headNorm(), eps);
        return self.require(LinearOp.class, ctx.fp32Island()).apply(gn, m.head() != null ? m.head() : weights.lmHead());
    }

    /** The token at position 0 has no predecessor: its embedding input is zero (after the norm, as vLLM masks it). */
    protected void zeroEmbeddingAtPositionZero(TensorF64 e, int startPos) {
        if (startPos == 0) for (int c = 0; c < e.cols(); c++) e.put(0, c, 0.0);
    }

    /** [first ; second] per row — the order is part of the semantics (embedding first). A mutant's hook. */
    protected TensorF64 concat(TensorF64 first, TensorF64 second, int d) { return embeddingThenHidden(first, second, d); }

    /**
     * [first ; second] per row, each of width d: the MTP module's input before eh_proj, embedding first as the
     * inference code orders it. One definition for the module, its loss and its training step.
     */
    public static TensorF64 embeddingThenHidden(TensorF64 first, TensorF64 second, int d) {
        TensorF64 out = TensorF64.zeros(first.rows(), 2 * d);
        for (int r = 0; r < first.rows(); r++) {
            for (int c = 0; c < d; c++) {
                out.put(r, c, first.at(r, c));
                out.put(r, d + c, second.at(r, c));
            }
        }
        return out;
    }
}
