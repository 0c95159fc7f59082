package org.dsv32.spec.ops;

import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.tensor.TensorF64;

/**
 * The result of act_quant on x[rows][cols]: e4m3 codes [rows][cols] and one fp32 scale per 128-column tile,
 * scales [rows][cols / 128]. {@code x ≈ decode(codes) * scale}.
 */
public record QuantizedActivation(byte[] codes, float[] scales, int rows, int cols, int tile) {
    public int tilesPerRow() { return cols / tile; }

    public float scale(int r, int t) { return scales[r * tilesPerRow() + t]; }

    public byte code(int r, int c) { return codes[r * cols + c]; }

    /** codes * scales in float64 (exact). */
    public TensorF64 dequantize() {
        TensorF64 out = TensorF64.zeros(rows, cols);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) out.put(r, c, E4M3.decode(code(r, c)) * (double) scale(r, c / tile));
        return out;
    }
}
