package org.dsv32.spec.config;

import org.dsv32.spec.weights.ScaleFormat;

/** {@code quantization_config}: {@code fmt} (e4m3), {@code weight_block_size} ([128, 128]), {@code scale_fmt}, {@code activation_scheme}. */
public record QuantizationConfig(String fmt, int blockRows, int blockCols, ScaleFormat scaleFormat, String activationScheme) {
    public static QuantizationConfig deepseekV32() { return new QuantizationConfig("e4m3", 128, 128, ScaleFormat.UE8M0, "dynamic"); }
}
