package org.dsv32.spec.ops;

import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.weights.Weight;

/**
 * The argument checks every {@link MoeGateOp} and {@link MoeOp} implementation makes, in one place so that every
 * backend refuses the same inputs with the same message.
 */
public final class MoeChecks {
    private MoeChecks() {}

    /**
     * Refuses routing configurations the gate of spec/SEMANTICS.md §9 does not define, naming the config key:
     * scoring_func other than sigmoid, topk_method other than noaux_tc, experts that do not split into n_group
     * equal groups, topk_group outside [1, n_group], and num_experts_per_tok outside [1, the experts of the kept
     * groups] (more could not be selected, since every expert of a dropped group scores −∞).
     */
    public static void checkGateConfig(ModelConfig c) {
        if (!"sigmoid".equals(c.scoringFunc())) {
            throw new IllegalArgumentException("MoE gate: scoring_func '" + c.scoringFunc()
                    + "' is not supported; DeepSeek-V3.2 routes with 'sigmoid'");
        }
        if (!"noaux_tc".equals(c.topkMethod())) {
            throw new IllegalArgumentException("MoE gate: topk_method '" + c.topkMethod()
                    + "' is not supported; DeepSeek-V3.2 uses 'noaux_tc' (bias-corrected group-limited top-k)");
        }
        int e = c.nRoutedExperts(), g = c.nGroup();
        if (e <= 0 || g <= 0 || e % g != 0) {
            throw new IllegalArgumentException("MoE gate: n_routed_experts = " + e + " is not a positive multiple of n_group = " + g);
        }
        if (c.topkGroup() < 1 || c.topkGroup() > g) {
            throw new IllegalArgumentException("MoE gate: topk_group = " + c.topkGroup() + " must lie in [1, n_group = " + g + "]");
        }
        int reachable = c.topkGroup() * (e / g);
        if (c.numExpertsPerTok() < 1 || c.numExpertsPerTok() > reachable) {
            throw new IllegalArgumentException("MoE gate: num_experts_per_tok = " + c.numExpertsPerTok()
                    + " must lie in [1, topk_group * experts per group = " + reachable + "]");
        }
    }

    /** The router W_g must be [n_routed_experts][hidden] for inputs of {@code hidden} columns. */
    public static void checkRouter(Weight router, int experts, int hidden) {
        if (router.rows() != experts || router.cols() != hidden) {
            throw new IllegalArgumentException("MoE gate: router " + router.name() + " is " + router.rows() + "x"
                    + router.cols() + ", expected " + experts + "x" + hidden + " (n_routed_experts x hidden)");
        }
    }

    /** e_score_correction_bias, when present, must hold n_routed_experts values (in any 1 x E or E x 1 shape). */
    public static void checkCorrectionBias(Weight bias, int experts) {
        if (bias != null && (long) bias.rows() * bias.cols() != experts) {
            throw new IllegalArgumentException("MoE gate: " + bias.name() + " has " + (long) bias.rows() * bias.cols()
                    + " elements, expected n_routed_experts = " + experts);
        }
    }

    /** A replayed routing must name, per token, distinct experts in [0, experts) with one weight each. Returns it. */
    public static Routing checkForcedRouting(Routing r, int tokens, int experts) {
        if (r.experts() == null || r.weights() == null || r.experts().length != tokens || r.weights().length != tokens) {
            throw new IllegalArgumentException("MoE: forced routing must give experts and weights for each of the " + tokens + " tokens");
        }
        for (int t = 0; t < tokens; t++) {
            int[] e = r.experts()[t];
            if (e.length != r.weights()[t].length) {
                throw new IllegalArgumentException("MoE: forced routing of token " + t + " has " + e.length + " experts but "
                        + r.weights()[t].length + " weights");
            }
            boolean[] seen = new boolean[experts];
            for (int id : e) {
                if (id < 0 || id >= experts || seen[id]) {
                    throw new IllegalArgumentException("MoE: forced routing of token " + t + " names expert " + id
                            + (id >= 0 && id < experts ? " twice" : ", outside [0, " + experts + ")"));
                }
                seen[id] = true;
            }
        }
        return r;
    }
}
