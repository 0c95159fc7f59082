package org.dsv32.optimized;

import org.dsv32.spec.weights.Fp8BlockWeight;

/**
 * FP8 block-scaled GEMM for several rows of x: y[i][c] = sum_b (sum_{k in b} a[i][k] q[c][k]) * sa[i][b] * sw[c][b]
 * in float32, reading the e4m3 codes and fp32 block scales straight from the weight's segments (decoded per k-block
 * into a small per-thread panel, never as a whole). In fp8 mode a holds the decoded act_quant codes and sa their
 * scales; in exact mode a is x and sa is null (1). Summation order: {@link SimdGemmProblem}.
 */
public final class SimdFp8Gemm {
    private SimdFp8Gemm() {}

    /**
     * y [m][N] = the block-scaled product of a [m][K] (row-major) with W [N][K]; {@code aScales} [m][ceil(K/blockCols)]
     * or null. y is overwritten; a is not modified.
     */
    public static void multiply(float[] a, float[] aScales, int m, Fp8BlockWeight w, float[] y) {
        SimdGemmDriver.gemm(SimdGemmProblem.fp8(a, aScales, m, w, y));
    }
}
