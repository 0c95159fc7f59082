package org.dsv32.spec.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** UE8M0 scales (spec/SEMANTICS.md §1 and §3): powers of two stay, everything else rounds UP. */
class UE8M0Test {

    @Test
    void decodeEncodeRoundTripsEveryFiniteCode() {
        for (int u = 0; u < 255; u++) {
            double v = UE8M0.decode((byte) u);
            assertEquals(Math.pow(2, u - 127), v, "code " + u);
            assertEquals(v, (double) (float) v, "2^(u-127) is a float");
            assertEquals(u, UE8M0.encode((float) v) & 0xFF, "code " + u);
        }
        assertTrue(Double.isNaN(UE8M0.decode((byte) 255)));
    }

    @Test
    void encodeRejectsWhatIsNotAPowerOfTwo() {
        for (float bad : new float[] {3f, 0.75f, -1f, 0f, Float.POSITIVE_INFINITY, Float.NaN, 0x1p-128f}) {
            assertThrows(IllegalArgumentException.class, () -> UE8M0.encode(bad), () -> "" + bad);
        }
    }

    @Test
    void powersOfTwoStay() {
        for (int e = -126; e <= 127; e++) {
            float p = Math.scalb(1f, e);
            assertEquals(p, UE8M0.roundUp(p), "2^" + e);
        }
    }

    @Test
    void everythingElseRoundsUpToTheNextPowerOfTwo() {
        SplittableRandom r = new SplittableRandom(8);
        for (int e = -126; e < 127; e++) {
            for (int k = 0; k < 20; k++) {
                int mantissa = k == 0 ? 1 : k == 1 ? 0x7FFFFF : 1 + r.nextInt(0x7FFFFF);
                float s = Float.intBitsToFloat((e + 127) << 23 | mantissa);
                float up = UE8M0.roundUp(s);
                assertEquals(Math.scalb(1f, e + 1), up, () -> "scale " + s);
                assertTrue(up > s && up / 2 < s, "the smallest power of two above " + s);
            }
        }
        assertEquals(1f, UE8M0.roundUp(Math.nextDown(1f)));
        assertEquals(2f, UE8M0.roundUp(Math.nextUp(1f)), "one ulp above 1 goes up, not down");
        assertEquals(0x1p-7f, UE8M0.roundUp(3f * (1f / 448f)), "amax 3: 3/448 = 0.0067 lies in (2^-8, 2^-7]");
    }

    @Test
    void documentedEdges() {
        assertEquals(Float.MIN_NORMAL, UE8M0.roundUp(Float.MIN_VALUE), "subnormals go to 2^-126 as the bit trick does");
        assertEquals(Float.POSITIVE_INFINITY, UE8M0.roundUp(Math.nextUp(0x1p127f)));
        for (float bad : new float[] {0f, -1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            assertThrows(IllegalArgumentException.class, () -> UE8M0.roundUp(bad));
        }
    }
}
