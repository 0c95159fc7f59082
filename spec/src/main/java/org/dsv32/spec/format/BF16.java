package org.dsv32.spec.format;

/**
 * bfloat16: the top 16 bits of an IEEE fp32. Conversion from fp32 rounds to nearest, ties to even;
 * NaN stays NaN (quietened); overflow rounds to infinity as IEEE does.
 */
public final class BF16 {
    private BF16() {}

    /** Unit roundoff 2^-8. */
    public static final double UNIT_ROUNDOFF = 0x1p-8;

    /** The bf16 bits nearest to {@code f}. */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x0040);
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    /** The bf16 bits nearest to {@code x}, through its float32 rounding first (how frameworks convert). */
    public static short fromDouble(double x) { return fromFloat((float) x); }

    /** The exact value of a bf16 bit pattern. */
    public static float toFloat(short bits) { return Float.intBitsToFloat((bits & 0xFFFF) << 16); }

    /** {@code toFloat(fromFloat(f))}. */
    public static float round(float f) { return toFloat(fromFloat(f)); }
}
