package org.dsv32.optimized;

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
 * The multi-token-prediction module in float32 (spec/SEMANTICS.md §10; the reference is
 * {@code ReferenceMtp}). For row i at position p = startPos + i:
 * <pre>
 *   e = RMSNorm_e(emb(t_{i+1}))   (zero when p == 0)
 *   u = W_eh [ e ; RMSNorm_h(h_i) ]          embedding FIRST
 *   g = Block(u)                              a full decoder block with its own cache
 *   logits = head(RMSNorm_shared(g))          shared_head.head, or the main LM head when absent
 * </pre>
 * hidden is not modified; the cache gets the T new tokens.
 */
public final class SimdMtp implements MtpOp {
    private final OpContext ctx;
    private final Backend self;

    public SimdMtp(OpContext ctx, Backend self) {
        this.ctx = ctx;
        this.self = self;
    }

    @Override
    public TensorF64 forward(TensorF64 hidden, int[] nextTokens, int startPos, ModelWeights weights, int mtpIndex, LayerCache cache) {
        MtpWeights m = weights.mtp().get(mtpIndex);
        int t = hidden.rows(), d = hidden.cols();
        if (nextTokens.length != t) throw new IllegalArgumentException(t + " hidden rows but " + nextTokens.length + " next tokens");
        RmsNormOp norm = self.require(RmsNormOp.class, ctx);
        LinearOp linear = self.require(LinearOp.class, ctx);
        double eps = ctx.config().rmsNormEps();
        float[] e = SimdOps.rmsNorm(norm, SimdEmbedding.lookup(weights.embedding(), nextTokens), t, d, m.enorm(), eps);
        if (startPos == 0) java.util.Arrays.fill(e, 0, d, 0f); // position 0 has no predecessor
        float[] h = SimdOps.rmsNorm(norm, SimdTensors.toFloats(hidden), t, d, m.hnorm(), eps);
        float[] cat = new float[t * 2 * d];
        for (int r = 0; r < t; r++) {
            System.arraycopy(e, r * d, cat, r * 2 * d, d);      // embedding first
            System.arraycopy(h, r * d, cat, r * 2 * d + d, d);
        }
        float[] u = SimdOps.linear(linear, cat, t, m.ehProj());
        float[] g = SimdBlock.run(self.require(BlockOp.class, ctx), u, t, startPos, m.block(), cache);
        float[] gn = SimdOps.rmsNorm(norm, g, t, d, m.headNorm(), eps);
        var head = m.head() != null ? m.head() : weights.lmHead();
        LinearOp headLinear = self.require(LinearOp.class, ctx.fp32Island()); // fp32 in bf16 mode too (§5c)
        return SimdTensors.toTensor(SimdOps.linear(headLinear, gn, t, head), t, head.rows());
    }
}
