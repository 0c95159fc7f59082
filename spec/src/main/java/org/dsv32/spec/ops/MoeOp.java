package org.dsv32.spec.ops;

import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MoeWeights;

/** y = sum_i w_i Expert_i(x) + Shared(x), the shared expert unscaled (spec/SEMANTICS.md §9). */
public interface MoeOp extends Operation {
    /**
     * @param forcedRouting null to route with this backend's own gate; otherwise the experts and weights to use
     *                      (decision replay)
     */
    MoeResult forward(TensorF64 x, MoeWeights w, Routing forcedRouting);
}
