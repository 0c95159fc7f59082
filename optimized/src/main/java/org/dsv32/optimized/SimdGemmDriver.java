package org.dsv32.optimized;

/**
 * Cuts a product into fixed units and runs them on {@link SimdThreads}. The units depend only on the shape (128
 * output columns by {@link #UNIT_M} rows of x), never on the thread count, and each output element lies in exactly
 * one unit, so any number of threads gives the same bits.
 */
final class SimdGemmDriver {
    private SimdGemmDriver() {}

    /** Output columns (W rows) per unit. */
    static final int UNIT_N = 128;
    /**
     * Rows of x per GEMM unit (a multiple of the register tile's 6 rows): large enough that a prefill chunk of 128
     * tokens is one unit, so each W panel is decoded once for all its rows; small enough that a unit's output tile
     * (UNIT_M x 128 floats) stays in L2.
     */
    static final int UNIT_M = 192;

    static void gemm(SimdGemmProblem p) {
        SimdGemmKernels kernels = SimdGemmKernels.current();
        int nUnits = (p.n + UNIT_N - 1) / UNIT_N;
        int mUnits = (p.m + UNIT_M - 1) / UNIT_M;
        SimdThreads.parallelFor(nUnits * mUnits, (long) Math.min(p.m, UNIT_M) * UNIT_N * p.k, u -> {
            int nu = u % nUnits, mu = u / nUnits;
            kernels.gemm(p, mu * UNIT_M, Math.min(p.m, (mu + 1) * UNIT_M), nu * UNIT_N, Math.min(p.n, (nu + 1) * UNIT_N),
                    SimdGemmScratch.get());
        });
    }

    static void gemv(SimdGemmProblem p) { gemv(p, null); }

    /** The GEMV with what is known of its input from earlier products reading it ({@link SimdGemvRows.Input}, or null). */
    static void gemv(SimdGemmProblem p, SimdGemvRows.Input input) {
        SimdGemmKernels kernels = SimdGemmKernels.current();
        int nUnits = (p.n + UNIT_N - 1) / UNIT_N;
        SimdGemvRows rows = SimdGemvRows.prepare(p, kernels.bits() / 32, input);
        SimdThreads.parallelFor(nUnits, (long) p.m * UNIT_N * p.k, u ->
                kernels.gemv(p, rows, 0, p.m, u * UNIT_N, Math.min(p.n, (u + 1) * UNIT_N), SimdGemmScratch.get()));
    }
}
