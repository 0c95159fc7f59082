package org.dsv32.spec.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dsv32.spec.checkpoint.CheckpointLayout;
import org.dsv32.spec.checkpoint.TensorSpec;
import org.dsv32.spec.weights.ScaleFormat;
import org.junit.jupiter.api.Test;

class ModelPresetsTest {
    private final ModelConfig tiny = ModelPresets.tiny();

    @Test
    void tinyHasTheAgreedShape() {
        assertEquals(512, tiny.vocabSize());
        assertEquals(256, tiny.hiddenSize());
        assertEquals(3, tiny.numHiddenLayers());
        assertEquals(1, tiny.numNextnPredictLayers());
        assertTrue(!tiny.isMoeLayer(0) && tiny.isMoeLayer(1) && tiny.isMoeLayer(2) && tiny.isMoeLayer(3), "layer 0 dense, 1-2 and MTP MoE");
        assertEquals(192, tiny.kvCacheWidth(), "128 + 64: a ragged 128-row block in kv_a_proj");
        assertTrue(tiny.kvCacheWidth() % 128 != 0);
        assertEquals(4, tiny.expertsPerGroup());
        assertEquals(4 * 2, tiny.topkGroup() * tiny.expertsPerGroup(), "8 experts in the kept groups, top-4 among them");
        assertTrue(tiny.indexTopk() < 16, "top-k below the sequence lengths tests use, so the indexer matters");
        assertEquals(RopeScaling.deepseekV32(), tiny.ropeScaling());
        assertEquals(ScaleFormat.UE8M0, tiny.quantization().scaleFormat());
        assertEquals(ModelConfig.deepseekV32(), ModelPresets.deepseekV32());
        assertEquals(tiny, ModelPresets.byName("tiny"));
        assertEquals(ModelConfig.deepseekV32(), ModelPresets.byName("671B"));
        assertThrows(IllegalArgumentException.class, () -> ModelPresets.byName("nope"));
    }

    @Test
    void everyFp8LinearHasAnInputDimensionThatIsAMultipleOf128() {
        for (ModelConfig c : List.of(tiny, ModelPresets.deepseekV32())) {
            int fp8 = 0;
            for (TensorSpec t : CheckpointLayout.tensors(c)) {
                if (!t.isFp8()) continue;
                fp8++;
                assertEquals(0, t.dim(1) % 128, t.name() + " has K = " + t.dim(1) + ": act_quant tiles K by 128");
            }
            assertTrue(fp8 > 0);
        }
    }
}
