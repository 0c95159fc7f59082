package org.dsv32.optimized;

import org.dsv32.spec.format.Bf16Rounding;
import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Weight;

/**
 * LayerNorm in float32, two passes per row: mean = sum(x) / n, var = sum((x - mean)^2) / n (biased),
 * r = 1 / sqrt(var + eps), y = fma((x - mean) * r, w, b). Inputs are rounded to fp32 on entry.
 */
public final class SimdLayerNorm implements LayerNormOp {
    /** bf16 mode (spec/SEMANTICS.md §5c): the output rounded to bf16. */
    private final boolean bf16;

    public SimdLayerNorm() { this(false); }

    public SimdLayerNorm(boolean bf16) { this.bf16 = bf16; }

    /** In bf16 mode, y rounded to bf16 in place. */
    void store(float[] y) { if (bf16) Bf16Rounding.roundInPlace(y); }
    @Override
    public TensorF64 apply(TensorF64 x, Weight w, Weight b, double eps) {
        int rows = x.rows(), cols = x.cols();
        float[] y = new float[rows * cols];
        normalize(SimdTensors.toFloats(x), rows, cols, SimdTensors.vector(w, cols), SimdTensors.vector(b, cols), (float) eps, y);
        store(y);
        return SimdTensors.toTensor(y, x.shape());
    }

    /** y [rows][cols] = LayerNorm of each row of x; x is not modified. */
    public static void normalize(float[] x, int rows, int cols, float[] w, float[] b, float eps, float[] y) {
        SimdRowKernels k = SimdRowKernels.current();
        for (int r = 0, off = 0; r < rows; r++, off += cols) {
            float mean = k.sum(x, off, cols) / cols;
            float var = k.sumSquaredDeviations(x, off, cols, mean) / cols;
            float inv = 1f / (float) Math.sqrt(var + eps);
            k.normalizeAffine(x, off, mean, inv, w, b, y, off, cols);
        }
    }
}
