package org.dsv32.spec.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.io.DType;
import org.junit.jupiter.api.Test;

/** The layout against spec/SEMANTICS.md §11, with names written out literally as Hugging Face spells them. */
class CheckpointLayoutTest {
    private static final ModelConfig V32 = ModelPresets.deepseekV32();
    private static final ModelConfig TINY = ModelPresets.tiny();

    private static final Map<ModelConfig, Map<String, TensorSpec>> LAYOUTS = Map.of(
            V32, CheckpointLayout.byName(V32), TINY, CheckpointLayout.byName(TINY));

    private static void expect(ModelConfig c, String name, DType dtype, Role role, long... shape) {
        TensorSpec t = CheckpointLayout.find(LAYOUTS.get(c), name);
        assertEquals(dtype, t.dtype(), name);
        assertEquals(role, t.role(), name);
        assertArrayEquals(shape, t.shape(), name);
    }

    private static void expectFp8(ModelConfig c, String name, Role role, long rows, long cols) {
        expect(c, name, DType.F8_E4M3, role, rows, cols);
        expect(c, name + "_scale_inv", DType.F32, role, (rows + 127) / 128, (cols + 127) / 128);
    }

    @Test
    void the671bTensorsHaveThePublishedNamesShapesAndDtypes() {
        expect(V32, "model.embed_tokens.weight", DType.BF16, Role.EMBEDDING, 129280, 7168);
        expect(V32, "model.norm.weight", DType.BF16, Role.NORM, 7168);
        expect(V32, "lm_head.weight", DType.BF16, Role.HEAD, 129280, 7168);
        expect(V32, "model.layers.0.input_layernorm.weight", DType.BF16, Role.NORM, 7168);
        expect(V32, "model.layers.0.post_attention_layernorm.weight", DType.BF16, Role.NORM, 7168);
        expectFp8(V32, "model.layers.0.self_attn.q_a_proj.weight", Role.ATTENTION, 1536, 7168);
        expect(V32, "model.layers.0.self_attn.q_a_layernorm.weight", DType.BF16, Role.NORM, 1536);
        expectFp8(V32, "model.layers.0.self_attn.q_b_proj.weight", Role.ATTENTION, 128 * 192, 1536);
        expectFp8(V32, "model.layers.0.self_attn.kv_a_proj_with_mqa.weight", Role.ATTENTION, 576, 7168);
        expect(V32, "model.layers.0.self_attn.kv_a_proj_with_mqa.weight_scale_inv", DType.F32, Role.ATTENTION, 5, 56);
        expect(V32, "model.layers.0.self_attn.kv_a_layernorm.weight", DType.BF16, Role.NORM, 512);
        expectFp8(V32, "model.layers.0.self_attn.kv_b_proj.weight", Role.ATTENTION, 128 * 256, 512);
        expectFp8(V32, "model.layers.0.self_attn.o_proj.weight", Role.ATTENTION, 7168, 128 * 128);
        expectFp8(V32, "model.layers.0.self_attn.indexer.wq_b.weight", Role.INDEXER, 64 * 128, 1536);
        expectFp8(V32, "model.layers.0.self_attn.indexer.wk.weight", Role.INDEXER, 128, 7168);
        expect(V32, "model.layers.0.self_attn.indexer.k_norm.weight", DType.BF16, Role.NORM, 128);
        expect(V32, "model.layers.0.self_attn.indexer.k_norm.bias", DType.BF16, Role.NORM, 128);
        expect(V32, "model.layers.0.self_attn.indexer.weights_proj.weight", DType.BF16, Role.INDEXER, 64, 7168);
        expectFp8(V32, "model.layers.2.mlp.gate_proj.weight", Role.DENSE_FFN, 18432, 7168);
        expectFp8(V32, "model.layers.2.mlp.up_proj.weight", Role.DENSE_FFN, 18432, 7168);
        expectFp8(V32, "model.layers.2.mlp.down_proj.weight", Role.DENSE_FFN, 7168, 18432);
        expect(V32, "model.layers.3.mlp.gate.weight", DType.BF16, Role.GATE, 256, 7168);
        expect(V32, "model.layers.3.mlp.gate.e_score_correction_bias", DType.F32, Role.GATE, 256);
        expectFp8(V32, "model.layers.3.mlp.experts.0.gate_proj.weight", Role.ROUTED_EXPERT, 2048, 7168);
        expectFp8(V32, "model.layers.60.mlp.experts.255.down_proj.weight", Role.ROUTED_EXPERT, 7168, 2048);
        expectFp8(V32, "model.layers.60.mlp.shared_experts.up_proj.weight", Role.SHARED_EXPERT, 2048, 7168);
        // the MTP layer, stored as layer 61
        expect(V32, "model.layers.61.embed_tokens.weight", DType.BF16, Role.EMBEDDING, 129280, 7168);
        expect(V32, "model.layers.61.enorm.weight", DType.BF16, Role.NORM, 7168);
        expect(V32, "model.layers.61.hnorm.weight", DType.BF16, Role.NORM, 7168);
        expect(V32, "model.layers.61.eh_proj.weight", DType.BF16, Role.MTP_PROJECTION, 7168, 2 * 7168);
        expect(V32, "model.layers.61.shared_head.norm.weight", DType.BF16, Role.NORM, 7168);
        expect(V32, "model.layers.61.shared_head.head.weight", DType.BF16, Role.HEAD, 129280, 7168);
        expectFp8(V32, "model.layers.61.self_attn.kv_b_proj.weight", Role.ATTENTION, 128 * 256, 512);
        expectFp8(V32, "model.layers.61.mlp.experts.17.up_proj.weight", Role.ROUTED_EXPERT, 2048, 7168);
    }

    @Test
    void denseLayersHaveNoRouterAndMoeLayersNoDenseFfn() {
        Map<String, TensorSpec> v32 = LAYOUTS.get(V32);
        assertThrows(IllegalArgumentException.class, () -> CheckpointLayout.find(v32, "model.layers.2.mlp.gate.weight"));
        assertThrows(IllegalArgumentException.class, () -> CheckpointLayout.find(v32, "model.layers.3.mlp.gate_proj.weight"));
        assertThrows(IllegalArgumentException.class, () -> CheckpointLayout.find(TINY, "model.layers.4.enorm.weight"));
    }

    @Test
    void tensorCountsFollowTheStructure() {
        // per block: 4 norms, 5 FP8 attention projections + scales, indexer 2 FP8 + scales, k_norm weight and bias,
        // weights_proj; a dense FFN is 3 FP8 + scales; an MoE FFN is gate, bias, (experts + 1 shared) x 3 FP8 + scales
        int attn = 4 + 5 * 2 + 2 * 2 + 3;
        int dense = attn + 3 * 2, moe = attn + 2 + (TINY.nRoutedExperts() + 1) * 6;
        int main = 1 + dense + 2 * moe + 2;
        int mtp = 4 + moe + 2;
        assertEquals(main, CheckpointLayout.mainTensors(TINY).size());
        assertEquals(mtp, CheckpointLayout.mtpTensors(TINY).size());
        assertEquals(main + mtp, CheckpointLayout.tensors(TINY).size());
        int v32Moe = attn + 2 + 257 * 6;
        assertEquals(1 + 3 * (attn + 6) + 58 * v32Moe + 2 + 4 + v32Moe + 2, CheckpointLayout.tensors(V32).size());
    }

    @Test
    void namesAreUniqueAndEveryFp8WeightIsFollowedByItsScale() {
        for (ModelConfig c : List.of(TINY, V32)) {
            List<TensorSpec> all = CheckpointLayout.tensors(c);
            Set<String> names = new HashSet<>();
            for (int i = 0; i < all.size(); i++) {
                TensorSpec t = all.get(i);
                assertTrue(names.add(t.name()), "duplicate " + t.name());
                if (t.isFp8()) {
                    TensorSpec s = all.get(i + 1);
                    assertEquals(t.name() + "_scale_inv", s.name());
                    assertTrue(s.isScale());
                    assertArrayEquals(new long[] {(t.dim(0) + 127) / 128, (t.dim(1) + 127) / 128}, s.shape(), s.name());
                }
                if (t.isScale()) assertTrue(all.get(i - 1).isFp8(), t.name() + " follows its weight");
            }
            assertEquals(CheckpointLayout.EMBED_TOKENS, all.get(0).name());
            assertTrue(all.get(all.size() - 1).name().startsWith("model.layers." + c.numHiddenLayers() + "."), "MTP last");
        }
    }

    @Test
    void theTinyKvDownProjectionHasARaggedBlock() {
        TensorSpec kvA = CheckpointLayout.find(TINY, "model.layers.0.self_attn.kv_a_proj_with_mqa.weight");
        assertArrayEquals(new long[] {192, 256}, kvA.shape());
        assertArrayEquals(new long[] {2, 2}, CheckpointLayout.find(TINY, CheckpointLayout.scaleOf(kvA.name())).shape());
    }

    @Test
    void withoutQuantizationEveryLinearIsBf16() {
        List<TensorSpec> all = CheckpointLayout.tensors(TINY.withQuantization(null));
        assertFalse(all.stream().anyMatch(t -> t.isFp8() || t.isScale()));
        assertEquals(CheckpointLayout.tensors(TINY).stream().filter(t -> !t.isScale()).map(TensorSpec::name).toList(),
                all.stream().map(TensorSpec::name).toList());
    }

    @Test
    void nameHelpers() {
        assertEquals("model.layers.7.", CheckpointLayout.layerPrefix(7));
        assertEquals("model.layers.7.self_attn.o_proj.weight", CheckpointLayout.name(7, CheckpointLayout.O_PROJ));
        assertEquals("model.layers.3.mlp.experts.12.", CheckpointLayout.expertPrefix(3, 12));
        assertEquals("x.weight_scale_inv", CheckpointLayout.scaleOf("x.weight"));
        assertThrows(IllegalArgumentException.class, () -> CheckpointLayout.scaleOf("x.bias"));
    }
}
