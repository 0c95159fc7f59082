package org.dsv32.spec.ops;

import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MoeWeights;

/** The bias-corrected sigmoid router with group limit (spec/SEMANTICS.md §9). Runs in fp32 (float64 in the reference). */
public interface MoeGateOp extends Operation {
    /** Routes each row of x [T][D]; x is not modified. */
    Routing route(TensorF64 x, MoeWeights w);
}
