package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.junit.jupiter.api.Test;

/**
 * The fp8 Wgrad's shortcut in decoding X: a quantised X whose tiles all have finite scales holds no NaN code, so the
 * kernels' decode skips its NaN check. It must leave every bit as it was: the quantiser's report is checked against
 * the codes it wrote, and the Wgrad with a finite X, a NaN and an infinity in it against the scalar model at every
 * width and thread count.
 */
class SimdWgradNanCheckTest {
    @Test
    void theQuantiserReportsANanCodeWhereverOneIsWritten() {
        OpContext ctx = new OpContext(ModelConfig.deepseekV32(), PrecisionMode.FP8);
        int m = 140, k = 260;
        float[] odd = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE, 0f, 1e-40f};
        Random rnd = new Random(5);
        for (int trial = 0; trial < 40; trial++) {
            float[] x = new float[m * k];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            for (int j = trial % 3; j > 0; j--) x[rnd.nextInt(x.length)] = odd[rnd.nextInt(odd.length)];
            for (int bits : SimdSpecies.supportedBits()) {
                byte[] codes = new byte[m * k];
                float[] scales = new float[2 * k];
                boolean said = SimdSpecies.withBits(bits, () -> new SimdFp8Backward(ctx).quantizeColumns(x, null, m, k, codes, scales));
                boolean nanCode = false;
                for (byte c : codes) nanCode |= (c & 0x7F) == 0x7F;
                assertTrue(said || !nanCode, "a NaN code written but not reported, trial " + trial + ", width " + bits);
                boolean finite = true;
                for (float v : x) finite &= Float.isFinite(v);
                if (finite) assertEquals(false, said, "finite X reported as holding a NaN code, trial " + trial + ", width " + bits);
            }
        }
    }

    @Test
    void wgradWithAndWithoutANanInXIsTheModelBitForBit() {
        OpContext ctx = new OpContext(ModelConfig.deepseekV32(), PrecisionMode.FP8);
        int n = 70, k = 260;
        for (int m : new int[] {50, 128, 140, 300}) {
            for (float special : new float[] {1f, Float.NaN, Float.POSITIVE_INFINITY}) {
                Random rnd = new Random(31 + m);
                float[] dy = new float[m * n], x = new float[m * k];
                for (int i = 0; i < dy.length; i++) dy[i] = (float) (rnd.nextGaussian() * Math.scalb(1.0, rnd.nextInt(9) - 4));
                for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * Math.scalb(1.0, rnd.nextInt(9) - 4));
                int nanAt = (m / 2) * k + 77;
                if (special != 1f) x[nanAt] = special;
                float[] want = SimdFp8BackwardTest.modelWgrad(dy, x, m, n, k, true, ctx.scaleFormat());
                if (special != 1f) assertTrue(!Float.isFinite(want[77]), "the model's dW column 77 is not finite");
                for (int bits : SimdSpecies.supportedBits()) {
                    for (int threads : new int[] {1, 3}) {
                        float[] dw = new float[n * k];
                        SimdSpecies.withBits(bits, () -> SimdThreads.withThreads(threads, () -> {
                            new SimdFp8Backward(ctx).wgrad(dy, x, m, n, k, dw);
                            return null;
                        }));
                        for (int e = 0; e < dw.length; e++) {
                            assertEquals(want[e], dw[e], 0f, "dW element " + e + ", " + m + " tokens, X holding " + special + ", width " + bits + ", " + threads + " threads");
                        }
                    }
                }
            }
        }
    }
}
