package org.dsv32.spec.weights;

import java.util.List;

/**
 * An MoE layer: router {@code gate.weight} [experts][D] (bf16), {@code e_score_correction_bias} [experts] (fp32),
 * the routed experts and the (summed) shared experts.
 */
public record MoeWeights(Weight router, Weight correctionBias, List<MlpWeights> experts, MlpWeights shared) {
    public int expertCount() { return experts.size(); }
}
