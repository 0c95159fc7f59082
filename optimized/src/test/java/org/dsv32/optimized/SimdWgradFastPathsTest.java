package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.junit.jupiter.api.Test;

/**
 * The two shortcuts of the fp8 Wgrad's X quantiser and decode: the 128x1 quantiser multiplies by 1 / s where that
 * is exact (ue8m0's power-of-two scales) instead of dividing, and X's codes are scanned for the NaN code so that
 * the kernels' decode skips its NaN check when there is none. Both must leave every bit as it was: the helpers are
 * checked against their definitions, and the Wgrad with and without a NaN in X against the scalar model at every
 * width and thread count.
 */
class SimdWgradFastPathsTest {
    @Test
    void theExactReciprocalMultipliesLikeTheDivision() {
        Random rnd = new Random(7);
        float[] xs = new float[4000];
        for (int i = 0; i < xs.length; i++) xs[i] = Float.intBitsToFloat(rnd.nextInt());
        float[] odd = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 448f, 1e-40f};
        System.arraycopy(odd, 0, xs, 0, odd.length);
        for (int e = -149; e <= 127; e++) {
            float s = Math.scalb(1f, e);
            float r = SimdBackwardKernelsTemplate.exactReciprocal(s);
            if (e < -127) {
                assertEquals(0f, r, 0f, "1 / 2^" + e + " overflows: no reciprocal");
                continue;
            }
            assertEquals(1f / s, r, 0f, "2^" + e);
            for (float x : xs) {
                assertEquals(Float.floatToRawIntBits(x / s) == Float.floatToRawIntBits(x * r) || Float.isNaN(x / s) && Float.isNaN(x * r), true,
                        x + " / 2^" + e + " = " + x / s + ", times the reciprocal " + x * r);
            }
        }
        float[] none = {3f, 0.75f, 1.5f * Math.scalb(1f, -130), -2f, -0.5f, 0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE};
        for (float s : none) assertEquals(0f, SimdBackwardKernelsTemplate.exactReciprocal(s), 0f, "no exact reciprocal taken for " + s);
    }

    @Test
    void theNanScanFindsTheNanCodeAtEveryPositionAndNothingElse() {
        Random rnd = new Random(11);
        byte[] codes = new byte[40];
        for (int from = 0; from < 9; from++) {
            for (int len = 0; len <= 25; len++) {
                for (int v = 0; v < 256; v++) {
                    for (int i = 0; i < codes.length; i++) {
                        int c;
                        do c = rnd.nextInt(256); while ((c & 0x7F) == 0x7F);
                        codes[i] = (byte) c;
                    }
                    int at = len == 0 ? from : from + rnd.nextInt(len);
                    codes[at] = (byte) v;
                    // a NaN code just outside the range must not count
                    if (from > 0) codes[from - 1] = (byte) 0x7F;
                    codes[from + len] = (byte) 0xFF;
                    boolean want = len > 0 && (v & 0x7F) == 0x7F;
                    assertEquals(want, SimdFp8Backward.hasNanCode(codes, from, len), "code " + v + " at " + at + " in [" + from + ", " + (from + len) + ")");
                }
            }
        }
    }

    @Test
    void wgradWithAndWithoutANanInXIsTheModelBitForBit() {
        OpContext ctx = new OpContext(ModelConfig.deepseekV32(), PrecisionMode.FP8);
        int n = 70, k = 260;
        for (int m : new int[] {50, 128, 140, 300}) {
            for (boolean withNan : new boolean[] {false, true}) {
                Random rnd = new Random(31 + m);
                float[] dy = new float[m * n], x = new float[m * k];
                for (int i = 0; i < dy.length; i++) dy[i] = (float) (rnd.nextGaussian() * Math.scalb(1.0, rnd.nextInt(9) - 4));
                for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * Math.scalb(1.0, rnd.nextInt(9) - 4));
                int nanAt = (m / 2) * k + 77;
                if (withNan) x[nanAt] = Float.NaN;
                float[] want = SimdFp8BackwardTest.modelWgrad(dy, x, m, n, k, true, ctx.scaleFormat());
                if (withNan) assertTrue(Float.isNaN(want[77]), "the model's dW column 77 is NaN");
                for (int bits : SimdSpecies.supportedBits()) {
                    for (int threads : new int[] {1, 3}) {
                        float[] dw = new float[n * k];
                        SimdSpecies.withBits(bits, () -> SimdThreads.withThreads(threads, () -> {
                            new SimdFp8Backward(ctx).wgrad(dy, x, m, n, k, dw);
                            return null;
                        }));
                        for (int e = 0; e < dw.length; e++) {
                            assertEquals(want[e], dw[e], 0f, "dW element " + e + ", " + m + " tokens, NaN in X " + withNan + ", width " + bits + ", " + threads + " threads");
                        }
                    }
                }
            }
        }
    }
}
