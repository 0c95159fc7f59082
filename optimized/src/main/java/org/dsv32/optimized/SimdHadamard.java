package org.dsv32.optimized;

import org.dsv32.spec.format.Bf16Rounding;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.tensor.TensorF64;

/**
 * y = n^-1/2 H_n x per row (Sylvester order) by the fast Walsh-Hadamard transform in float32: log2(n) butterfly
 * stages (a + b, a - b), then one multiply by fp32(n^-1/2). Every element sees the same operations in the same
 * order at every vector width, so all widths agree bitwise.
 */
public final class SimdHadamard implements HadamardOp {
    /** bf16 mode (spec/SEMANTICS.md §5c): the scaled transform rounded to bf16 once, as the deployment's kernel stores it. */
    private final boolean bf16;

    public SimdHadamard() { this(false); }

    public SimdHadamard(boolean bf16) { this.bf16 = bf16; }

    /** In bf16 mode, x rounded to bf16 in place. */
    void store(float[] x) { if (bf16) Bf16Rounding.roundInPlace(x); }
    @Override
    public TensorF64 apply(TensorF64 x) {
        float[] f = SimdTensors.toFloats(x);
        transform(f, x.rows(), x.cols());
        store(f);
        return SimdTensors.toTensor(f, x.shape());
    }

    /** Transforms each row of x [rows][n] in place (x is MODIFIED); n a power of two. */
    public static void transform(float[] x, int rows, int n) {
        if (n <= 0 || (n & (n - 1)) != 0) throw new IllegalArgumentException("Hadamard size must be a power of two, got " + n);
        SimdRowKernels k = SimdRowKernels.current();
        float scale = (float) (1.0 / Math.sqrt(n));
        for (int r = 0; r < rows; r++) k.hadamard(x, r * n, n, scale);
    }
}
