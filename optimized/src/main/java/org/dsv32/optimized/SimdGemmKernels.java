package org.dsv32.optimized;

/**
 * The GEMM and GEMV kernels of the {@code simd} backend for one vector width (obtain with {@link #current()}).
 * Both compute each output element in the canonical order of {@link SimdGemmProblem}, so a row of y is bitwise the
 * same whichever kernel, width, tile shape or thread computes it.
 */
interface SimdGemmKernels {
    static SimdGemmKernels current() { return Slot.KERNELS.get(); }

    /** Holds the remembered instance ({@link SimdKernelSlot}). */
    final class Slot {
        private Slot() {}

        static final SimdKernelSlot<SimdGemmKernels> KERNELS = new SimdKernelSlot<>(SimdGemmKernels.class, SimdGemmKernelsTemplate.class);
    }

    /** The vector width these kernels were compiled for (0: scalar). */
    int bits();

    /** y[i][c] for rows i in [m0, m1) of a and W rows c in [n0, n1): panel-packed register-tiled GEMM. */
    void gemm(SimdGemmProblem p, int m0, int m1, int n0, int n1, SimdGemmScratch s);

    /**
     * y[i][c] for every row i of a and W rows c in [n0, n1), for products of a few rows: W is read L rows at a time
     * along K, each k-block of those rows decoded once into a small panel that every row of a multiplies
     * ({@code rows}: {@link SimdGemmRowGroups#of} p's a, read only).
     */
    void gemmRows(SimdGemmProblem p, SimdGemmRowGroups rows, int n0, int n1, SimdGemmScratch s);

    /**
     * y[i][c] for rows i in [m0, m1) and W rows c in [n0, n1), one row of a at a time, W streamed once per row;
     * rows: {@link SimdGemvRows#prepare} of p (may be null), read only.
     */
    void gemv(SimdGemmProblem p, SimdGemvRows rows, int m0, int m1, int n0, int n1, SimdGemmScratch s);
}
