package org.dsv32.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.ScaleFormat;
import org.junit.jupiter.api.Test;

class ReferenceActQuantTest {
    /** The finite non-negative E4M3 values in increasing order, from the decoder (the grid the codes live on). */
    private static final double[] GRID = gridFromCodes();

    private static double[] gridFromCodes() {
        double[] g = new double[127];
        int n = 0;
        for (int c = 0; c < 0x80; c++) if (!Double.isNaN(E4M3.decode((byte) c))) g[n++] = E4M3.decode((byte) c);
        double[] out = Arrays.copyOf(g, n);
        Arrays.sort(out);
        return out;
    }

    /** Half the spacing of the two grid values around a (0 <= a <= 448). */
    private static double halfGridSpacing(double a) {
        int i = Arrays.binarySearch(GRID, a);
        if (i >= 0) return 0;
        int hi = -i - 1;
        return (GRID[hi] - GRID[hi - 1]) / 2;
    }

    private static ActQuantOp op(ScaleFormat f) { return TestContexts.op(ActQuantOp.class, TestContexts.context(PrecisionMode.FP8, f)); }

    private static double tileAmax(TensorF64 x, int r, int t) {
        double m = 0;
        for (int c = t * 128; c < (t + 1) * 128; c++) m = Math.max(m, Math.abs(x.at(r, c)));
        return m;
    }

    @Property(tries = 40, seed = "424242")
    void codesAreFiniteAndWithin448(@ForAll long seed, @ForAll boolean ue8m0, @IntRange(min = 1, max = 4) @ForAll int tiles) {
        TensorF64 x = TestWeights.activation(3, 128 * tiles, new Random(seed));
        QuantizedActivation q = op(ue8m0 ? ScaleFormat.UE8M0 : ScaleFormat.PLAIN).quantize(x, ue8m0 ? ScaleFormat.UE8M0 : ScaleFormat.PLAIN);
        assertEquals(3, q.rows());
        assertEquals(128 * tiles, q.cols());
        for (byte c : q.codes()) {
            double v = E4M3.decode(c);
            assertFalse(Double.isNaN(v), "NaN code for finite input");
            assertTrue(Math.abs(v) <= 448.0);
        }
    }

    @Property(tries = 40, seed = "8675309")
    void ue8m0ScalesArePowersOfTwoAtOrAboveThePlainScale(@ForAll long seed) {
        TensorF64 x = TestWeights.activation(4, 512, new Random(seed));
        QuantizedActivation plain = op(ScaleFormat.PLAIN).quantize(x, ScaleFormat.PLAIN);
        QuantizedActivation pow2 = op(ScaleFormat.UE8M0).quantize(x, ScaleFormat.UE8M0);
        for (int r = 0; r < 4; r++) {
            for (int t = 0; t < 4; t++) {
                float s = pow2.scale(r, t), p = plain.scale(r, t);
                assertEquals(0, Float.floatToRawIntBits(s) & 0x807FFFFF, s + " is not a positive power of two");
                // the smallest power of two >= p: p itself if it is one, else 2^(floor(log2 p) + 1)
                double smallest = Math.scalb(1.0, Math.getExponent(p));
                if (smallest < p) smallest *= 2;
                assertEquals(smallest, s, 0.0, "ue8m0 must round the plain scale " + p + " UP to a power of two");
            }
        }
    }

    @Property(tries = 40, seed = "31337")
    void plainScaleIsAmaxOver448InFp32(@ForAll long seed) {
        TensorF64 x = TestWeights.activation(2, 384, new Random(seed));
        QuantizedActivation q = op(ScaleFormat.PLAIN).quantize(x, ScaleFormat.PLAIN);
        for (int r = 0; r < 2; r++) {
            for (int t = 0; t < 3; t++) {
                double amax = Math.max(tileAmax(x, r, t), 1e-4);
                float expected = (float) amax * (float) (1.0 / 448);
                assertEquals(expected, q.scale(r, t), 0.0f, "fp32(fp32(amax) * fp32(1/448))");
                // and that is amax / 448 up to the fp32 roundings (two roundings of 2^-24 and the reciprocal's)
                assertEquals(amax / 448, q.scale(r, t), 3 * Math.ulp(q.scale(r, t)));
            }
        }
    }

    @Property(tries = 60, seed = "2718281828")
    void dequantisationErrorIsAtMostHalfAnE4m3SpacingTimesScale(@ForAll long seed, @ForAll boolean ue8m0) {
        ScaleFormat f = ue8m0 ? ScaleFormat.UE8M0 : ScaleFormat.PLAIN;
        TensorF64 x = TestWeights.activation(3, 256, new Random(seed));
        QuantizedActivation q = op(f).quantize(x, f);
        TensorF64 back = q.dequantize();
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 256; c++) {
                double s = q.scale(r, c / 128);
                double a = Math.abs(x.at(r, c) / s);
                // plain scales may be a hair below amax / 448 (fp32(fp32(amax) * fp32(1/448)): three fp32 roundings),
                // then the value saturates at 448
                assertTrue(a <= 448 * (1 + KernelTolerances.fp32(3)), "|x / s| = " + a);
                // plus two float64 ulps of x: a = |x / s| is itself a rounded float64 quotient
                double bound = (halfGridSpacing(Math.min(a, 448)) + Math.max(0, a - 448)) * s + 2 * Math.ulp(x.at(r, c));
                double err = Math.abs(x.at(r, c) - back.at(r, c));
                assertTrue(err <= bound, "error " + err + " > " + bound + " at (" + r + ", " + c + ")");
                assertEquals(Math.signum(x.at(r, c)) * Math.signum(back.at(r, c)) >= 0, true, "sign flipped");
            }
        }
    }

    @Test
    void allZeroTileHasTheFlooredScaleAndDequantisesToZero() {
        TensorF64 x = TensorF64.zeros(1, 256);
        for (int c = 128; c < 256; c++) x.put(0, c, c - 200.0); // a second, non-zero tile
        for (ScaleFormat f : ScaleFormat.values()) {
            QuantizedActivation q = op(f).quantize(x, f);
            float s = q.scale(0, 0);
            assertTrue(Float.isFinite(s) && s > 0, "scale of an all-zero tile must be finite and positive, got " + s);
            float plain = (float) 1e-4 * (float) (1.0 / 448);
            assertEquals(f == ScaleFormat.PLAIN ? plain : s, s);
            if (f == ScaleFormat.UE8M0) assertTrue(s >= plain && s < 2 * plain);
            TensorF64 back = q.dequantize();
            for (int c = 0; c < 128; c++) assertEquals(0.0, back.at(0, c), 0.0, "column " + c);
        }
    }

    @Test
    void theLargestElementMapsNear448AndSaturatesNoFurther() {
        Random rnd = new Random(7);
        for (ScaleFormat f : ScaleFormat.values()) {
            for (double amax : new double[] {1.0, 3.0, 448.0, 1e-3, 12345.678, 0.1}) {
                TensorF64 x = TestWeights.matrix(1, 128, amax / 2, rnd);
                x.put(0, 17, amax);
                x.put(0, 99, -amax);
                QuantizedActivation q = op(f).quantize(x, f);
                double top = E4M3.decode(q.code(0, 17)), bottom = E4M3.decode(q.code(0, 99));
                assertEquals(-top, bottom, 0.0);
                if (f == ScaleFormat.PLAIN) assertEquals(448.0, top, 0.0, "amax " + amax);
                else assertTrue(top > 224 - 16 && top <= 448, "ue8m0: amax / s lies in (224, 448], got " + top);
                assertEquals(amax, top * q.scale(0, 0), amax * E4M3.UNIT_ROUNDOFF);
            }
        }
    }

    @Test
    void roundsToNearestEvenOnTheScaledGrid() {
        // amax 1 gives the plain scale s = fp32(1/448); x = k * s then has x / s = k exactly
        TensorF64 x = TensorF64.zeros(1, 128);
        x.put(0, 0, 1.0);
        float s = (float) (1.0 / 448);
        // ties between grid neighbours (normal, and subnormal where the spacing is 2^-9), and one plain rounding
        double[] ratios = {1.0625, 1.1875, -1.0625, 2.125, 0x1p-9 * 2.5, 0x1p-9 * 3.5, 1.03};
        double[] nearestEven = {1.0, 1.25, -1.0, 2.0, 0x1p-9 * 2, 0x1p-9 * 4, 1.0};
        for (int i = 0; i < ratios.length; i++) x.put(0, 1 + i, ratios[i] * s);
        QuantizedActivation q = op(ScaleFormat.PLAIN).quantize(x, ScaleFormat.PLAIN);
        assertEquals(s, q.scale(0, 0));
        for (int i = 0; i < ratios.length; i++) assertEquals(nearestEven[i], E4M3.decode(q.code(0, 1 + i)), 0.0, "x / s = " + ratios[i]);
    }

    @Test
    void tilesAreIndependent() {
        TensorF64 x = TestWeights.activation(2, 384, new Random(11));
        QuantizedActivation whole = op(ScaleFormat.UE8M0).quantize(x, ScaleFormat.UE8M0);
        for (int t = 0; t < 3; t++) {
            TensorF64 part = TensorF64.zeros(2, 128);
            for (int r = 0; r < 2; r++) for (int c = 0; c < 128; c++) part.put(r, c, x.at(r, t * 128 + c));
            QuantizedActivation q = op(ScaleFormat.UE8M0).quantize(part, ScaleFormat.UE8M0);
            for (int r = 0; r < 2; r++) {
                assertEquals(whole.scale(r, t), q.scale(r, 0));
                for (int c = 0; c < 128; c++) assertEquals(whole.code(r, t * 128 + c), q.code(r, c));
            }
        }
    }

    @Test
    void inputIsNotModified() {
        TensorF64 x = TestWeights.activation(2, 256, new Random(5));
        double[] before = x.toArray();
        op(ScaleFormat.UE8M0).quantize(x, ScaleFormat.UE8M0);
        assertTrue(Arrays.equals(before, x.toArray()));
    }

    @Test
    void nanPoisonsItsTileOnly() {
        for (ScaleFormat f : ScaleFormat.values()) {
            TensorF64 x = TestWeights.matrix(1, 256, 1.0, new Random(3));
            x.put(0, 5, Double.NaN);
            QuantizedActivation q = op(f).quantize(x, f);
            assertTrue(Float.isNaN(q.scale(0, 0)), "NaN propagates through amax into the scale");
            assertTrue(Double.isNaN(E4M3.decode(q.code(0, 5))));
            TensorF64 back = q.dequantize();
            for (int c = 0; c < 128; c++) assertTrue(Double.isNaN(back.at(0, c)), "column " + c);
            assertTrue(Float.isFinite(q.scale(0, 1)));
            for (int c = 128; c < 256; c++) assertTrue(Double.isFinite(back.at(0, c)), "column " + c);
        }
    }

    @Test
    void infinityGivesAnInfiniteScaleAndZeroCodesForTheFiniteElements() {
        for (ScaleFormat f : ScaleFormat.values()) {
            TensorF64 x = TestWeights.matrix(1, 128, 1.0, new Random(4));
            x.put(0, 9, Double.NEGATIVE_INFINITY);
            QuantizedActivation q = op(f).quantize(x, f);
            assertEquals(Float.POSITIVE_INFINITY, q.scale(0, 0));
            assertTrue(Double.isNaN(E4M3.decode(q.code(0, 9))), "-inf / inf is NaN");
            for (int c = 0; c < 128; c++) if (c != 9) assertEquals(0.0, Math.abs(E4M3.decode(q.code(0, c))), 0.0);
        }
    }

    @Test
    void columnsMustBeAMultipleOf128() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> op(ScaleFormat.UE8M0).quantize(TensorF64.zeros(2, 200), ScaleFormat.UE8M0));
        assertTrue(e.getMessage().contains("200") && e.getMessage().contains("128"), e.getMessage());
    }
}
