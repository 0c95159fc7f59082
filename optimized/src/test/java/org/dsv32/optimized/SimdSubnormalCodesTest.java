package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.junit.jupiter.api.Test;

/**
 * Weights with e4m3 subnormal codes (S.0000.mmm, mmm not 0): {@link SimdFp8Facts} finds them wherever they lie, and
 * a product of several rows on such a weight takes the few-row GEMM with x as is ({@link SimdGemmDriver#subnormalRows}),
 * whose exact decode makes normal fp32 values, instead of the fast decodes that make fp32 subnormals and multiply each
 * into several rows (a microcode assist per FMA). One row, and weights without subnormal codes, keep the fast paths.
 * The bits of every path are pinned by {@link SimdGemmRowsProperties} and {@link SimdGemvMultiRowProperties}, with
 * and without subnormal codes.
 */
class SimdSubnormalCodesTest {
    /** One code at any position (the vector body or the scalar tail of the scan) decides; zeros and NaNs do not count. */
    @Property(tries = 200, seed = "1205")
    void theScanFindsASingleSubnormalCodeAnywhere(@ForAll @IntRange(min = 1, max = 300) int length, @ForAll long seed,
                                                  @ForAll @IntRange(min = 1, max = 7) int mantissa, @ForAll boolean negative) {
        Random rnd = new Random(seed);
        byte[] codes = new byte[length];
        for (int i = 0; i < length; i++) {
            int c = rnd.nextInt(256);
            if ((c & 0x78) == 0) c = rnd.nextBoolean() ? c & 0x80 : c | 0x78; // zeros and (some) NaN codes, no subnormal
            codes[i] = (byte) c;
        }
        assertFalse(facts(codes).hasSubnormalCode(), "no subnormal code among " + length);
        int at = rnd.nextInt(length);
        codes[at] = (byte) (mantissa | (negative ? 0x80 : 0));
        assertTrue(facts(codes).hasSubnormalCode(), "the subnormal code at " + at + " of " + length);
    }

    @Test
    void severalRowsOnAWeightWithSubnormalCodesDecodeExactlyOnce() {
        Random rnd = new Random(20261205);
        Fp8BlockWeight sub = SimdTestData.fp8Weight(rnd, 64, 256, 128, 128, true, false);
        Fp8BlockWeight normal = SimdTestData.withoutSubnormalCodes(sub);
        assertTrue(SimdFp8Facts.of(sub).hasSubnormalCode(), "uniform random codes include subnormals");
        assertFalse(SimdFp8Facts.of(normal).hasSubnormalCode());
        for (int m : new int[] {2, 8, 16}) {
            float[] x = SimdTestData.gaussian(rnd, m * 256, 1f), sa = new float[m * 2];
            java.util.Arrays.fill(sa, 1f);
            SimdGemmProblem withSub = SimdGemmProblem.fp8(x, sa, m, sub, new float[m * 64]);
            SimdGemmProblem without = SimdGemmProblem.fp8(x, sa, m, normal, new float[m * 64]);
            assertTrue(SimdGemmDriver.subnormalRows(withSub), "M=" + m + ": off the multi-row GEMV");
            assertFalse(SimdGemmRowGroups.of(withSub, 64).scaled(), "M=" + m + ": x as is, the exact decode");
            assertFalse(SimdGemmDriver.subnormalRows(without), "M=" + m + ": no subnormal code, the fast paths");
            assertTrue(SimdGemmRowGroups.of(without, 64).scaled(), "M=" + m + ": no subnormal code, the rescaled decode");
        }
        SimdGemmProblem oneRow = SimdGemmProblem.fp8(new float[256], new float[2], 1, sub, new float[64]);
        assertFalse(SimdGemmDriver.subnormalRows(oneRow), "one row: one FMA per decoded value, the GEMV");
    }

    /** The exact decode gives every one of the 256 codes' values (but the NaNs') through the few-row GEMM. */
    @Test
    void everyCodeDecodesToItsValue() {
        int n = 16, k = 256;
        byte[] codes = new byte[n * k];
        // column c of row j holds code 16 c + j (c < 16: all 256 codes), the NaN codes replaced by 0
        for (int i = 0; i < codes.length; i++) {
            int c = (16 * (i % k) + i / k) & 0xFF;
            codes[i] = (byte) ((c & 0x7F) == 0x7F ? 0 : c);
        }
        MemorySegment scales = MemorySegment.ofArray(new byte[4 * 2]);
        scales.set(SimdLayouts.F32, 0, 1f);
        scales.set(SimdLayouts.F32, 4, 1f);
        Fp8BlockWeight w = new Fp8BlockWeight("test.codes", MemorySegment.ofArray(codes), scales, n, k, 128, 128);
        for (int bits : SimdSpecies.supportedBits()) {
            for (int col = 0; col < 16; col++) {
                // x picks column col in row 0 (and 2 x column col in row 1): y[r][j] = (r + 1) * code value
                float[] x = new float[2 * k], sa = {1f, 1f, 1f, 1f};
                x[col] = 1f;
                x[k + col] = 2f;
                float[] y = new float[2 * n];
                SimdSpecies.withBits(bits, () -> SimdFp8Gemm.multiply(x, sa, 2, w, y));
                for (int j = 0; j < n; j++) {
                    // + 0f: a -0 code sums to +0 (the block sum starts at +0)
                    float value = Fp8Codec.decodeE4M3(codes[j * k + col]) + 0f;
                    assertEquals(Float.floatToIntBits(value), Float.floatToIntBits(y[j]), "width " + bits + ", code " + (codes[j * k + col] & 0xFF));
                    assertEquals(Float.floatToIntBits(2 * value), Float.floatToIntBits(y[n + j]), "width " + bits + ", row 1");
                }
            }
        }
    }

    private static SimdFp8Facts facts(byte[] codes) {
        int blocks = (codes.length + 127) / 128;
        MemorySegment scales = MemorySegment.ofArray(new byte[4 * blocks]);
        for (int b = 0; b < blocks; b++) scales.set(SimdLayouts.F32, 4L * b, 1f);
        return SimdFp8Facts.of(new Fp8BlockWeight("test.scan", MemorySegment.ofArray(codes), scales, 1, codes.length, 128, 128));
    }
}
