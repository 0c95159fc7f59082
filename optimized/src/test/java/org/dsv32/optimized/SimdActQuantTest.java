package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.format.UE8M0;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.ScaleFormat;
import org.junit.jupiter.api.Test;

/**
 * act_quant in float32 against spec/SEMANTICS.md computed in float64. With ue8m0 scales the codes must be identical
 * (x / s is exact in fp32); with plain scales a code may differ only where the exact quotient is within fp32
 * rounding (2^-24 relative) of an e4m3 rounding midpoint.
 */
class SimdActQuantTest {
    private static QuantizedActivation simd(float[] x, int rows, int cols, ScaleFormat f, int bits) {
        return SimdSpecies.withBits(bits, () -> new SimdActQuant().quantize(TensorF64.wrap(SimdTestData.toDoubles(x), rows, cols), f));
    }

    @Property(tries = 20, seed = "7")
    void ue8m0CodesAndScalesEqualFloat64AtEveryWidth(@ForAll long seed, @ForAll @IntRange(min = 1, max = 4) int rows,
                                                     @ForAll @IntRange(min = 1, max = 4) int tiles) {
        Random rnd = new Random(seed);
        int cols = 128 * tiles;
        float[] x = SimdTestData.gaussian(rnd, rows * cols, (float) Math.scalb(1.0, rnd.nextInt(20) - 10));
        QuantizedActivation expected = SimdTestData.actQuantFloat64(x, rows, cols, ScaleFormat.UE8M0);
        for (int bits : SimdSpecies.supportedBits()) {
            QuantizedActivation q = simd(x, rows, cols, ScaleFormat.UE8M0, bits);
            assertArrayEquals(expected.scales(), q.scales(), "scales at width " + bits);
            assertArrayEquals(expected.codes(), q.codes(), "codes at width " + bits);
            for (float s : q.scales()) assertEquals(s, UE8M0.roundUp(s), "scale is a power of two");
        }
    }

    @Property(tries = 20, seed = "8")
    void plainScaleCodesDifferOnlyAtFp32Ties(@ForAll long seed) {
        Random rnd = new Random(seed);
        int rows = 3, cols = 256;
        float[] x = SimdTestData.gaussian(rnd, rows * cols, 3f);
        QuantizedActivation expected = SimdTestData.actQuantFloat64(x, rows, cols, ScaleFormat.PLAIN);
        for (int bits : SimdSpecies.supportedBits()) {
            QuantizedActivation q = simd(x, rows, cols, ScaleFormat.PLAIN, bits);
            assertArrayEquals(expected.scales(), q.scales());
            for (int i = 0; i < x.length; i++) {
                if (q.codes()[i] == expected.codes()[i]) continue;
                double quotient = x[i] / (double) q.scales()[(i / cols) * (cols / 128) + (i % cols) / 128];
                double a = E4M3.decode(q.codes()[i]), b = E4M3.decode(expected.codes()[i]);
                double mid = (a + b) / 2;
                assertTrue(Math.abs(quotient - mid) <= Math.abs(mid) * 2 * Tolerances.U_FP32, "code " + q.codes()[i] + " vs "
                        + expected.codes()[i] + " for x/s = " + quotient + " which is not at a midpoint");
            }
        }
    }

    @Test
    void allZeroTileUsesTheAmaxFloor() {
        float[] x = new float[256];
        for (int i = 128; i < 256; i++) x[i] = 1f;
        for (int bits : SimdSpecies.supportedBits()) {
            QuantizedActivation q = simd(x, 1, 256, ScaleFormat.UE8M0, bits);
            assertEquals(UE8M0.roundUp(1e-4f * (1f / 448f)), q.scale(0, 0), "floored scale");
            for (int i = 0; i < 128; i++) assertEquals(0, q.code(0, i), "zero codes, not NaN");
            assertEquals(UE8M0.roundUp(1f / 448f), q.scale(0, 1));
        }
    }

    @Test
    void nanMakesItsTileNanAndInfinityGivesZerosAndNan() {
        float[] x = new float[384];
        for (int i = 0; i < x.length; i++) x[i] = (i % 7) - 3f;
        x[5] = Float.NaN;
        x[130] = Float.POSITIVE_INFINITY;
        for (int bits : SimdSpecies.supportedBits()) {
            QuantizedActivation q = simd(x, 1, 384, ScaleFormat.UE8M0, bits);
            assertTrue(Float.isNaN(q.scale(0, 0)));
            for (int i = 0; i < 128; i++) assertTrue(Double.isNaN(E4M3.decode(q.code(0, i))), "NaN tile, column " + i);
            assertEquals(Float.POSITIVE_INFINITY, q.scale(0, 1));
            for (int i = 128; i < 256; i++) {
                double v = E4M3.decode(q.code(0, i));
                if (i == 130) assertTrue(Double.isNaN(v), "inf / inf");
                else assertEquals(0.0, Math.abs(v), "finite / inf is a signed zero");
            }
            QuantizedActivation clean = simd(java.util.Arrays.copyOfRange(x, 256, 384), 1, 128, ScaleFormat.UE8M0, bits);
            assertEquals(clean.scale(0, 0), q.scale(0, 2), "other tiles unaffected");
        }
    }

    @Test
    void saturatesAtTheTileMaximum() {
        float[] x = new float[128];
        x[0] = 1000f;
        x[1] = -1000f;
        x[2] = 999.9f;
        QuantizedActivation q = simd(x, 1, 128, ScaleFormat.PLAIN, SimdSpecies.preferredBits());
        assertEquals(448.0, E4M3.decode(q.code(0, 0)));
        assertEquals(-448.0, E4M3.decode(q.code(0, 1)));
        assertTrue(E4M3.decode(q.code(0, 2)) <= 448.0);
    }
}
