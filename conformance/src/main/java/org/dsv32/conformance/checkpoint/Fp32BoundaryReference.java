package org.dsv32.conformance.checkpoint;

import java.util.SplittableRandom;
import org.dsv32.reference.ReferenceActQuant;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * The float64 reference with every activation that enters act_quant perturbed by the error a conforming float32
 * backend may carry there: x -> fp32(x (1 + delta)), |delta| <= sqrt(K) 2^-24 with K the longest reduction length of
 * the configuration (the typical error of an fp32 dot product of that length), delta drawn from a seeded stream.
 *
 * <p>Why it exists: act_quant is discontinuous. A value whose x/s lies within that error of an E4M3 rounding
 * midpoint quantises to a different code in a float32 backend than in the float64 reference, and a small random
 * model can amplify one flipped code into a visible logits difference. Such a flip is a legitimate rounding
 * decision, like a near-tied top-k choice. A few perturbed reference runs measure how far the reference itself moves
 * under admissible fp32 error; a candidate deviation inside that spread is a NEAR-TIE, beyond it a VIOLATION.
 */
public final class Fp32BoundaryReference extends ReferenceBackend {
    private final long seed;

    public Fp32BoundaryReference(long seed) {
        this.seed = seed;
        register(ActQuantOp.class, (ctx, self) -> new ReferenceActQuant(ctx, self) {
            private final SplittableRandom rng = new SplittableRandom(Fp32BoundaryReference.this.seed);
            private final double eps = relativeError(ctx.config());

            @Override
            public QuantizedActivation quantize(TensorF64 x, ScaleFormat format) {
                TensorF64 r = x.copy();
                for (int i = 0; i < r.size(); i++) r.setFlat(i, (float) (r.getFlat(i) * (1 + eps * (2 * rng.nextDouble() - 1))));
                return super.quantize(r, format);
            }
        });
    }

    /** sqrt(K) 2^-24 for the longest reduction length K of the configuration. */
    static double relativeError(ModelConfig c) {
        int k = Math.max(Math.max(c.hiddenSize(), c.intermediateSize()), Math.max(c.qLoraRank(), c.kvLoraRank()));
        k = Math.max(k, Math.max(c.numAttentionHeads() * c.vHeadDim(), c.moeIntermediateSize()));
        return Math.sqrt(k) * 0x1p-24;
    }

    @Override public String name() { return "reference-fp32-perturbed-" + seed; }
}
