package org.dsv32.optimized;

import org.dsv32.spec.weights.Fp8BlockWeight;

/**
 * FP8 block-scaled GEMV (decode, one token): the same product as {@link SimdFp8Gemm}, with W streamed once per
 * row of x and decoded in registers, in parallel over 128-row units of W. Every output element is bitwise equal to
 * what {@link SimdFp8Gemm} computes for it.
 */
public final class SimdFp8Gemv {
    private SimdFp8Gemv() {}

    /** Same contract as {@link SimdFp8Gemm#multiply}; meant for m = 1 (larger m loops over the rows). */
    public static void multiply(float[] a, float[] aScales, int m, Fp8BlockWeight w, float[] y) {
        SimdGemmDriver.gemv(SimdGemmProblem.fp8(a, aScales, m, w, y));
    }
}
