package org.dsv32.optimized;

import org.dsv32.spec.format.Bf16Rounding;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;

/**
 * RoPE in float32 with the configuration's YaRN frequencies. The angle p * f_i and its cosine and sine are computed
 * in float64 and then rounded to float (so the tables equal the reference's values rounded to fp32); the rotation
 * (a c - b s, b c + a s) is fp32 with one FMA per output.
 */
public final class SimdRope implements RopeOp {
    private final double[] frequencies;
    /** bf16 mode (spec/SEMANTICS.md §5c): the rotated rows rounded to bf16. */
    private final boolean bf16;

    public SimdRope(OpContext context) {
        this.frequencies = context.config().ropeFrequencies();
        this.bf16 = context.bf16();
    }

    /** In bf16 mode, x rounded to bf16 in place. */
    void store(float[] x) { if (bf16) Bf16Rounding.roundInPlace(x); }

    @Override
    public TensorF64 apply(TensorF64 x, int[] positions, RopeLayout layout) {
        int rows = x.rows(), d = x.cols();
        if (positions.length != rows) {
            throw new IllegalArgumentException("RoPE: " + positions.length + " positions for " + rows + " rows of " + x);
        }
        float[] f = SimdTensors.toFloats(x);
        rotate(f, rows, d, positions, frequencies, layout);
        store(f);
        return SimdTensors.toTensor(f, x.shape());
    }

    /** Rotates each row of x [rows][d] in place (x is MODIFIED) at positions[r]; d = 2 * frequencies.length. */
    public static void rotate(float[] x, int rows, int d, int[] positions, double[] frequencies, RopeLayout layout) {
        if (d != 2 * frequencies.length) {
            throw new IllegalArgumentException("RoPE: rows of " + d + " values for " + frequencies.length + " frequencies");
        }
        SimdRowKernels k = SimdRowKernels.current();
        int h = d / 2;
        float[] cos = new float[d], sin = new float[d];
        int tablePosition = -1;
        for (int r = 0; r < rows; r++) {
            int p = positions[r];
            if (p < 0) throw new IllegalArgumentException("RoPE: negative position " + p + " at row " + r);
            if (p != tablePosition) {
                for (int i = 0; i < h; i++) {
                    double angle = p * frequencies[i];
                    float c = (float) Math.cos(angle), s = (float) Math.sin(angle);
                    if (layout == RopeLayout.INTERLEAVED) {
                        cos[2 * i] = c;
                        cos[2 * i + 1] = c;
                        sin[2 * i] = -s;
                        sin[2 * i + 1] = s;
                    } else {
                        cos[i] = c;
                        sin[i] = s;
                    }
                }
                tablePosition = p;
            }
            if (layout == RopeLayout.INTERLEAVED) k.ropeInterleaved(x, r * d, cos, sin, d);
            else k.ropeHalfSplit(x, r * d, cos, sin, d);
        }
    }
}
