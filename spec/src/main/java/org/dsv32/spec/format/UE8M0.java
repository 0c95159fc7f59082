package org.dsv32.spec.format;

/**
 * UE8M0: an unsigned exponent byte alone, value 2^(e - 127); e = 255 is NaN. Used for power-of-two scales.
 */
public final class UE8M0 {
    private UE8M0() {}

    public static double decode(byte e) {
        int u = e & 0xFF;
        return u == 255 ? Double.NaN : Math.scalb(1.0, u - 127);
    }

    /**
     * Rounds a positive fp32 scale UP to a power of two, from its fp32 bits: the exponent, plus one when the
     * mantissa is non-zero. A scale that is already a power of two stays. (spec/SEMANTICS.md §3, step 3.)
     * Subnormal inputs give 2^-126 (their exponent field 0 counts as -127, plus one for the non-zero mantissa), as
     * the kernels' bit trick does; a scale above 2^127 gives infinity. Neither occurs for amax at least 1e-4.
     */
    public static float roundUp(float s) {
        if (!(s > 0) || Float.isInfinite(s)) {
            throw new IllegalArgumentException("ue8m0 scale must be positive and finite, got " + s);
        }
        int bits = Float.floatToRawIntBits(s);
        int exp = (bits >>> 23) & 0xFF;
        int man = bits & 0x7FFFFF;
        if (exp == 0) return Float.MIN_NORMAL; // subnormal scales: the next power of two is at most 2^-126
        if (man != 0) exp++;
        return Float.intBitsToFloat(exp << 23);
    }

    /**
     * The exponent byte of a power-of-two float in [2^-127, 2^127]; the inverse of {@link #decode} on the 255 finite
     * codes. 2^-127 (code 0) is a subnormal float, so it is matched by its bits rather than its exponent field.
     */
    public static byte encode(float powerOfTwo) {
        int bits = Float.floatToRawIntBits(powerOfTwo);
        if (bits == 0x00400000) return 0; // 2^-127
        int exp = (bits >>> 23) & 0xFF;
        if ((bits & 0x807FFFFF) != 0 || exp == 0 || exp == 255) {
            throw new IllegalArgumentException(powerOfTwo + " is not a power of two in [2^-127, 2^127]");
        }
        return (byte) exp;
    }
}
