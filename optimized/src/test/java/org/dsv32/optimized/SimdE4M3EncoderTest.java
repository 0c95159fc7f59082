package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.dsv32.spec.format.E4M3;
import org.junit.jupiter.api.Test;

/**
 * The float32 e4m3 encoder (scalar {@link Fp8Codec#encodeE4M3} and the vector lanes at every width) equals the
 * specification's {@link E4M3#encode(double)} bit for bit, on every rounding boundary and on random bit patterns.
 */
class SimdE4M3EncoderTest {
    /** Every float whose rounding is delicate: each e4m3 value and each midpoint, and their fp32 neighbours. */
    static float[] edgeSet() {
        List<Float> v = new ArrayList<>();
        for (int c = 0; c < 256; c++) {
            double d = E4M3.decode((byte) c);
            double next = c < 255 ? E4M3.decode((byte) (c + 1)) : d;
            for (double base : new double[] {d, (d + next) / 2}) {
                float f = (float) base;
                float lo = f, hi = f;
                for (int s = 0; s < 4; s++) {
                    v.add(lo);
                    v.add(hi);
                    lo = Math.nextDown(lo);
                    hi = Math.nextUp(hi);
                }
            }
        }
        // subnormal grid midpoints k * 2^-10 and the saturation region
        for (int k = 0; k <= 20; k++) {
            float f = k * 0x1p-10f;
            v.add(f); v.add(-f); v.add(Math.nextUp(f)); v.add(Math.nextDown(f));
        }
        for (float f : new float[] {448f, 449f, 464f, Math.nextDown(464f), 464f, Math.nextUp(464f), 480f, 1e6f, Float.MAX_VALUE,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0xFFC00001),
                Float.intBitsToFloat(0x7F800001), Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 0f, -0f}) {
            v.add(f); v.add(-f);
        }
        // every fp32 exponent that can reach the e4m3 range, with mantissas exercising the round and sticky bits
        int[] mantissas = {0, 1, 0x7FFFF, 0x80000, 0x80001, 0xFFFFF, 0x100000, 0x17FFFF, 0x180000, 0x180001, 0x280000, 0x7FFFFF};
        for (int e = 127 - 20; e <= 127 + 10; e++) {
            for (int top = 0; top < 8; top++) {
                for (int m : mantissas) {
                    int bits = (e << 23) | ((top << 20) | (m & 0xFFFFF));
                    v.add(Float.intBitsToFloat(bits));
                    v.add(Float.intBitsToFloat(bits | 0x80000000));
                }
            }
        }
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i);
        return out;
    }

    static float[] randomBits(long seed, int n) {
        Random rnd = new Random(seed);
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            // half arbitrary bit patterns, half concentrated on the e4m3 range
            f[i] = i % 2 == 0 ? Float.intBitsToFloat(rnd.nextInt()) : (float) (rnd.nextGaussian() * Math.scalb(1.0, rnd.nextInt(24) - 14));
        }
        return f;
    }

    private static void assertEncodesLikeSpec(float[] values) {
        for (int bits : SimdSpecies.supportedBits()) {
            byte[] codes = new byte[values.length];
            SimdSpecies.withBits(bits, () -> SimdRowKernels.current().encodeE4M3(values, 0, values.length, codes, 0));
            for (int i = 0; i < values.length; i++) {
                byte expected = E4M3.encode(values[i]);
                if (codes[i] != expected) {
                    assertEquals(expected, codes[i], "width " + bits + ": e4m3 code of " + values[i] + " (bits 0x"
                            + Integer.toHexString(Float.floatToRawIntBits(values[i])) + ")");
                }
            }
        }
    }

    @Test
    void scalarEncoderMatchesSpecOnEdges() {
        for (float f : edgeSet()) assertEquals(E4M3.encode(f), Fp8Codec.encodeE4M3(f), () -> "code of " + f);
    }

    @Test
    void everyWidthMatchesSpecOnEdges() { assertEncodesLikeSpec(edgeSet()); }

    @Property(tries = 5, seed = "20251117")
    void everyWidthMatchesSpecOnRandomBits(@ForAll long seed) { assertEncodesLikeSpec(randomBits(seed, 200_000)); }

    @Test
    void quantizeDecodesItsCodesExactly() {
        float[] v = edgeSet();
        for (int bits : SimdSpecies.supportedBits()) {
            byte[] codes = new byte[v.length];
            float[] q = new float[v.length];
            SimdSpecies.withBits(bits, () -> SimdRowKernels.current().quantize(v, 0, v.length, 1f, codes, 0, q, 0));
            for (int i = 0; i < v.length; i++) {
                assertEquals(E4M3.encode(v[i]), codes[i]);
                assertEquals(Float.floatToIntBits(E4M3.decodeFloat(codes[i])), Float.floatToIntBits(q[i]), "width " + bits + " value of code " + codes[i]);
            }
        }
    }
}
