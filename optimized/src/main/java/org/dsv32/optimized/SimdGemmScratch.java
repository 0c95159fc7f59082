package org.dsv32.optimized;

import java.util.Arrays;

/** Per-thread work arrays of the GEMM/GEMV kernels and their act_quant, grown on demand and reused across calls. */
final class SimdGemmScratch {
    private static final ThreadLocal<SimdGemmScratch> LOCAL = ThreadLocal.withInitial(SimdGemmScratch::new);

    /** A decoded, transposed W panel: [k][P]. */
    float[] panel = new float[0];
    /** The output tile being accumulated: [rows][P]. */
    float[] tile = new float[0];
    /** The register-tiled GEMM's rows of a for one k-block, [rows][KP], rows past the unit's zero. */
    private float[] aPanel = new float[0];
    /** The activation scales of those rows in the current k-block (0 past the unit's rows). */
    private float[] rowScales = new float[0];
    /** Per-column weight scales of the current k-block. */
    float[] colScales = new float[0];
    /** One decoded W row (scalar path). */
    float[] row = new float[0];
    /** One value per lane, gathered from L different W rows. */
    int[] laneInts = new int[64];
    float[] laneFloats = new float[4 * 64];
    /** Block sums of the four-group GEMV. */
    float[] blockSums = new float[4 * 64];
    float[] totals = new float[4 * 64];
    /** Block sums of the multi-row fast GEMV: four chains of up to four rows. */
    private float[] rowBlockSums = new float[0];
    /** Offsets of the rows of x that the multi-row fast GEMV runs together, from the first. */
    int[] rowOffsets = new int[16];
    /** The row group and k-block of each of the four chains of the fast GEMV. */
    int[] chainGroups = new int[4], chainBlocks = new int[4];
    /** Byte offsets of the four chains' k-blocks in their rows. */
    long[] chainOffsets = new long[4];
    long[] laneOffsets = new long[4 * 64];
    /** L rows of L ints each, staged for a column gather (in-register transpose). */
    int[] staged = new int[4 * 64 * 64];

    /** act_quant codes (never kept) and the decoded values of one-product inputs ({@link SimdLinear.Activation}). */
    private byte[] actCodes = new byte[0];
    private float[] actValues = new float[0];

    static SimdGemmScratch get() { return LOCAL.get(); }

    float[] panel(int size) {
        if (panel.length < size) panel = new float[size];
        return panel;
    }

    float[] zeroTile(int size) {
        if (tile.length < size) tile = new float[size];
        else Arrays.fill(tile, 0, size, 0f);
        return tile;
    }

    float[] zeroAPanel(int size) {
        if (aPanel.length < size) aPanel = new float[size];
        else Arrays.fill(aPanel, 0, size, 0f);
        return aPanel;
    }

    float[] rowScales(int size) {
        if (rowScales.length < size) rowScales = new float[size];
        else Arrays.fill(rowScales, 0, size, 0f);
        return rowScales;
    }

    float[] colScales(int size) {
        if (colScales.length < size) colScales = new float[size];
        return colScales;
    }

    byte[] actCodes(int size) {
        if (actCodes.length < size) actCodes = new byte[size];
        return actCodes;
    }

    float[] actValues(int size) {
        if (actValues.length < size) actValues = new float[size];
        return actValues;
    }

    float[] rowBlockSums(int size) {
        if (rowBlockSums.length < size) rowBlockSums = new float[size];
        return rowBlockSums;
    }

    float[] row(int size) {
        if (row.length < size) row = new float[size];
        return row;
    }
}
