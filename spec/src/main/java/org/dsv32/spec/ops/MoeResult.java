package org.dsv32.spec.ops;

import org.dsv32.spec.tensor.TensorF64;

/** MoE output [T][D] and the routing it used. */
public record MoeResult(TensorF64 output, Routing routing) {}
