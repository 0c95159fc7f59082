package org.dsv32.spec.ops;

import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * Dynamic activation quantisation (spec/SEMANTICS.md §3). Per 128-column tile of each row:
 * amax = max(max|x|, 1e-4); s = fp32(amax * fp32(1/448)); with ue8m0, s rounded up to a power of two;
 * q = e4m3(x / s), nearest-even, saturating.
 */
public interface ActQuantOp extends Operation {
    /** Quantises x [rows][cols] (cols a multiple of 128); x is not modified. */
    QuantizedActivation quantize(TensorF64 x, ScaleFormat format);
}
