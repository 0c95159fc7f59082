package org.dsv32.spec.ops;

import org.dsv32.spec.tensor.TensorF64;

/**
 * Rotary embedding with the configuration's YaRN frequencies f_i: each pair (a, b) of a row at position p becomes
 * (a cos θ - b sin θ, a sin θ + b cos θ) with θ = p f_i; the pairs are chosen by the layout.
 */
public interface RopeOp extends Operation {
    /** Rotates each row of x [R][d] (d = qk_rope_head_dim) at {@code positions[r]}; returns a new tensor. */
    TensorF64 apply(TensorF64 x, int[] positions, RopeLayout layout);
}
