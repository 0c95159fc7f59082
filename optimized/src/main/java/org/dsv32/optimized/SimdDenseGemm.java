package org.dsv32.optimized;

import org.dsv32.spec.weights.DenseWeight;

/**
 * Dense float32 GEMM/GEMV: y = a W^T for a bf16, fp32 (or other floating) weight, read from its segment and
 * decoded in registers (bf16: the 16 bits shifted into the top of an fp32). Sums run in k-blocks of 128 exactly as
 * the FP8 kernels with scale 1 ({@link SimdGemmProblem}).
 */
public final class SimdDenseGemm {
    private SimdDenseGemm() {}

    /** y [m][N] = a [m][K] W^T; GEMV for m = 1, GEMM otherwise. y is overwritten. */
    public static void multiply(float[] a, int m, DenseWeight w, float[] y) {
        SimdGemmProblem p = SimdGemmProblem.dense(a, m, w, y);
        if (m == 1) SimdGemmDriver.gemv(p);
        else SimdGemmDriver.gemm(p);
    }

    /** Forces the GEMV kernel for any m (tests: GEMV and GEMM agree bitwise). */
    static void multiplyGemv(float[] a, int m, DenseWeight w, float[] y) { SimdGemmDriver.gemv(SimdGemmProblem.dense(a, m, w, y)); }

    /** Forces the GEMM kernel for any m. */
    static void multiplyGemm(float[] a, int m, DenseWeight w, float[] y) { SimdGemmDriver.gemm(SimdGemmProblem.dense(a, m, w, y)); }
}
