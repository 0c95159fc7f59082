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

    public boolean fp8() { return mode == PrecisionMode.FP8; }
}
