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

/** E4M3FN (spec/SEMANTICS.md §1): every code, every tie, saturation, NaN, and rounding to the nearer neighbour. */
class E4M3Test {
    private static final Fp8Grid GRID = Fp8Grid.of(c -> E4M3.decode((byte) c));

    /** The value of a code from its bit fields, written out independently of the class under test. */
    private static double closedForm(int c) {
        int e = (c >> 3) & 15, m = c & 7;
        double mag = e == 0 ? m / 512.0 : (8 + m) / 8.0 * Math.pow(2, e - 7);
        return (c & 0x80) != 0 ? -mag : mag;
    }

    @Test
    void decodeMatchesTheBitFieldsAndTheNamedValues() {
        for (int c = 0; c < 256; c++) {
            if ((c & 0x7F) == 0x7F) {
                assertTrue(Double.isNaN(E4M3.decode((byte) c)), "code " + c);
                assertEquals(c >= 128, Double.doubleToRawLongBits(E4M3.decode((byte) c)) < 0, "NaN sign, code " + c);
            } else {
                assertEquals(Double.doubleToRawLongBits(closedForm(c)), Double.doubleToRawLongBits(E4M3.decode((byte) c)), "code " + c);
            }
        }
        assertEquals(448.0, E4M3.decode((byte) 0x7E));
        assertEquals(-448.0, E4M3.decode((byte) 0xFE));
        assertEquals(0x1p-6, E4M3.decode((byte) 0x08));
        assertEquals(0x1p-9, E4M3.decode((byte) 0x01));
        assertEquals(1.0, E4M3.decode((byte) 0x38));
        assertEquals(126, GRID.values().length - 1, "126 positive finite values plus zero");
        assertEquals(E4M3.MAX, GRID.max());
    }

    @Test
    void everyCodeRoundTrips() {
        for (int c = 0; c < 256; c++) {
            double v = E4M3.decode((byte) c);
            int back = E4M3.encode(v) & 0xFF;
            if (Double.isNaN(v)) {
                assertEquals(0x7F, back & 0x7F, "NaN code " + c + " must encode to a NaN code");
                assertEquals(c & 0x80, back & 0x80, "NaN code " + c + " keeps its sign");
            } else {
                assertEquals(c, back, "code 0x" + Integer.toHexString(c) + " = " + v);
            }
        }
        assertEquals(0x00, E4M3.encode(0.0) & 0xFF);
        assertEquals(0x80, E4M3.encode(-0.0) & 0xFF);
    }

    @Test
    void midpointsTieToEvenAndTheirNeighboursRoundToTheNearer() {
        double[] v = GRID.values();
        int[] code = GRID.codes();
        for (int i = 0; i + 1 < v.length; i++) {
            double mid = (v[i] + v[i + 1]) / 2; // exact: both are on a grid with far fewer than 52 bits
            int even = (code[i] & 1) == 0 ? code[i] : code[i + 1];
            assertEquals(0, code[i] & 1 ^ code[i + 1] & 1 ^ 1, "adjacent codes differ in parity");
            assertEquals(even, E4M3.encode(mid) & 0xFF, "tie between " + v[i] + " and " + v[i + 1]);
            assertEquals(even | 0x80, E4M3.encode(-mid) & 0xFF, "negative tie between " + v[i] + " and " + v[i + 1]);
            assertEquals(code[i], E4M3.encode(Math.nextDown(mid)) & 0xFF, "just below the midpoint " + mid);
            assertEquals(code[i + 1], E4M3.encode(Math.nextUp(mid)) & 0xFF, "just above the midpoint " + mid);
        }
        // the first tie, between 0 and the smallest subnormal, goes to zero (even), keeping the sign
        assertEquals(0x00, E4M3.encode(0x1p-10) & 0xFF);
        assertEquals(0x80, E4M3.encode(-0x1p-10) & 0xFF);
        assertEquals(0x01, E4M3.encode(Math.nextUp(0x1p-10)) & 0xFF);
    }

    @Test
    void beyondTheRangeSaturates() {
        double[] big = {448, Math.nextUp(448.0), 460, 464, 479.9, 480, 512, 1e6, Double.MAX_VALUE, Double.POSITIVE_INFINITY};
        for (double x : big) {
            assertEquals(0x7E, E4M3.encode(x) & 0xFF, "saturates " + x);
            assertEquals(0xFE, E4M3.encode(-x) & 0xFF, "saturates " + -x);
        }
        assertEquals(448.0, E4M3.round(Double.POSITIVE_INFINITY));
        assertEquals(-448.0, E4M3.round(Double.NEGATIVE_INFINITY));
    }

    @Test
    void nanEncodesToANanCodeWithItsSign() {
        assertEquals(0x7F, E4M3.encode(Double.NaN) & 0xFF);
        assertEquals(0xFF, E4M3.encode(Math.copySign(Double.NaN, -1.0)) & 0xFF);
        assertEquals(0x7F, E4M3.encode(Double.longBitsToDouble(0x7FF0000000000001L)) & 0xFF, "signalling NaN payload");
        assertTrue(Double.isNaN(E4M3.round(Double.NaN)));
    }

    @Property(tries = 200, seed = "4711")
    void roundingIsMonotone(@ForAll("wide") double x, @ForAll("wide") double y) {
        double lo = Math.min(x, y), hi = Math.max(x, y);
        assertTrue(E4M3.round(lo) <= E4M3.round(hi), () -> lo + " -> " + E4M3.round(lo) + " but " + hi + " -> " + E4M3.round(hi));
    }

    @Property(tries = 200, seed = "4712")
    void resultIsTheNearerNeighbour(@ForAll("wide") double x) {
        double r = E4M3.round(x);
        double a = Math.abs(x);
        if (a >= E4M3.MAX) {
            assertEquals(Math.copySign(E4M3.MAX, x), r);
            return;
        }
        int i = GRID.floorIndex(a);
        double below = GRID.values()[i];
        double above = below == a ? a : GRID.values()[i + 1];
        double ra = Math.abs(r);
        assertTrue(ra == below || ra == above, () -> x + " rounded to " + r + ", not a neighbour of " + below + ", " + above);
        assertTrue(Math.abs(ra - a) <= Math.abs((ra == below ? above : below) - a), () -> x + " rounded to the farther neighbour " + r);
        assertEquals(Math.copySign(1.0, x), Math.copySign(1.0, r), "sign kept");
    }

    /** Doubles spread over every binade of the format and beyond it, both signs. */
    @Provide
    Arbitrary<Double> wide() {
        return Combinators.combine(Arbitraries.doubles().between(-2, 2).ofScale(12), Arbitraries.integers().between(-12, 9))
                .as((m, e) -> Math.scalb(m, e));
    }
}
