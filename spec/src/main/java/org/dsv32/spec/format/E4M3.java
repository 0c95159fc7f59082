package org.dsv32.spec.format;

/**
 * FP8 E4M3FN: 1 sign, 4 exponent bits (bias 7), 3 mantissa bits; no infinity, NaN only at S.1111.111.
 * Largest finite value 448, smallest normal 2^-6, smallest subnormal 2^-9.
 *
 * <p>Encoding rounds to nearest, ties to even, after clamping to [-448, 448] as the deployed kernels do
 * before their cast — so overflow (and ±infinity) saturates. NaN encodes to a NaN code with its sign.
 */
public final class E4M3 {
    private E4M3() {}

    public static final double MAX = 448.0;
    public static final int MANTISSA_BITS = 3;
    public static final int BIAS = 7;
    /** Exponent of the smallest normal, 2^-6. */
    public static final int MIN_NORMAL_EXP = -6;
    /** Unit roundoff 2^-4 (half the spacing of 1.0 and its successor). */
    public static final double UNIT_ROUNDOFF = 0x1p-4;
    private static final double[] DECODE = new double[256];

    static {
        for (int c = 0; c < 256; c++) DECODE[c] = decodeBits(c);
    }

    /** The value of an E4M3FN code (exact in float64). */
    public static double decode(byte code) { return DECODE[code & 0xFF]; }

    /** The value of an E4M3FN code as a float (exact). */
    public static float decodeFloat(byte code) { return (float) DECODE[code & 0xFF]; }

    private static double decodeBits(int c) {
        int sign = (c >>> 7) & 1;
        int exp = (c >>> 3) & 0xF;
        int man = c & 0x7;
        double v;
        if (exp == 0xF && man == 0x7) v = Double.NaN;
        else if (exp == 0) v = man * 0x1p-9;
        else v = (1.0 + man / 8.0) * Math.scalb(1.0, exp - BIAS);
        // copySign works on the bits, so a NaN code keeps its sign (unary minus on NaN need not)
        return Math.copySign(v, sign == 1 ? -1.0 : 1.0);
    }

    /** Rounds {@code x} to E4M3FN (nearest-even, saturating at ±448) and returns the code. */
    public static byte encode(double x) {
        if (Double.isNaN(x)) return (byte) ((Double.doubleToRawLongBits(x) < 0 ? 0x80 : 0) | 0x7F);
        int sign = (x < 0 || (x == 0 && 1 / x < 0)) ? 0x80 : 0;
        double a = Math.min(Math.abs(x), MAX);
        double r = FloatRounding.roundToGrid(a, MANTISSA_BITS, MIN_NORMAL_EXP);
        return (byte) (sign | magnitudeBits(r));
    }

    /** {@code decode(encode(x))}: the E4M3FN value nearest to {@code x} (saturating). */
    public static double round(double x) { return decode(encode(x)); }

    /** Bits of a non-negative value already on the E4M3 grid and at most 448. */
    private static int magnitudeBits(double r) {
        if (r == 0) return 0;
        int e = Math.getExponent(r);
        if (e < MIN_NORMAL_EXP) return (int) (r / 0x1p-9); // subnormal: mantissa counts 2^-9 steps
        int man = (int) ((r / Math.scalb(1.0, e) - 1.0) * 8.0);
        return ((e + BIAS) << 3) | man;
    }
}
