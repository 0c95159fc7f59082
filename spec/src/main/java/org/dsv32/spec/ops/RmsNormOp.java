package org.dsv32.spec.ops;

import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Weight;

/** RMSNorm per row: y = w * x / sqrt(mean(x^2) + eps). */
public interface RmsNormOp extends Operation {
    /** Normalises each row of x; x is not modified. */
    TensorF64 apply(TensorF64 x, Weight w, double eps);

    /**
     * The fused residual form used in the blocks: {@code residual <- residual + x} (residual is MODIFIED),
     * then returns RMSNorm(residual).
     */
    TensorF64 applyWithResidual(TensorF64 x, TensorF64 residual, Weight w, double eps);
}
