package org.dsv32.spec.ops;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.weights.DenseWeight;
import org.junit.jupiter.api.Test;

/** The MoE gate's configuration and weight checks every backend shares: what is refused, with which message. */
class MoeChecksTest {
    private static ModelConfig routing(int experts, int groups, int kept, int topk) {
        return ModelPresets.tiny().toBuilder().nRoutedExperts(experts).nGroup(groups).topkGroup(kept).numExpertsPerTok(topk).build();
    }

    private static String refusal(ModelConfig c) {
        return assertThrows(IllegalArgumentException.class, () -> MoeChecks.checkGateConfig(c)).getMessage();
    }

    @Test
    void refusesWhatTheV32GateDoesNotDefine() {
        ModelConfig tiny = ModelPresets.tiny();
        assertDoesNotThrow(() -> MoeChecks.checkGateConfig(tiny));
        assertEquals("MoE gate: scoring_func 'softmax' is not supported; DeepSeek-V3.2 routes with 'sigmoid'",
                refusal(tiny.toBuilder().scoringFunc("softmax").build()));
        assertEquals("MoE gate: topk_method 'greedy' is not supported; DeepSeek-V3.2 uses 'noaux_tc' (bias-corrected group-limited top-k)",
                refusal(tiny.toBuilder().topkMethod("greedy").build()));
        assertEquals("MoE gate: n_routed_experts = 15 is not a positive multiple of n_group = 4", refusal(routing(15, 4, 2, 4)));
        assertEquals("MoE gate: n_routed_experts = 16 is not a positive multiple of n_group = 0", refusal(routing(16, 0, 1, 4)));
        assertEquals("MoE gate: topk_group = 5 must lie in [1, n_group = 4]", refusal(routing(16, 4, 5, 4)));
        assertEquals("MoE gate: topk_group = 0 must lie in [1, n_group = 4]", refusal(routing(16, 4, 0, 4)));
        assertEquals("MoE gate: num_experts_per_tok = 9 must lie in [1, topk_group * experts per group = 8]", refusal(routing(16, 4, 2, 9)));
        assertEquals("MoE gate: num_experts_per_tok = 0 must lie in [1, topk_group * experts per group = 8]", refusal(routing(16, 4, 2, 0)));
    }

    /** Accepted exactly when the experts split into equal groups and the top-k fits in the kept groups. */
    @Property(tries = 300, seed = "18")
    void acceptsExactlyTheDefinedShapes(@ForAll @IntRange(min = -1, max = 40) int experts, @ForAll @IntRange(min = -1, max = 9) int groups,
                                        @ForAll @IntRange(min = -1, max = 9) int kept, @ForAll @IntRange(min = -1, max = 40) int topk) {
        ModelConfig c = routing(experts, groups, kept, topk);
        boolean defined = experts > 0 && groups > 0 && experts % groups == 0 && kept >= 1 && kept <= groups
                && topk >= 1 && topk <= kept * (experts / groups);
        if (defined) assertDoesNotThrow(() -> MoeChecks.checkGateConfig(c));
        else assertThrows(IllegalArgumentException.class, () -> MoeChecks.checkGateConfig(c));
    }

    @Test
    void routerAndBiasShapes() {
        DenseWeight router = DenseWeight.ofFloats("mlp.gate.weight", new float[8 * 4], 8, 4);
        assertDoesNotThrow(() -> MoeChecks.checkRouter(router, 8, 4));
        assertEquals("MoE gate: router mlp.gate.weight is 8x4, expected 8x5 (n_routed_experts x hidden)",
                assertThrows(IllegalArgumentException.class, () -> MoeChecks.checkRouter(router, 8, 5)).getMessage());
        assertEquals("MoE gate: router mlp.gate.weight is 8x4, expected 16x4 (n_routed_experts x hidden)",
                assertThrows(IllegalArgumentException.class, () -> MoeChecks.checkRouter(router, 16, 4)).getMessage());
        DenseWeight bias = DenseWeight.ofFloats("mlp.gate.e_score_correction_bias", new float[8], 1, 8);
        assertDoesNotThrow(() -> MoeChecks.checkCorrectionBias(bias, 8));
        assertDoesNotThrow(() -> MoeChecks.checkCorrectionBias(null, 8));
        assertEquals("MoE gate: mlp.gate.e_score_correction_bias has 8 elements, expected n_routed_experts = 16",
                assertThrows(IllegalArgumentException.class, () -> MoeChecks.checkCorrectionBias(bias, 16)).getMessage());
    }
}
