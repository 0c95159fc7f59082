package org.dsv32.optimized;

/**
 * The register-tiled kernels of the backward GEMMs ({@link SimdBackwardProblem}) for one vector width (obtain with
 * {@link #current()}). Every output element is computed in the problem's canonical order, so the bits do not depend
 * on the width, the tile or the thread.
 */
interface SimdBackwardKernels {
    static SimdBackwardKernels current() { return Slot.KERNELS.get(); }

    /** Holds the remembered instance ({@link SimdKernelSlot}). */
    final class Slot {
        private Slot() {}

        static final SimdKernelSlot<SimdBackwardKernels> KERNELS = new SimdKernelSlot<>(SimdBackwardKernels.class, SimdBackwardKernelsTemplate.class);
    }

    /** The vector width these kernels were compiled for (0: scalar). */
    int bits();

    /** C[i][j] for rows i in [r0, r1) (r0 a multiple of MR) and columns j in [c0, c1); s: the calling thread's scratch. */
    void gemm(SimdBackwardProblem p, int r0, int r1, int c0, int c1, SimdBackwardScratch s);

    /**
     * The 128x1 quantiser on one tile row: rows r0 .. r0 + len - 1 (at most one tile) of columns c0 .. c0 + width - 1
     * of a [][cols], each column one tile: scales[c] = {@link Fp8Codec#actQuantScale} of the column's amax, and
     * element (r, c) encoded as e4m3 of a / scales[c] (fp32 division), bit for bit {@link SimdRowKernels#quantize}
     * on the column gathered contiguous. Row r is a's row rowMap[r] (rowMap null: r), so a group's rows can be
     * quantised where they lie. Writes the decoded values to q[qOff + r * qld + qMap[c]] (qMap null: c) when q is
     * not null, and the codes to codes[cOff + r * cld + c] when codes is not null.
     */
    void columnTiles(float[] a, int[] rowMap, int cols, int r0, int len, int c0, int width, org.dsv32.spec.weights.ScaleFormat format, float[] scales,
                     float[] q, int qOff, int qld, int[] qMap, byte[] codes, int cOff, int cld);
}
