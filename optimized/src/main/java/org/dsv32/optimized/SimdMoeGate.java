package org.dsv32.optimized;

import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MoeChecks;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MoeWeights;
import org.dsv32.spec.weights.Weight;

/**
 * DeepSeek-V3.2's router in float32 ({@code noaux_tc}, spec/SEMANTICS.md §9; the reference is
 * {@code ReferenceMoeGate}). Per token x:
 * <ol>
 *   <li>logits = W_g x through the backend's LinearOp bound to an EXACT context: never act_quant, in either mode;</li>
 *   <li>s = sigmoid(logits) = 1 / (1 + exp(-logit)), exp in float64 rounded to float32;</li>
 *   <li>b = s + e_score_correction_bias (fp32), for selection only;</li>
 *   <li>group score = the sum of the two largest b of the group's E / n_group consecutive experts; the topk_group
 *       best groups are kept, every expert of another group gets b = -inf (not 0);</li>
 *   <li>the num_experts_per_tok largest b are selected (partial selection, {@link SimdTopK});</li>
 *   <li>w_i = s_i / sum_selected s (when norm_topk_prob, summed in selection order) * routed_scaling_factor, once,
 *       from s WITHOUT the bias.</li>
 * </ol>
 * Ties, among groups and experts, go to the lower index; NaN ranks below everything; -0.0 equals 0.0 (as the
 * reference). The Routing holds the float32 values widened. Tokens are independent, so the routing of a token does
 * not depend on the thread count or on the other tokens. x is not modified.
 */
public final class SimdMoeGate implements MoeGateOp {
    private final SimdParts exactParts;
    private final ModelConfig config;

    public SimdMoeGate(OpContext ctx, Backend self) {
        this.exactParts = new SimdParts(self, new OpContext(ctx.config(), PrecisionMode.EXACT));
        this.config = ctx.config();
        MoeChecks.checkGateConfig(config);
    }

    @Override
    public Routing route(TensorF64 x, MoeWeights w) { return route(SimdTensors.toFloats(x), x.rows(), w); }

    /** The float entry: x [T][D] row-major, not modified. */
    Routing route(float[] x, int tokens, MoeWeights w) {
        int experts = config.nRoutedExperts(), groups = config.nGroup(), perGroup = experts / groups;
        Weight router = w.router();
        int dim = x.length / tokens;
        MoeChecks.checkRouter(router, experts, dim);
        float[] bias = correctionBias(w.correctionBias(), experts);
        float[] logits = SimdOps.linear(exactParts.get(LinearOp.class), x, tokens, router);
        int k = config.numExpertsPerTok(), keptGroups = groups == 1 ? 1 : config.topkGroup();
        float scaling = (float) config.routedScalingFactor();
        int[][] chosen = new int[tokens][], kept = new int[tokens][];
        double[][] weights = new double[tokens][], scores = new double[tokens][], selection = new double[tokens][],
                groupScores = new double[tokens][];
        for (int t = 0; t < tokens; t++) {
            float[] s = new float[experts];
            double[] b = new double[experts];
            for (int e = 0; e < experts; e++) {
                s[e] = (float) (1.0 / (1.0 + Math.exp(-(double) logits[t * experts + e])));
                b[e] = s[e] + bias[e]; // an fp32 sum, held in a double
            }
            double[] g = new double[groups];
            double[] part = new double[perGroup];
            for (int gi = 0; gi < groups; gi++) {
                System.arraycopy(b, gi * perGroup, part, 0, perGroup);
                float sum = 0f;
                for (int i : SimdTopK.select(part, perGroup, 2, SimdTopK.Order.NAN_LAST)) sum += (float) part[i];
                g[gi] = sum;
            }
            kept[t] = groups == 1 ? new int[] {0} : SimdTopK.select(g, groups, keptGroups, SimdTopK.Order.NAN_LAST);
            boolean[] keep = new boolean[groups];
            for (int gi : kept[t]) keep[gi] = true;
            for (int e = 0; e < experts; e++) if (!keep[e / perGroup]) b[e] = Double.NEGATIVE_INFINITY;
            chosen[t] = SimdTopK.select(b, experts, k, SimdTopK.Order.NAN_LAST);
            weights[t] = routingWeights(s, chosen[t], scaling);
            double[] sd = new double[experts];
            for (int e = 0; e < experts; e++) sd[e] = s[e];
            scores[t] = sd;
            selection[t] = b;
            groupScores[t] = g;
        }
        return new Routing(chosen, weights, scores, selection, groupScores, kept);
    }

    /** s of the selected experts, divided by their sum (selection order) when norm_topk_prob, times the scaling factor. */
    private double[] routingWeights(float[] s, int[] selected, float scaling) {
        float sum = 0f;
        for (int e : selected) sum += s[e];
        double[] out = new double[selected.length];
        for (int i = 0; i < out.length; i++) {
            float v = s[selected[i]];
            if (config.normTopkProb()) v /= sum;
            out[i] = v * scaling;
        }
        return out;
    }

    private static float[] correctionBias(Weight bias, int experts) {
        MoeChecks.checkCorrectionBias(bias, experts);
        if (bias == null) return new float[experts];
        return SimdWeightCache.vector(bias, experts);
    }
}
