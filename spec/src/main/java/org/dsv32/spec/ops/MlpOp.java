package org.dsv32.spec.ops;

import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MlpWeights;

/** SwiGLU: down(silu(gate x) * up x), each projection a {@link LinearOp}. x is not modified. */
public interface MlpOp extends Operation {
    TensorF64 forward(TensorF64 x, MlpWeights w);
}
