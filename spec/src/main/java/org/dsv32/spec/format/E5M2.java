package org.dsv32.spec.format;

/**
 * FP8 E5M2: 1 sign, 5 exponent bits (bias 15), 2 mantissa bits, IEEE-style infinities and NaNs.
 * Largest finite value 57344, smallest normal 2^-14, smallest subnormal 2^-16.
 *
 * <p>Encoding rounds to nearest, ties to even; magnitudes at or beyond 61440 (the midpoint between
 * 57344 and 2^16) overflow to infinity, as IEEE rounding does.
 */
public final class E5M2 {
    private E5M2() {}

    public static final double MAX = 57344.0;
    public static final int MANTISSA_BITS = 2;
    public static final int BIAS = 15;
    public static final int MIN_NORMAL_EXP = -14;
    /** Unit roundoff 2^-3. */
    public static final double UNIT_ROUNDOFF = 0x1p-3;
    private static final double OVERFLOW_THRESHOLD = 61440.0;
    private static final double[] DECODE = new double[256];

    static {
        for (int c = 0; c < 256; c++) DECODE[c] = decodeBits(c);
    }

    public static double decode(byte code) { return DECODE[code & 0xFF]; }

    public static float decodeFloat(byte code) { return (float) DECODE[code & 0xFF]; }

    private static double decodeBits(int c) {
        int sign = (c >>> 7) & 1;
        int exp = (c >>> 2) & 0x1F;
        int man = c & 0x3;
        double v;
        if (exp == 0x1F) v = man == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        else if (exp == 0) v = man * 0x1p-16;
        else v = (1.0 + man / 4.0) * Math.scalb(1.0, exp - BIAS);
        // copySign works on the bits, so a NaN code keeps its sign (unary minus on NaN need not)
        return Math.copySign(v, sign == 1 ? -1.0 : 1.0);
    }

    /** Rounds {@code x} to E5M2 (nearest-even, overflow to ±infinity) and returns the code. */
    public static byte encode(double x) {
        int sign = (Double.doubleToRawLongBits(x) < 0) ? 0x80 : 0;
        if (Double.isNaN(x)) return (byte) (sign | 0x7E);
        double a = Math.abs(x);
        if (a >= OVERFLOW_THRESHOLD) return (byte) (sign | 0x7C);
        double r = FloatRounding.roundToGrid(a, MANTISSA_BITS, MIN_NORMAL_EXP);
        if (r == 0) return (byte) sign;
        int e = Math.getExponent(r);
        if (e < MIN_NORMAL_EXP) return (byte) (sign | (int) (r / 0x1p-16));
        int man = (int) ((r / Math.scalb(1.0, e) - 1.0) * 4.0);
        return (byte) (sign | ((e + BIAS) << 2) | man);
    }

    public static double round(double x) { return decode(encode(x)); }
}
