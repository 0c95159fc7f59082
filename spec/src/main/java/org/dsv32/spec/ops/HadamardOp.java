package org.dsv32.spec.ops;

import org.dsv32.spec.tensor.TensorF64;

/** y = n^-1/2 H_n x per row, H_n the Sylvester-order Hadamard matrix (H_1 = [1], H_2n = [[H, H], [H, -H]]), n a power of two. */
public interface HadamardOp extends Operation {
    TensorF64 apply(TensorF64 x);
}
