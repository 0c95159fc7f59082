package org.dsv32.spec.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link BF16#fromFloat} against an independent statement of round-to-nearest-even: the two bf16 neighbours of
 * the float are found by truncating its bits, their distances to it are compared exactly in BigDecimal, and a tie
 * goes to the neighbour whose last kept bit is 0. Infinity stands in for 2^128 as the upper neighbour of the
 * largest finite bf16, as IEEE's unbounded-exponent rule says.
 */
class BF16Test {

    /** The bf16 bits round-to-nearest-even gives for a non-NaN float, from exact arithmetic. */
    static int expected(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = bits & 0x80000000;
        int mag = bits & 0x7FFFFFFF;
        if (mag >= 0x7F800000) return bits >>> 16; // infinity
        int down = mag & 0xFFFF0000; // toward zero
        if (down == mag) return (sign | down) >>> 16;
        int up = down + 0x10000;
        BigDecimal x = exact(mag);
        BigDecimal dDown = x.subtract(exact(down));
        BigDecimal dUp = exact(up).subtract(x);
        int c = dDown.compareTo(dUp);
        int pick = c < 0 ? down : c > 0 ? up : ((down >>> 16) & 1) == 0 ? down : up;
        return (sign | pick) >>> 16;
    }

    /** The exact value of a non-negative float bit pattern, with 2^128 for the infinity pattern. */
    private static BigDecimal exact(int magBits) {
        if (magBits == 0x7F800000) return new BigDecimal(2).pow(128);
        return new BigDecimal((double) Float.intBitsToFloat(magBits));
    }

    private static void check(int bits) {
        float f = Float.intBitsToFloat(bits);
        int got = BF16.fromFloat(f) & 0xFFFF;
        if (Float.isNaN(f)) {
            assertTrue(Float.isNaN(BF16.toFloat((short) got)), () -> "NaN 0x" + Integer.toHexString(bits) + " became 0x" + Integer.toHexString(got));
            assertEquals(bits >>> 31, got >>> 15, "NaN sign");
            return;
        }
        int want = expected(f);
        assertEquals(want, got, () -> "fp32 0x" + Integer.toHexString(bits) + " (" + f + "): expected 0x"
                + Integer.toHexString(want) + " got 0x" + Integer.toHexString(got));
    }

    @Test
    void everyExponentWithMantissasAroundTheHalfway() {
        int[] mantissas = {0, 1, 0x7FFF, 0x8000, 0x8001, 0xFFFF, 0x10000, 0x17FFF, 0x18000, 0x18001, 0x1FFFF,
            0x7E8000, 0x7F0000, 0x7F7FFF, 0x7F8000, 0x7F8001, 0x7FFFFF, 0x400000, 0x408000, 0x3F8000};
        for (int sign = 0; sign < 2; sign++) {
            for (int e = 0; e < 256; e++) {
                for (int m : mantissas) check(sign << 31 | e << 23 | m);
            }
        }
    }

    @Test
    void randomBitPatterns() {
        SplittableRandom r = new SplittableRandom(20251117);
        for (int i = 0; i < 100_000; i++) check(r.nextInt());
        // patterns whose low half is exactly the halfway point, where only ties-to-even decides
        for (int i = 0; i < 10_000; i++) check((r.nextInt() & 0xFFFF0000) | 0x8000);
    }

    @Test
    void namedEdgeCases() {
        assertEquals(0x7F80, BF16.fromFloat(Float.MAX_VALUE) & 0xFFFF, "max finite fp32 rounds up to infinity");
        assertEquals(0xFF80, BF16.fromFloat(-Float.MAX_VALUE) & 0xFFFF);
        assertEquals(0x7F7F, BF16.fromFloat(Float.intBitsToFloat(0x7F7F7FFF)) & 0xFFFF, "below the overflow midpoint stays finite");
        assertEquals(0x7F80, BF16.fromFloat(Float.POSITIVE_INFINITY) & 0xFFFF);
        assertEquals(0x3F80, BF16.fromFloat(Float.intBitsToFloat(0x3F808000)) & 0xFFFF, "tie to even (down)");
        assertEquals(0x3F82, BF16.fromFloat(Float.intBitsToFloat(0x3F818000)) & 0xFFFF, "tie to even (up)");
        assertEquals(0x0001, BF16.fromFloat(Float.intBitsToFloat(0x00008001)) & 0xFFFF, "subnormal just above a tie");
        assertEquals(0x0000, BF16.fromFloat(Float.intBitsToFloat(0x00008000)) & 0xFFFF, "subnormal tie to zero");
        assertEquals(0x8000, BF16.fromFloat(-0.0f) & 0xFFFF);
        // a NaN whose payload is only in the low 16 bits must not truncate to infinity
        assertTrue(Float.isNaN(BF16.round(Float.intBitsToFloat(0x7F800001))));
        assertTrue(Float.isNaN(BF16.round(Float.intBitsToFloat(0xFF800001))));
    }

    @Test
    void toFloatIsExactAndRoundIsIdempotent() {
        for (int b = 0; b < 0x10000; b++) {
            float v = BF16.toFloat((short) b);
            if (Float.isNaN(v)) continue;
            assertEquals(b, BF16.fromFloat(v) & 0xFFFF, "bf16 0x" + Integer.toHexString(b) + " round-trips");
        }
    }
}
