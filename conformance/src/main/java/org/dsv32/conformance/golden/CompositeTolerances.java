package org.dsv32.conformance.golden;

import java.util.Locale;
import org.dsv32.conformance.Tier;
import org.dsv32.conformance.Tolerance;
import org.dsv32.conformance.Tolerances;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;

/**
 * Gates for block, model and MTP, composed from the harness's own per-operation budgets (spec/TOLERANCES.md) to
 * first order: the norm-wise relative errors ε = sqrt(2 calc_diff) of the parts add up along the residual stream,
 * which carries each part's error forward unamplified. A block is its two RMSNorms (fused residual), MLA and its FFN;
 * the model its blocks, the final norm and the fp32 LM head (K = D, dense); MTP its two input norms, eh_proj
 * (dense, K = 2D), one MoE block, the head norm and the head. Only calc_diff is gated (logits and the residual
 * stream are reductions with cancellation). The harness has no model-level tolerances yet; when it gets them,
 * these should defer to it.
 */
final class CompositeTolerances {
    private CompositeTolerances() {}

    static Tolerance block(ModelConfig c, PrecisionMode m, Tier t, long maxPos, boolean moe) {
        double e = blockEps(c, m, t, maxPos, moe);
        return new Tolerance(Tolerances.calcDiffOf(e), Double.NaN, Double.NaN, fmt("block (%s): 2 rms_norm + mla + %s => eps %.3g",
                moe ? "moe" : "dense", moe ? "moe" : "mlp", e));
    }

    static Tolerance model(ModelConfig c, PrecisionMode m, Tier t, long maxPos) {
        double e = 0;
        for (int i = 0; i < c.numHiddenLayers(); i++) e += blockEps(c, m, t, maxPos, c.isMoeLayer(i));
        double blocks = e;
        e += norm(c) + eps(Tolerances.linear(c.hiddenSize(), false, m, t));
        return new Tolerance(Tolerances.calcDiffOf(e), Double.NaN, Double.NaN,
                fmt("model: %d blocks %.3g + final norm + lm_head (K=%d, fp32) => eps %.3g", c.numHiddenLayers(), blocks, c.hiddenSize(), e));
    }

    static Tolerance mtp(ModelConfig c, PrecisionMode m, Tier t, long maxPos) {
        double e = 3 * norm(c) + eps(Tolerances.linear(2 * c.hiddenSize(), false, m, t)) + blockEps(c, m, t, maxPos, true)
                + eps(Tolerances.linear(c.hiddenSize(), false, m, t));
        return new Tolerance(Tolerances.calcDiffOf(e), Double.NaN, Double.NaN,
                fmt("mtp: enorm, hnorm, eh_proj (K=%d), moe block, head norm, head => eps %.3g", 2 * c.hiddenSize(), e));
    }

    private static double blockEps(ModelConfig c, PrecisionMode m, Tier t, long maxPos, boolean moe) {
        double ffn = moe ? eps(Tolerances.moe(c, m, t)) : eps(Tolerances.mlp(c.hiddenSize(), c.intermediateSize(), m, t));
        return 2 * norm(c) + eps(Tolerances.mla(c, m, t, maxPos, (int) Math.min(c.indexTopk(), Math.max(1, maxPos)))) + ffn;
    }

    private static double norm(ModelConfig c) { return Tolerances.rmsNorm(c.hiddenSize(), true).maxErrInf(); }

    private static double eps(Tolerance t) { return Tolerances.epsOfCalcDiff(t.calcDiff()); }

    private static String fmt(String f, Object... a) { return String.format(Locale.ROOT, f, a); }
}
