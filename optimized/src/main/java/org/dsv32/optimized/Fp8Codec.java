package org.dsv32.optimized;

import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.format.UE8M0;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * Scalar float32 versions of the FP8 conversions, written with the same bit manipulation as the vector kernels
 * (so the scalar path and the vector lanes agree bit for bit), plus the act_quant scale rule.
 */
public final class Fp8Codec {
    private Fp8Codec() {}

    /** The value of every e4m3 code as a float (exact), indexed by the unsigned code. */
    static final float[] E4M3_FLOAT = new float[256];

    static {
        for (int c = 0; c < 256; c++) E4M3_FLOAT[c] = E4M3.decodeFloat((byte) c);
    }

    /** Bits of 448f: magnitudes are clamped to it before rounding (saturation, spec/SEMANTICS.md §1). */
    static final int MAX_BITS = Float.floatToRawIntBits(448f);
    /** Bits of 2^-6, the smallest e4m3 normal: below it the grid is the subnormal one, 2^-9 apart. */
    static final int MIN_NORMAL_BITS = Float.floatToRawIntBits(0x1p-6f);
    /** Adding 2^14 rounds a magnitude below 2^-6 to a multiple of 2^-9 (ulp of 2^14 in fp32), ties to even. */
    static final float SUBNORMAL_MAGIC = 0x1p14f;
    static final int SUBNORMAL_MAGIC_BITS = Float.floatToRawIntBits(SUBNORMAL_MAGIC);
    /** fp32 exponent bias minus e4m3 bias (127 - 7), in units of the 3-bit mantissa. */
    static final int REBIAS = 120 << 3;
    /** Scale of the shifted-bits decode: a code's 7 magnitude bits shifted left by 20 are the value times 2^-120. */
    static final float DECODE_SCALE = 0x1p120f;
    /** The act_quant floor of a tile's amax (spec/SEMANTICS.md §3), applied in fp32 as the deployed kernel does. */
    static final float AMAX_FLOOR = 1e-4f;
    /** fp32(1/448). */
    static final float INV_E4M3_MAX = 1f / 448f;

    /**
     * The e4m3 code of {@code v}: round to nearest even on the e4m3 grid after clamping to [-448, 448]; NaN gives
     * the NaN code with v's sign. Equals {@link E4M3#encode(double)} for every float (tested exhaustively).
     */
    public static byte encodeE4M3(float v) {
        int bits = Float.floatToRawIntBits(v);
        int sign = (bits >>> 24) & 0x80;
        int abs = bits & 0x7FFFFFFF;
        if (abs > 0x7F800000) return (byte) (sign | 0x7F);
        abs = Math.min(abs, MAX_BITS);
        int mag;
        if (abs < MIN_NORMAL_BITS) {
            mag = Float.floatToRawIntBits(Float.intBitsToFloat(abs) + SUBNORMAL_MAGIC) - SUBNORMAL_MAGIC_BITS;
        } else {
            mag = ((abs + 0x7FFFF + ((abs >>> 20) & 1)) >>> 20) - REBIAS;
        }
        return (byte) (sign | mag);
    }

    /** The exact float value of an e4m3 code. */
    public static float decodeE4M3(byte code) { return E4M3_FLOAT[code & 0xFF]; }

    /**
     * The act_quant scale of a tile from its amax, in fp32: s = max(amax, 1e-4) * fp32(1/448), then for ue8m0
     * rounded up to a power of two from its bits. A NaN or infinite amax gives that NaN or infinity as the scale
     * (the tile's codes then come out NaN, or 0 and NaN for an infinity), rather than an exception.
     */
    public static float actQuantScale(float amax, ScaleFormat format) {
        float s = Math.max(amax, AMAX_FLOOR) * INV_E4M3_MAX;
        if (format == ScaleFormat.UE8M0 && Float.isFinite(s)) s = UE8M0.roundUp(s);
        return s;
    }
}
