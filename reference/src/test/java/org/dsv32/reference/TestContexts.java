package org.dsv32.reference;

import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.QuantizationConfig;
import org.dsv32.spec.ops.Operation;
import org.dsv32.spec.weights.ScaleFormat;

/** Operation contexts and operations of the reference backend for the primitive-operation tests. */
final class TestContexts {
    private TestContexts() {}

    static final Backend REFERENCE = new ReferenceBackend();

    /** The published V3.2 configuration with the given activation scale format. */
    static ModelConfig config(ScaleFormat format) {
        return ModelConfig.deepseekV32().withQuantization(new QuantizationConfig("e4m3", 128, 128, format, "dynamic"));
    }

    static OpContext context(PrecisionMode mode, ScaleFormat format) { return new OpContext(config(format), mode); }

    /** fp8 mode, ue8m0 activation scales (as deployed). */
    static OpContext fp8() { return context(PrecisionMode.FP8, ScaleFormat.UE8M0); }

    static OpContext exact() { return context(PrecisionMode.EXACT, ScaleFormat.UE8M0); }

    /** The reference backend's operation of {@code type} in {@code ctx}. */
    static <T extends Operation> T op(Class<T> type, OpContext ctx) { return REFERENCE.require(type, ctx); }
}
