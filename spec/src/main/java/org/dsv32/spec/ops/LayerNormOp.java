package org.dsv32.spec.ops;

import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Weight;

/** LayerNorm per row: ((x - mean) / sqrt(var + eps)) * w + b with the biased variance. x is not modified. */
public interface LayerNormOp extends Operation {
    TensorF64 apply(TensorF64 x, Weight w, Weight b, double eps);
}
