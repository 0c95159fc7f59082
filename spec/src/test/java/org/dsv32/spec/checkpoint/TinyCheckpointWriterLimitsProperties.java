package org.dsv32.spec.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Locale;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.spec.config.ConfigException;
import org.dsv32.spec.config.ConfigLimits;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.QuantizationConfig;
import org.dsv32.spec.config.RopeScaling;
import org.junit.jupiter.api.Test;

/**
 * The generator sizes a configuration before allocating: any config within the key limits is either accepted
 * (and then fits the 2 GB cap and the heap) or refused naming a key and the bytes — after building a few specs
 * per layer, whatever the expert count.
 */
class TinyCheckpointWriterLimitsProperties {
    static ModelConfig config(int vocab, int hidden, int moeInter, int layers, int experts) {
        return new ModelConfig(vocab, hidden, 32, moeInter, layers, 1, 1, 2, 16, 16, 8, 8, 8,
                experts, 8, 8, 4, 1, "sigmoid", "noaux_tc", true, 2.5, 2, 8, 4,
                10000.0, RopeScaling.deepseekV32(), 1e-6, 4096, QuantizationConfig.deepseekV32());
    }

    @Property(tries = 300, seed = "7")
    void acceptedOnlyWhenItFitsRefusedNamingKeyAndBytes(@ForAll @IntRange(min = 1, max = 2_068_480) int vocab,
                                                        @ForAll @IntRange(min = 1, max = 114_688) int hidden,
                                                        @ForAll @IntRange(min = 1, max = 32_768) int moeInter,
                                                        @ForAll @IntRange(min = 1, max = 976) int layers,
                                                        @ForAll @IntRange(min = 1, max = 512) int expertsPerGroup) {
        ModelConfig c = config(vocab, hidden, moeInter, layers, 8 * expertsPerGroup);
        long before = CheckpointLayout.specsBuiltOnThisThread();
        CheckpointLayout.Totals t;
        try {
            TinyCheckpointWriter.requireFeasible(c, "p.json");
            t = CheckpointLayout.totals(c);
            assertTrue(t.bytes() <= TinyCheckpointWriter.MAX_BYTES, "accepted " + t.bytes() + " bytes");
            assertTrue(TinyCheckpointWriter.heapBytes(t) <= ConfigLimits.heapLimit());
        } catch (ConfigException e) {
            t = CheckpointLayout.totals(c);
            assertEquals(CheckpointLayout.sizeKey(t.largestRole()), e.key(), e.getMessage());
            boolean tooBig = t.bytes() > TinyCheckpointWriter.MAX_BYTES;
            String bytes = String.format(Locale.ROOT, "%,d bytes", tooBig ? t.bytes() : TinyCheckpointWriter.heapBytes(t));
            assertTrue(e.getMessage().startsWith("p.json: " + e.key() + ": ") && e.getMessage().contains(bytes), e.getMessage());
        }
        assertTrue(CheckpointLayout.specsBuiltOnThisThread() - before < 200L * layers, "sized, not listed");
    }

    /** Within the 2 GB cap but 24 million tiny tensors: the per-tensor heap is what refuses it (on a heap under 24 GiB). */
    @Test
    void manySmallTensorsAreRefusedForTheHeapTheyWouldTake() {
        ModelConfig c = config(64, 16, 8, 976, 4096);
        CheckpointLayout.Totals t = CheckpointLayout.totals(c);
        assumeTrue(TinyCheckpointWriter.heapBytes(t) > ConfigLimits.heapLimit(), "a heap above " + TinyCheckpointWriter.heapBytes(t));
        assertTrue(t.bytes() < TinyCheckpointWriter.MAX_BYTES);
        ConfigException e = assertThrows(ConfigException.class, () -> TinyCheckpointWriter.requireFeasible(c, "many.json"));
        assertTrue(e.getMessage().startsWith("many.json: n_routed_experts: 4096: generating this 24,") && e.getMessage().contains("of heap"),
                e.getMessage());
    }
}
