package org.dsv32.optimized;

import org.dsv32.spec.weights.Fp8BlockWeight;

/**
 * Cuts a product into fixed units and runs them on {@link SimdThreads}. The units depend only on the shape
 * ({@link #TILE_N} output columns by {@link #UNIT_M} rows of x; for up to {@link #ROWS_MAX} rows,
 * {@link #ROWS_UNIT_N} output columns by all rows), never on the thread count, and each output element lies in
 * exactly one unit, so any number of threads gives the same bits.
 */
final class SimdGemmDriver {
    private SimdGemmDriver() {}

    /** Output columns (W rows) per unit. */
    static final int UNIT_N = 128;
    /**
     * Output columns per unit of the register-tiled GEMM: each unit streams its rows of x once per k-block, so wider
     * units read x fewer times per multiply-add (x from L3 cost 11% of a 128-column unit, 5% of a 256-column one);
     * 256 columns keep the unit's output tile (UNIT_M x 256 floats) in L2 and split the bench's shapes evenly over
     * two threads.
     */
    static final int TILE_N = 256;

    /**
     * Rows of x per GEMM unit (a multiple of the register tile's 6 rows): large enough that a prefill chunk of 128
     * tokens is one unit, so each W panel is decoded once for all its rows; small enough that a unit's output tile
     * (UNIT_M x 128 floats) stays in L2.
     */
    static final int UNIT_M = 192;

    /**
     * The most rows of x that run as a few-row product ({@link SimdGemmKernels#gemmRows}: W streamed once, each
     * element decoded once for all rows); more rows run the register-tiled GEMM, whose 6 x 4 tile needs fewer loads
     * per FMA but decodes W once per 192 rows into a panel of all its columns. One thread, W cycling from memory,
     * few-row (paired 8-row tiles) against tiled: 2048x7168 M = 40 11.5 against 14.2 ms, M = 48 13.4 / 15.4, M = 64
     * 17.4 / 18.6; 7168x2048 M = 48 12.7-12.9 / 14.0-14.3, M = 64 15.6 / 17.4-18.1.
     */
    static final int ROWS_MAX = Integer.getInteger("dsv32.gemmRowsMax", 64);

    /**
     * Output columns per unit of the few-row GEMM: one step of its paired tiles at 512 bits (two groups of 16 W
     * rows), two at 256. Narrow units balance the two threads on narrow weights: N = 576 was 5 units of 128 columns,
     * 3 on one thread and 2 on the other, now 18; each unit still reads its W rows once, as L streams along K, so
     * wide weights lose nothing. Bench --quick, M = 16, 576x7168: 849-871 -> 741-760 us (best of two runs each).
     */
    static final int ROWS_UNIT_N = 32;

    /**
     * The most rows of x that run through the GEMV's fast path, up to 16 rows at a time ({@link SimdGemmKernels#gemv}):
     * each W vector decoded in registers and used by all those rows, no panel; above it the few-row GEMM, whose
     * panel, decoded once, more rows reuse. An MoE expert's few tokens, a short prefill. On W's repacked codes up to
     * this many rows, on its first use (codes transposed per call) up to {@link #GEMV_ROWS_MAX_FIRST_USE}. One
     * thread, W 2048 x 7168 repacked in L3: M = 2 1.5 ms (few-row GEMM 2.6), M = 4 2.1 (3.4), M = 8 2.4 (3.4), M = 12
     * 4.6 (5.1), M = 16 5.1 (5.0), repacked copies cycling from memory, M = 16 7.3 (9.2); first use, copies cycling
     * from memory: M = 4 5.7 (8.7), M = 8 4.5 (6.0), M = 16 7.9 (6.3).
     */
    static final int GEMV_ROWS_MAX = Integer.getInteger("dsv32.gemvRowsMax", 16);

    /** {@link #GEMV_ROWS_MAX} for a weight without repacked codes. */
    static final int GEMV_ROWS_MAX_FIRST_USE = Math.min(8, GEMV_ROWS_MAX);

    static void gemm(SimdGemmProblem p) {
        SimdGemmKernels kernels = SimdGemmKernels.current();
        if (p.kind == SimdGemmProblem.FP8 && p.m <= GEMV_ROWS_MAX && !subnormalRows(p) && fewRowsByGemv(p, kernels)) return;
        if (p.kind == SimdGemmProblem.FP8 && p.m <= ROWS_MAX) {
            SimdGemmRowGroups rows = SimdGemmRowGroups.of(p, 4 * kernels.bits() / 32);
            int units = (p.n + ROWS_UNIT_N - 1) / ROWS_UNIT_N;
            SimdThreads.parallelFor(units, (long) p.m * ROWS_UNIT_N * p.k, u -> kernels.gemmRows(p, rows, u * ROWS_UNIT_N,
                    Math.min(p.n, (u + 1) * ROWS_UNIT_N), SimdGemmScratch.get()));
            return;
        }
        int nUnits = (p.n + TILE_N - 1) / TILE_N;
        int mUnits = (p.m + UNIT_M - 1) / UNIT_M;
        SimdThreads.parallelFor(nUnits * mUnits, (long) Math.min(p.m, UNIT_M) * TILE_N * p.k, u -> {
            int nu = u % nUnits, mu = u / nUnits;
            kernels.gemm(p, mu * UNIT_M, Math.min(p.m, (mu + 1) * UNIT_M), nu * TILE_N, Math.min(p.n, (nu + 1) * TILE_N),
                    SimdGemmScratch.get());
        });
    }

    /**
     * Whether p is a product of several rows on an FP8 weight with e4m3 subnormal codes ({@link SimdFp8Facts}): the
     * GEMV's fast decode turns such a code into an fp32 subnormal, and each of the R rows' FMAs on the decoded vector
     * takes a microcode assist. The few-row GEMM decodes each code once, exactly and without an assist, into a panel
     * of normal values that all rows reuse. The same bits either way. One thread, W 2048x7168 in L3 with 0.4% of its
     * codes subnormal (one code in 256, as in 5 of the MoE bench's 46 gate and up weights): M = 2 6.8 -> 3.1 ms,
     * M = 8 22.0 -> 4.4, M = 12 31.3 -> 6.3 (without subnormal codes 1.7, 3.2 and 5.3).
     */
    static boolean subnormalRows(SimdGemmProblem p) {
        return p.m > 1 && p.weight instanceof Fp8BlockWeight w && SimdFp8Facts.of(w).hasSubnormalCode();
    }

    /**
     * Runs p through the GEMV's fast path and returns true when all of it can take it: whole k-blocks of whole
     * transposed chunks, no NaN code in W, every row of x with a shift ({@link SimdGemvRows}); else returns false
     * having done nothing. The same bits as every other kernel (the canonical order).
     */
    private static boolean fewRowsByGemv(SimdGemmProblem p, SimdGemmKernels kernels) {
        int lanes = kernels.bits() / 32;
        if (lanes == 0 || p.blockCols % (4 * lanes) != 0 || p.k % p.blockCols != 0) return false;
        // past the first-use limit only repacked codes qualify: asked before x is scanned and rescaled
        Fp8BlockWeight w = (Fp8BlockWeight) p.weight;
        if (p.m > GEMV_ROWS_MAX_FIRST_USE && SimdWeightCache.packedCodesIfMade(w, lanes, SimdFp8Facts.of(w)) == null) return false;
        // codes repacked by the GEMV are read; none are made here (a few-row product is a prefill chunk or an
        // expert's tokens; repacking on its account would allocate and copy a weight inside a timed product)
        SimdGemvRows rows = SimdGemvRows.prepare(p, lanes, null, false);
        if (rows == null || rows.packed == null && p.m > GEMV_ROWS_MAX_FIRST_USE) return false;
        for (int shift : rows.shift) if (shift == SimdGemvRows.GENERAL) return false;
        int units = (p.n + UNIT_N - 1) / UNIT_N;
        SimdThreads.parallelFor(units, (long) p.m * UNIT_N * p.k, u -> kernels.gemv(p, rows, 0, p.m, u * UNIT_N,
                Math.min(p.n, (u + 1) * UNIT_N), SimdGemmScratch.get()));
        return true;
    }

    static void gemv(SimdGemmProblem p) { gemv(p, null); }

    /** The GEMV with what is known of its input from earlier products reading it ({@link SimdGemvRows.Input}, or null). */
    static void gemv(SimdGemmProblem p, SimdGemvRows.Input input) {
        gemvAll(new SimdGemmProblem[] {p}, new SimdGemvRows.Input[] {input});
    }

    /**
     * Several GEMVs that are ready at the same time (the products of one input, or the experts of a decode token)
     * as one parallel loop over all their units: problem i's units are its 128-row slices, numbered after those of
     * problems 0 .. i-1. Each unit computes what it computes in a loop of its own, so the bits are those of the
     * products run one by one; only the joins are fewer. A tiny-model product is two units, about a microsecond
     * each, which a second core joins about half a microsecond late and then waits on; five to ten units in one
     * loop keep both cores busy. inputs[i]: what is known of problem i's x ({@link SimdGemvRows.Input}), or null.
     */
    static void gemvAll(SimdGemmProblem[] ps, SimdGemvRows.Input[] inputs) {
        SimdGemmKernels kernels = SimdGemmKernels.current();
        SimdGemvRows[] rows = new SimdGemvRows[ps.length];
        int[] first = new int[ps.length + 1];
        long work = 0;
        for (int i = 0; i < ps.length; i++) {
            rows[i] = SimdGemvRows.prepare(ps[i], kernels.bits() / 32, inputs[i]);
            first[i + 1] = first[i] + (ps[i].n + UNIT_N - 1) / UNIT_N;
            work += (long) ps[i].m * Math.min(ps[i].n, UNIT_N) * ps[i].k;
        }
        int units = first[ps.length];
        SimdThreads.parallelFor(units, work / Math.max(1, ps.length), u -> {
            int i = 0;
            while (u >= first[i + 1]) i++;
            SimdGemmProblem p = ps[i];
            int n0 = (u - first[i]) * UNIT_N;
            kernels.gemv(p, rows[i], 0, p.m, n0, Math.min(p.n, n0 + UNIT_N), SimdGemmScratch.get());
        });
    }
}
