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
     * mantissa is non-zero. A scale that is already a power of two stays. (Fact sheet, section 3, step 3.)
     * Subnormal inputs round up to the smallest normal power of two at or above them.
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

    /** The exponent byte of a power-of-two float. */
    public static byte encode(float powerOfTwo) {
        int bits = Float.floatToRawIntBits(powerOfTwo);
        if ((bits & 0x807FFFFF) != 0) throw new IllegalArgumentException(powerOfTwo + " is not a positive power of two");
        return (byte) ((bits >>> 23) & 0xFF);
    }
}
