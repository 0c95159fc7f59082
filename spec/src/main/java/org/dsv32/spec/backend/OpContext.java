package org.dsv32.spec.backend;

import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * What an operation instance is bound to: the model configuration (dimensions, eps, RoPE, routing)
 * and the precision mode. The activation scale format comes from the configuration's
 * {@code quantization_config.scale_fmt}.
 */
public record OpContext(ModelConfig config, PrecisionMode mode) {
    public OpContext {
        java.util.Objects.requireNonNull(config, "config");
        java.util.Objects.requireNonNull(mode, "mode");
    }

    /** Scale format of the dynamic activation quantisation (ue8m0 for V3.2). */
    public ScaleFormat scaleFormat() { return config.activationScaleFormat(); }

    /** Whether the FP8 rounding points are in place: fp8 and bf16 mode ({@link PrecisionMode#hasFp8RoundingPoints}). */
    public boolean fp8() { return mode.hasFp8RoundingPoints(); }

    /** Whether the bf16 rounding points of spec/SEMANTICS.md §5c are in place (bf16 mode). */
    public boolean bf16() { return mode.hasBf16RoundingPoints(); }

    /**
     * The context of a deployment fp32 island inside this one (the LM head, the MTP head): bf16 mode without its
     * bf16 roundings, i.e. fp8 mode; any other context is returned as it is.
     */
    public OpContext fp32Island() { return bf16() ? new OpContext(config, PrecisionMode.FP8) : this; }
}
