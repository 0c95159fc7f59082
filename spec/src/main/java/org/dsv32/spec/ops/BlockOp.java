package org.dsv32.spec.ops;

import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.LayerWeights;

/** A decoder block: h = x + Attn(RMSNorm(x)); out = h + FFN(RMSNorm(h)) (spec/SEMANTICS.md §10). */
public interface BlockOp extends Operation {
    /** @param cache MODIFIED: the T new tokens are appended. Returns the new residual stream [T][D]; x is not modified. */
    TensorF64 forward(TensorF64 x, int startPos, LayerWeights w, LayerCache cache);
}
