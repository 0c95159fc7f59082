package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.spec.weights.Fp8BlockWeight;

/**
 * The FP8 GEMV fast path ({@link SimdGemvRows}: x rescaled by a power of two, codes decoded without their 2^120)
 * gives the canonical bits at every width: the scalar kernel (width 0) decodes every code exactly and never
 * rescales, so any rounding that the rescaling changed (a partial sum pushed out of the normal range, an overflow
 * moved) shows as a bit difference. Rows span the whole float range, act_quant-like rows of e4m3 values reach
 * 448 (the s < 0 case), and scales go from tiny to near overflow. Each width runs twice per weight: once
 * transposing the codes, once reading them repacked.
 */
class SimdGemvRescalingProperties {
    private static final int N = 192, K = 256;

    @Property(tries = 60, seed = "20261129")
    void everyWidthGivesTheCanonicalBits(@ForAll long seed, @ForAll @IntRange(min = -150, max = 127) int exponent,
                                         @ForAll boolean e4m3Row, @ForAll @IntRange(min = -126, max = 100) int scaleExponent) {
        Random rnd = new Random(seed);
        Fp8BlockWeight w = weight(rnd, scaleExponent);
        float[] x = new float[K];
        for (int i = 0; i < K; i++) {
            double v = e4m3Row ? Fp8Codec.decodeE4M3((byte) rnd.nextInt(256)) : rnd.nextGaussian();
            if (Double.isNaN(v)) v = 448;
            x[i] = (float) Math.scalb(v, e4m3Row ? Math.min(exponent, 0) : exponent);
            if (rnd.nextInt(16) == 0) x[i] = 0f;
        }
        float[] sa = new float[K / 128];
        for (int b = 0; b < sa.length; b++) sa[b] = Math.scalb(1f, rnd.nextInt(40) - 20);
        float[] canonical = gemv(0, x, sa, w);
        for (int bits : SimdSpecies.supportedBits()) {
            // the second call on a weight reads its repacked codes (SimdWeightCache.packedCodes), the first transposes
            for (String call : new String[] {"first call", "repacked"}) {
                float[] y = gemv(bits, x, sa, w);
                for (int c = 0; c < N; c++) {
                    if (Float.floatToIntBits(y[c]) != Float.floatToIntBits(canonical[c])) {
                        fail("width " + bits + " (" + call + "), row 2^" + exponent + (e4m3Row ? " e4m3" : "") + ", scales 2^"
                                + scaleExponent + ": y[" + c + "] = " + y[c] + ", canonical " + canonical[c]);
                    }
                }
            }
        }
    }

    /**
     * One scan of x shared by products with weights of very different scales (the first sends the row the general
     * way, the others rescale it) gives each product its canonical bits.
     */
    @Property(tries = 20, seed = "1129")
    void aScanSharedBetweenProductsGivesTheCanonicalBits(@ForAll long seed, @ForAll @IntRange(min = -126, max = 100) int scaleA,
                                                           @ForAll @IntRange(min = -126, max = 100) int scaleB) {
        Random rnd = new Random(seed);
        // the first weight's scales near 2^126 send the row the general way: the next products must still get its
        // rescaled values
        Fp8BlockWeight[] ws = {weight(rnd, 126), weight(rnd, scaleA), weight(rnd, scaleB)};
        float[] x = new float[K];
        for (int i = 0; i < K; i++) x[i] = (float) Fp8Codec.decodeE4M3((byte) (rnd.nextInt(256) & 0xF7)) * 0x1p-3f;
        float[] sa = {0x1p20f, 0x1p-20f};
        for (int bits : SimdSpecies.supportedBits()) {
            SimdGemvRows.Input shared = new SimdGemvRows.Input(x, 1, K);
            for (int j = 0; j < ws.length; j++) {
                Fp8BlockWeight w = ws[j];
                float[] y = new float[N];
                SimdSpecies.withBits(bits, () -> SimdGemmDriver.gemv(SimdGemmProblem.fp8(x, sa, 1, w, y), shared));
                float[] canonical = gemv(0, x, sa, w);
                for (int c = 0; c < N; c++) {
                    assertEquals(Float.floatToIntBits(canonical[c]), Float.floatToIntBits(y[c]), "width " + bits + " weight " + j + " y[" + c + "]");
                }
            }
        }
    }

    /** The cases the fast path must refuse still give the canonical bits (through the general path). */
    @Property(tries = 20, seed = "29")
    void nonFiniteAndExtremeRowsStayCanonical(@ForAll long seed, @ForAll @IntRange(min = 0, max = 4) int kind) {
        Random rnd = new Random(seed);
        Fp8BlockWeight w = weight(rnd, kind == 3 ? 126 : -8);
        float[] x = new float[K];
        for (int i = 0; i < K; i++) x[i] = (float) rnd.nextGaussian();
        switch (kind) {
            case 0 -> x[rnd.nextInt(K)] = Float.NaN;
            case 1 -> x[rnd.nextInt(K)] = Float.NEGATIVE_INFINITY;
            case 2 -> { x[0] = 0x1p120f; x[1] = Float.MIN_VALUE; } // huge and subnormal in one row
            case 3 -> x[0] = 300f; // s < 0 with sa * sw near overflow: (sa sw) 2^-s would overflow
            default -> { for (int i = 0; i < K; i++) x[i] *= 0x1p118f; } // block sums overflow in float32
        }
        float[] sa = {2f, 2f};
        float[] canonical = gemv(0, x, sa, w);
        for (int bits : SimdSpecies.supportedBits()) {
            float[] y = gemv(bits, x, sa, w);
            for (int c = 0; c < N; c++) assertEquals(Float.floatToIntBits(canonical[c]), Float.floatToIntBits(y[c]), "width " + bits + " kind " + kind + " y[" + c + "]");
        }
    }

    private static float[] gemv(int bits, float[] x, float[] sa, Fp8BlockWeight w) {
        float[] y = new float[N];
        SimdSpecies.withBits(bits, () -> SimdGemmDriver.gemv(SimdGemmProblem.fp8(x, sa, 1, w, y)));
        return y;
    }

    private static Fp8BlockWeight weight(Random rnd, int scaleExponent) {
        Fp8BlockWeight base = SimdTestData.fp8Weight(rnd, N, K, 128, 128, true, false);
        int count = base.scaleRows() * base.scaleCols();
        MemorySegment scales = MemorySegment.ofArray(new byte[4 * count]);
        for (int i = 0; i < count; i++) scales.set(SimdLayouts.F32, 4L * i, Math.scalb(1f + rnd.nextInt(8) / 8f, scaleExponent));
        return new Fp8BlockWeight("test.fp8", base.codes(), scales, N, K, 128, 128);
    }
}
