package org.dsv32.reference;

import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.format.UE8M0;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * Dynamic activation quantisation, the reference (spec/SEMANTICS.md §3). For each row of x [rows][cols] and each
 * 128-column tile t of it:
 *
 * <pre>
 *   amax = max(max_{c in t} |x[c]|, 1e-4)
 *   s    = fp32( fp32(amax) * fp32(1/448) )          (Java float arithmetic, as the kernel computes it)
 *   s    = ue8m0_round_up(s)                          (only with {@link ScaleFormat#UE8M0}; BEFORE quantising)
 *   q[c] = e4m3(x[c] / s)                             (x / s in float64; nearest-even, saturating at ±448)
 * </pre>
 *
 * The scale kept with the codes is the one the codes were made with, so {@code x ≈ e4m3(q) * s}.
 *
 * <p>Non-finite input, decided here and followed by every backend:
 * <ul>
 *   <li>NaN: the amax of its tile is NaN (as torch's {@code amax} and the deployed kernel: NaN propagates, it is not
 *       skipped), so the scale is NaN and the whole tile dequantises to NaN.</li>
 *   <li>±infinity: the amax and the scale are +infinity; x / s is NaN for the infinite element and ±0 for the finite
 *       ones — the codes are a NaN code and zeros, and since 0 * infinity is NaN the tile dequantises to NaN too.</li>
 *   <li>ue8m0 rounding leaves a NaN or infinite scale as it is (2^ceil(log2 s) does the same).</li>
 * </ul>
 * x is not modified.
 */
public class ReferenceActQuant implements ActQuantOp {
    /** Columns per quantisation tile. */
    public static final int TILE = 128;
    /** The amax floor, so that an all-zero tile gets a finite non-zero scale instead of 0 / 0. */
    public static final double AMAX_FLOOR = 1e-4;
    /** fp32(1 / 448): the kernel multiplies by the rounded reciprocal, it does not divide by 448. */
    public static final float INV_E4M3_MAX = (float) (1.0 / E4M3.MAX);

    protected final OpContext context;
    protected final Backend self;

    public ReferenceActQuant(OpContext context, Backend self) {
        this.context = context;
        this.self = self;
    }

    @Override
    public QuantizedActivation quantize(TensorF64 x, ScaleFormat format) {
        int rows = x.rows(), cols = x.cols();
        if (cols % TILE != 0) {
            throw new IllegalArgumentException("act_quant: " + x + " has " + cols + " columns, not a multiple of the "
                    + TILE + "-column quantisation tile");
        }
        int tiles = cols / TILE;
        byte[] codes = new byte[rows * cols];
        float[] scales = new float[rows * tiles];
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < tiles; t++) {
                int from = t * TILE, to = from + TILE;
                float s = tileScale(tileAmax(x, r, from, to), format);
                scales[r * tiles + t] = s;
                for (int c = from; c < to; c++) codes[r * cols + c] = encode(x.at(r, c), s);
            }
        }
        return new QuantizedActivation(codes, scales, rows, cols, TILE);
    }

    /** The scale of one tile from its raw amax: floor, fp32 scale, then the format's rounding. */
    protected float tileScale(double amax, ScaleFormat format) {
        return roundScale(rawScale(floorAmax(amax)), format);
    }

    /** max |x[r][c]| for c in [from, to); NaN when any element is NaN ({@link Math#max} propagates it). */
    protected double tileAmax(TensorF64 x, int r, int from, int to) {
        double amax = 0;
        for (int c = from; c < to; c++) amax = Math.max(amax, Math.abs(x.at(r, c)));
        return amax;
    }

    /** amax raised to at least {@link #AMAX_FLOOR} (NaN stays NaN). */
    protected double floorAmax(double amax) {
        return Math.max(amax, AMAX_FLOOR);
    }

    /** s = fp32(amax) * fp32(1/448) in fp32: the scale multiplies the reciprocal, it does not divide. */
    protected float rawScale(double amax) {
        return (float) amax * INV_E4M3_MAX;
    }

    /** With ue8m0, s rounded UP to a power of two from its fp32 bits; plain leaves s. Non-finite s is kept. */
    protected float roundScale(float s, ScaleFormat format) {
        if (format == ScaleFormat.PLAIN || !Float.isFinite(s)) return s;
        return UE8M0.roundUp(s);
    }

    /** The e4m3 code of x / s (the division in float64, then nearest-even with saturation). */
    protected byte encode(double x, float s) {
        return E4M3.encode(x / s);
    }
}
