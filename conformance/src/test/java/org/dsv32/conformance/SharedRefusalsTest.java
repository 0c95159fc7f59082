package org.dsv32.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.Backends;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.DenseWeight;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CPU backends refuse the same inputs with the same message, the one of the shared rule in spec
 * ({@link org.dsv32.spec.ops.LinearChecks}, {@link org.dsv32.spec.ops.MoeChecks}): a harness or user sees one
 * wording whichever backend runs.
 */
class SharedRefusalsTest {
    private static final List<Backend> CPU = List.of(Backends.byName("reference"), Backends.byName("simd"));

    private static String refusal(Backend b, java.util.function.Consumer<Backend> call) {
        return assertThrows(IllegalArgumentException.class, () -> call.accept(b), b.name()).getMessage();
    }

    @ParameterizedTest
    @ValueSource(strings = {"exact", "fp8"})
    void linearShapeMismatch(String mode) {
        OpContext ctx = new OpContext(ModelPresets.tiny(), PrecisionMode.valueOf(mode.toUpperCase(java.util.Locale.ROOT)));
        DenseWeight w = DenseWeight.ofFloats("o_proj.weight", new float[6 * 4], 6, 4);
        TensorF64 x = TensorF64.zeros(3, 5);
        for (Backend b : CPU) {
            assertEquals("linear o_proj.weight: input [3][5] does not fit the weight 6x4 (x [M][K] needs K = 4 columns)",
                    refusal(b, be -> be.require(LinearOp.class, ctx).apply(x, w)), b.name());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"softmax", "too-many-experts"})
    void moeGateConfiguration(String what) {
        ModelConfig tiny = ModelPresets.tiny();
        ModelConfig c = what.equals("softmax") ? tiny.toBuilder().scoringFunc("softmax").build() : tiny.toBuilder().numExpertsPerTok(9).build();
        String expected = what.equals("softmax")
                ? "MoE gate: scoring_func 'softmax' is not supported; DeepSeek-V3.2 routes with 'sigmoid'"
                : "MoE gate: num_experts_per_tok = 9 must lie in [1, topk_group * experts per group = 8]";
        for (Backend b : CPU) {
            assertEquals(expected, refusal(b, be -> be.require(MoeGateOp.class, new OpContext(c, PrecisionMode.EXACT))), b.name());
        }
    }
}
