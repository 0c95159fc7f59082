package org.dsv32.conformance;

import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.QuantizationConfig;
import org.dsv32.spec.config.RopeScaling;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * Small but real configurations for the operation checks: every dimension that is a reduction length or a tile
 * stays a multiple of 128 where the model requires it, the kv down-projection keeps its ragged 576 rows, the
 * indexer head keeps 128 dims (one act_quant tile, a 128-point Hadamard), YaRN and the FP8 settings are the
 * published ones — only the widths and counts shrink, so a full run is quick on two cores.
 */
public final class ConformanceConfigs {
    private ConformanceConfigs() {}

    /**
     * D = 256, 4 heads of nope 64 + rope 64 (value 64), q_lora 256, kv_lora 512 (kv_a has 576 rows),
     * 16 experts in 4 groups (top-2 groups, top-4 experts) of width 128 (the K = 128 edge), dense width 384,
     * indexer 4 heads x 128 with top-8.
     */
    public static ModelConfig small() {
        return new ModelConfig(512, 256, 384, 128, 2, 1, 1, 4, 256, 512, 64, 64, 64,
                16, 4, 4, 2, 1, "sigmoid", "noaux_tc", true, 2.5, 4, 128, 8,
                10000.0, RopeScaling.deepseekV32(), 1e-6, 163840, QuantizationConfig.deepseekV32());
    }

    /** {@link #small()} with plain (not power-of-two) activation scales. */
    public static ModelConfig smallPlainScales() {
        return small().withQuantization(new QuantizationConfig("e4m3", 128, 128, ScaleFormat.PLAIN, "dynamic"));
    }
}
