package org.dsv32.spec.weights;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.dsv32.spec.format.E4M3;

/**
 * An FP8 block-scaled weight W[rows][cols]: e4m3 codes Q row-major, and {@code weight_scale_inv} S, fp32
 * little-endian, of shape [ceil(rows/blockRows)][ceil(cols/blockCols)]. Despite its name the scale
 * multiplies: {@code W[n][k] = Q[n][k] * S[n / blockRows][k / blockCols]}. Edge blocks are ragged.
 */
public record Fp8BlockWeight(String name, MemorySegment codes, MemorySegment scales, int rows, int cols,
                             int blockRows, int blockCols) implements Weight {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    public Fp8BlockWeight {
        if (rows <= 0 || cols <= 0 || blockRows <= 0 || blockCols <= 0) {
            throw new IllegalArgumentException(name + ": bad FP8 weight dimensions " + rows + "x" + cols + " blocks " + blockRows + "x" + blockCols);
        }
        if (codes.byteSize() != (long) rows * cols) {
            throw new IllegalArgumentException(name + ": " + codes.byteSize() + " code bytes for " + rows + "x" + cols);
        }
        long need = 4L * scaleRows(rows, blockRows) * scaleCols(cols, blockCols);
        if (scales.byteSize() != need) {
            throw new IllegalArgumentException(name + ": scale tensor has " + scales.byteSize() / 4 + " elements, expected "
                    + scaleRows(rows, blockRows) + "x" + scaleCols(cols, blockCols));
        }
    }

    /** Convenience for the standard 128x128 blocks. */
    public static Fp8BlockWeight of(String name, MemorySegment codes, MemorySegment scales, int rows, int cols) {
        return new Fp8BlockWeight(name, codes, scales, rows, cols, 128, 128);
    }

    public static int scaleRows(int rows, int blockRows) { return (rows + blockRows - 1) / blockRows; }
    public static int scaleCols(int cols, int blockCols) { return (cols + blockCols - 1) / blockCols; }

    public int scaleRows() { return scaleRows(rows, blockRows); }
    public int scaleCols() { return scaleCols(cols, blockCols); }

    /** The raw e4m3 code Q[r][c]. */
    public byte code(int r, int c) { return codes.get(ValueLayout.JAVA_BYTE, (long) r * cols + c); }

    /** The block scale S[br][bc] (block indices, not element indices). */
    public float scale(int br, int bc) { return scales.get(F32, 4L * ((long) br * scaleCols() + bc)); }

    /** The scale that applies to element (r, c). */
    public float scaleAt(int r, int c) { return scale(r / blockRows, c / blockCols); }

    @Override
    public double get(int r, int c) { return E4M3.decode(code(r, c)) * (double) scaleAt(r, c); }

    /**
     * Row r dequantised, element by element the same values as {@link #get}: read block by block, one scale per
     * block (the float64 reference's exact-mode product takes every weight row this way; at the 671B shapes the
     * per-element scale lookup of {@code get} cost it several seconds per token).
     */
    @Override
    public double[] row(int r) {
        double[] out = new double[cols];
        long base = (long) r * cols;
        int br = r / blockRows;
        for (int from = 0; from < cols; from += blockCols) {
            double s = scale(br, from / blockCols);
            int to = Math.min(cols, from + blockCols);
            for (int c = from; c < to; c++) out[c] = E4M3.decode(codes.get(ValueLayout.JAVA_BYTE, base + c)) * s;
        }
        return out;
    }
}
