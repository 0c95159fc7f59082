package org.dsv32.spec.ops;

import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Weight;

/**
 * y = x W^T for x [M][K] and W [N][K]. For an FP8 block-scaled W in fp8 mode, x first goes through act_quant and
 * y[m][n] = sum_b (sum_{k in b} qa[m][k] qw[n][k]) * sa[m][b] * sw[n/128][b] (spec/SEMANTICS.md §4); in exact
 * mode, and for dense W, the plain product with the dequantised weight. x is not modified.
 */
public interface LinearOp extends Operation {
    TensorF64 apply(TensorF64 x, Weight w);
}
