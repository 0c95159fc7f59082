package org.dsv32.spec.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** E5M2 (spec/SEMANTICS.md §1): IEEE-style, so overflow goes to infinity from 61440 on. */
class E5M2Test {
    private static final Fp8Grid GRID = Fp8Grid.of(c -> E5M2.decode((byte) c));
    /** Halfway between the largest finite value 57344 = 1.75 * 2^15 and 2^16: the tie goes to the even 2^16, i.e. infinity. */
    private static final double OVERFLOW = (57344.0 + 65536.0) / 2;

    private static double closedForm(int c) {
        int e = (c >> 2) & 31, m = c & 3;
        double mag = e == 0 ? m / 65536.0 : (4 + m) / 4.0 * Math.pow(2, e - 15);
        return (c & 0x80) != 0 ? -mag : mag;
    }

    @Test
    void decodeMatchesTheBitFields() {
        for (int c = 0; c < 256; c++) {
            double v = E5M2.decode((byte) c);
            int e = (c >> 2) & 31;
            if (e == 31) {
                if ((c & 3) == 0) assertEquals((c & 0x80) != 0 ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY, v);
                else assertTrue(Double.isNaN(v), "code " + c);
            } else {
                assertEquals(Double.doubleToRawLongBits(closedForm(c)), Double.doubleToRawLongBits(v), "code " + c);
            }
        }
        assertEquals(57344.0, E5M2.MAX);
        assertEquals(E5M2.MAX, GRID.max());
        assertEquals(0x1p-16, E5M2.decode((byte) 0x01));
        assertEquals(0x1p-14, E5M2.decode((byte) 0x04));
        assertEquals(61440.0, OVERFLOW);
    }

    @Test
    void everyCodeRoundTrips() {
        for (int c = 0; c < 256; c++) {
            double v = E5M2.decode((byte) c);
            int back = E5M2.encode(v) & 0xFF;
            if (Double.isNaN(v)) {
                assertEquals(0x7C, back & 0x7C, "NaN code " + c + " encodes to an all-ones exponent");
                assertTrue((back & 3) != 0, "NaN code " + c + " encodes to a NaN, not infinity");
                assertEquals(c & 0x80, back & 0x80, "NaN code " + c + " keeps its sign");
            } else {
                assertEquals(c, back, "code 0x" + Integer.toHexString(c) + " = " + v);
            }
        }
    }

    @Test
    void midpointsTieToEven() {
        double[] v = GRID.values();
        int[] code = GRID.codes();
        for (int i = 0; i + 1 < v.length; i++) {
            double mid = (v[i] + v[i + 1]) / 2;
            int even = (code[i] & 1) == 0 ? code[i] : code[i + 1];
            assertEquals(even, E5M2.encode(mid) & 0xFF, "tie between " + v[i] + " and " + v[i + 1]);
            assertEquals(even | 0x80, E5M2.encode(-mid) & 0xFF, "negative tie between " + v[i] + " and " + v[i + 1]);
            assertEquals(code[i], E5M2.encode(Math.nextDown(mid)) & 0xFF);
            assertEquals(code[i + 1], E5M2.encode(Math.nextUp(mid)) & 0xFF);
        }
        assertEquals(0x00, E5M2.encode(0x1p-17) & 0xFF, "0 / smallest subnormal tie goes to zero");
        assertEquals(0x80, E5M2.encode(-0x1p-17) & 0xFF);
    }

    @Test
    void overflowGoesToInfinityFrom61440() {
        assertEquals(0x7B, E5M2.encode(Math.nextDown(OVERFLOW)) & 0xFF, "just below the threshold stays at 57344");
        assertEquals(0xFB, E5M2.encode(-Math.nextDown(OVERFLOW)) & 0xFF);
        for (double x : new double[] {OVERFLOW, 65536, 1e9, Double.MAX_VALUE, Double.POSITIVE_INFINITY}) {
            assertEquals(0x7C, E5M2.encode(x) & 0xFF, "overflows " + x);
            assertEquals(0xFC, E5M2.encode(-x) & 0xFF, "overflows " + -x);
        }
    }

    @Test
    void nanEncodesToANanCodeWithItsSign() {
        int pos = E5M2.encode(Double.NaN) & 0xFF, neg = E5M2.encode(Math.copySign(Double.NaN, -1)) & 0xFF;
        assertTrue(Double.isNaN(E5M2.decode((byte) pos)) && pos < 128);
        assertTrue(Double.isNaN(E5M2.decode((byte) neg)) && neg >= 128);
    }

    @Property(tries = 200, seed = "5711")
    void roundingIsMonotone(@ForAll("wide") double x, @ForAll("wide") double y) {
        double lo = Math.min(x, y), hi = Math.max(x, y);
        assertTrue(E5M2.round(lo) <= E5M2.round(hi), () -> lo + " and " + hi);
    }

    @Property(tries = 200, seed = "5712")
    void resultIsTheNearerNeighbour(@ForAll("wide") double x) {
        double r = E5M2.round(x);
        double a = Math.abs(x);
        if (a >= OVERFLOW) {
            assertEquals(Math.copySign(Double.POSITIVE_INFINITY, x), r);
            return;
        }
        int i = GRID.floorIndex(Math.min(a, GRID.max()));
        double below = GRID.values()[i];
        // between 57344 and the threshold the upper neighbour is 2^16 (infinity), which is farther
        double above = below == a ? a : i + 1 < GRID.values().length ? GRID.values()[i + 1] : 65536.0;
        double ra = Math.abs(r);
        assertTrue(ra == below || ra == above, () -> x + " rounded to " + r);
        assertTrue(Math.abs(ra - a) <= Math.abs((ra == below ? above : below) - a), () -> x + " rounded to the farther neighbour " + r);
    }

    @Provide
    Arbitrary<Double> wide() {
        return Combinators.combine(Arbitraries.doubles().between(-2, 2).ofScale(12), Arbitraries.integers().between(-18, 16))
                .as((m, e) -> Math.scalb(m, e));
    }
}
