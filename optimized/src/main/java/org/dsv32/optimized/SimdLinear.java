package org.dsv32.optimized;

import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.Weight;

/**
 * y = x W^T in float32. FP8 weight, fp8 mode: x goes through {@link SimdActQuant} and the block-scaled product runs
 * on the decoded codes ({@link SimdFp8Gemm}, or {@link SimdFp8Gemv} for one row). FP8 weight, exact mode: x in
 * fp32 against the codes with their block scales (dequantised in registers). Dense weight: plain fp32 product
 * ({@link SimdDenseGemm}). The input is rounded to fp32 on entry; x is not modified.
 */
public final class SimdLinear implements LinearOp {
    private final OpContext context;

    public SimdLinear(OpContext context) { this.context = context; }

    @Override
    public TensorF64 apply(TensorF64 x, Weight w) {
        int m = x.rows(), k = x.cols();
        if (k != w.cols()) {
            throw new IllegalArgumentException(w.name() + ": x has " + k + " columns, the weight " + w.rows() + "x" + w.cols());
        }
        float[] y = new float[m * w.rows()];
        multiply(SimdTensors.toFloats(x), m, w, y);
        return SimdTensors.toTensor(y, SimdTensors.withLastDim(x, w.rows()));
    }

    /** The float32 entry: y [m][N] = x [m][K] W^T under this context's precision mode; y is overwritten. */
    public void multiply(float[] x, int m, Weight w, float[] y) {
        switch (w) {
            case Fp8BlockWeight f -> {
                float[] a = x;
                float[] scales = null;
                if (context.fp8()) {
                    if (f.blockCols() != SimdActQuant.TILE) {
                        throw new IllegalArgumentException(f.name() + ": fp8 mode needs " + SimdActQuant.TILE
                                + "-column weight blocks to match the act_quant tiles, got " + f.blockCols());
                    }
                    int k = f.cols();
                    a = new float[m * k];
                    scales = new float[m * (k / SimdActQuant.TILE)];
                    SimdActQuant.quantize(x, m, k, context.scaleFormat(), new byte[m * k], scales, a);
                }
                if (m == 1) SimdFp8Gemv.multiply(a, scales, m, f, y);
                else SimdFp8Gemm.multiply(a, scales, m, f, y);
            }
            case DenseWeight d -> SimdDenseGemm.multiply(x, m, d, y);
        }
    }
}
