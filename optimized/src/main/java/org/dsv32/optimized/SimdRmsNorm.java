package org.dsv32.optimized;

import org.dsv32.spec.format.Bf16Rounding;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Weight;

/**
 * RMSNorm in float32: per row r = 1 / sqrt(sum(x^2) / n + eps) (sum by lane-parallel FMA, fp32 sqrt correctly
 * rounded), y = (x * r) * w. Inputs, weight and eps are rounded to fp32 on entry.
 */
public final class SimdRmsNorm implements RmsNormOp {
    /** bf16 mode (spec/SEMANTICS.md §5c): outputs and the stored residual rounded to bf16. */
    private final boolean bf16;

    public SimdRmsNorm() { this(false); }

    public SimdRmsNorm(boolean bf16) { this.bf16 = bf16; }

    /** In bf16 mode, y rounded to bf16 in place (the deployment stores the norm's fp32 result as bf16). */
    void store(float[] y) { if (bf16) Bf16Rounding.roundInPlace(y); }
    @Override
    public TensorF64 apply(TensorF64 x, Weight w, double eps) {
        int rows = x.rows(), cols = x.cols();
        float[] y = new float[rows * cols];
        normalize(SimdTensors.toFloats(x), rows, cols, SimdTensors.vector(w, cols), (float) eps, y);
        store(y);
        return SimdTensors.toTensor(y, x.shape());
    }

    /**
     * {@code residual <- residual + x} in fp32 (residual MODIFIED: it holds the fp32 sum afterwards, the residual
     * stream of this backend being fp32), then returns RMSNorm(residual).
     */
    @Override
    public TensorF64 applyWithResidual(TensorF64 x, TensorF64 residual, Weight w, double eps) {
        if (x.size() != residual.size()) {
            throw new IllegalArgumentException("residual " + residual + " does not match x " + x);
        }
        int rows = x.rows(), cols = x.cols();
        float[] res = SimdTensors.toFloats(residual);
        float[] y = new float[rows * cols];
        normalizeWithResidual(SimdTensors.toFloats(x), res, rows, cols, SimdTensors.vector(w, cols), (float) eps, y);
        store(y);
        store(res); // the norm read the fp32 sum; the stream keeps it as bf16
        SimdTensors.copyInto(res, residual);
        return SimdTensors.toTensor(y, x.shape());
    }

    /** y [rows][cols] = RMSNorm of each row of x; x is not modified. */
    public static void normalize(float[] x, int rows, int cols, float[] w, float eps, float[] y) {
        SimdRowKernels k = SimdRowKernels.current();
        for (int r = 0, off = 0; r < rows; r++, off += cols) {
            k.scaleMul(x, off, inverseRms(k.sumSquares(x, off, cols), cols, eps), w, y, off, cols);
        }
    }

    /** residual += x (MODIFIED), then y = RMSNorm(residual) row by row. */
    public static void normalizeWithResidual(float[] x, float[] residual, int rows, int cols, float[] w, float eps, float[] y) {
        SimdRowKernels k = SimdRowKernels.current();
        for (int r = 0, off = 0; r < rows; r++, off += cols) {
            k.addInPlace(residual, off, x, off, cols);
            k.scaleMul(residual, off, inverseRms(k.sumSquares(residual, off, cols), cols, eps), w, y, off, cols);
        }
    }

    static float inverseRms(float sumSquares, int n, float eps) {
        return 1f / (float) Math.sqrt(sumSquares / n + eps);
    }
}
