package org.dsv32.reference;

import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.MoeChecks;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MoeWeights;
import org.dsv32.spec.weights.Weight;

/**
 * The float64 reference of DeepSeek-V3.2's router ({@code topk_method = "noaux_tc"}, spec/SEMANTICS.md §9). Per
 * token x:
 *
 * <ol>
 *   <li>logits = W_g x, W_g [E][D], in float64 on x as given: the router never goes through act_quant, in either
 *       precision mode (deployment runs it in fp32);</li>
 *   <li>s = sigmoid(logits);</li>
 *   <li>b = s + e_score_correction_bias, used for selection only;</li>
 *   <li>the E experts form n_group groups of E / n_group consecutive experts; a group's score is the sum of its two
 *       largest b; the topk_group best groups are kept and every expert of another group gets b = −∞;</li>
 *   <li>the num_experts_per_tok experts of largest b are selected;</li>
 *   <li>w_i = s_i / Σ_selected s (when norm_topk_prob) × routed_scaling_factor, from s without the bias.</li>
 * </ol>
 *
 * Ties, among groups and among experts, go to the lower index; a NaN ranks below everything. Each step is one
 * protected method, so that a mutant can replace exactly one of them. Stateless; x is not modified.
 */
public class ReferenceMoeGate implements MoeGateOp {
    protected final OpContext context;
    protected final ModelConfig config;

    public ReferenceMoeGate(OpContext context, Backend self) {
        this.context = context;
        this.config = context.config();
        MoeChecks.checkGateConfig(config);
    }

    @Override
    public Routing route(TensorF64 x, MoeWeights w) {
        int experts = config.nRoutedExperts(), groups = config.nGroup(), perGroup = experts / groups;
        Weight router = w.router();
        MoeChecks.checkRouter(router, experts, x.cols());
        double[] bias = correctionBias(w.correctionBias(), experts);
        int tokens = x.rows(), k = config.numExpertsPerTok();
        int[][] chosen = new int[tokens][];
        double[][] weights = new double[tokens][], scores = new double[tokens][], selection = new double[tokens][];
        double[][] groupScores = new double[tokens][groups];
        int[][] kept = new int[tokens][];
        for (int t = 0; t < tokens; t++) {
            double[] s = scoringFunction(routerLogits(x.rowArray(t), router));
            double[] b = selectionScores(s, bias);
            for (int g = 0; g < groups; g++) {
                groupScores[t][g] = groupScore(java.util.Arrays.copyOfRange(b, g * perGroup, (g + 1) * perGroup));
            }
            kept[t] = groups == 1 ? new int[] {0} : topIndices(groupScores[t], config.topkGroup());
            boolean[] keep = new boolean[groups];
            for (int g : kept[t]) keep[g] = true;
            for (int e = 0; e < experts; e++) if (!keep[e / perGroup]) b[e] = droppedGroupFill();
            chosen[t] = topIndices(b, k);
            weights[t] = routingWeights(s, b, chosen[t]);
            scores[t] = s;
            selection[t] = b;
        }
        return new Routing(chosen, weights, scores, selection, groupScores, kept);
    }

    /** The bias vector [E], zeros when the checkpoint has none. */
    private static double[] correctionBias(Weight bias, int experts) {
        MoeChecks.checkCorrectionBias(bias, experts);
        if (bias == null) return new double[experts];
        return bias.toDoubleArray();
    }

    /** logits[e] = Σ_d W_g[e][d] x[d] in float64, d ascending; no activation quantisation. */
    protected double[] routerLogits(double[] x, Weight router) {
        double[] logits = new double[router.rows()];
        for (int e = 0; e < logits.length; e++) {
            double acc = 0;
            for (int d = 0; d < x.length; d++) acc += router.get(e, d) * x[d];
            logits[e] = acc;
        }
        return logits;
    }

    /** The scoring function, applied elementwise: s = sigmoid(logit) = 1 / (1 + e^−logit). */
    protected double[] scoringFunction(double[] logits) {
        double[] s = new double[logits.length];
        for (int e = 0; e < s.length; e++) s[e] = 1.0 / (1.0 + Math.exp(-logits[e]));
        return s;
    }

    /** Where the bias enters: b = s + bias (a new array; s is not modified). */
    protected double[] selectionScores(double[] s, double[] bias) {
        double[] b = new double[s.length];
        for (int e = 0; e < b.length; e++) b[e] = s[e] + bias[e];
        return b;
    }

    /** A group's score: the sum of its two largest selection scores (its only one, for one-expert groups). */
    protected double groupScore(double[] groupSelectionScores) {
        int[] top = topIndices(groupSelectionScores, Math.min(2, groupSelectionScores.length));
        double sum = 0;
        for (int i : top) sum += groupSelectionScores[i];
        return sum;
    }

    /** The selection score given to every expert of a dropped group: −∞, so that no such expert can win. */
    protected double droppedGroupFill() { return Double.NEGATIVE_INFINITY; }

    /** The weights of the selected experts, aligned with {@code selected}: basis, then normalisation, then scale. */
    protected double[] routingWeights(double[] s, double[] b, int[] selected) {
        double[] raw = new double[selected.length];
        for (int i = 0; i < raw.length; i++) raw[i] = weightBasis(s[selected[i]], b[selected[i]]);
        return scaleWeights(normaliseWeights(raw));
    }

    /** What a weight is made of: the sigmoid score s, never the bias-corrected b. */
    protected double weightBasis(double s, double b) { return s; }

    /** Divides by the sum (in selection order) when norm_topk_prob; otherwise returns the values unchanged. */
    protected double[] normaliseWeights(double[] raw) {
        if (!config.normTopkProb()) return raw.clone();
        double sum = 0;
        for (double v : raw) sum += v;
        double[] out = new double[raw.length];
        for (int i = 0; i < out.length; i++) out[i] = raw[i] / sum;
        return out;
    }

    /** Multiplies by routed_scaling_factor, once. */
    protected double[] scaleWeights(double[] normalised) {
        double[] out = new double[normalised.length];
        for (int i = 0; i < out.length; i++) out[i] = normalised[i] * config.routedScalingFactor();
        return out;
    }

    /**
     * The indices of the {@code k} largest values, largest first; ties go to the lower index, −0.0 equals 0.0 and
     * NaN ranks below −∞.
     */
    protected int[] topIndices(double[] values, int k) {
        return java.util.stream.IntStream.range(0, values.length).boxed()
                .sorted((a, c) -> {
                    int byValue = compareDescending(values[a], values[c]);
                    return byValue != 0 ? byValue : Integer.compare(a, c);
                })
                .limit(k).mapToInt(Integer::intValue).toArray();
    }

    private static int compareDescending(double u, double v) {
        boolean un = Double.isNaN(u), vn = Double.isNaN(v);
        if (un || vn) return un == vn ? 0 : (un ? 1 : -1);
        return u > v ? -1 : (u < v ? 1 : 0);
    }
}
