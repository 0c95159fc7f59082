package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.function.Supplier;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.ScaleFormat;
import org.dsv32.spec.weights.Weight;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The float32 GEMM/GEMV against float64, and their determinism.
 *
 * <p>Tolerance, derived for the canonical order of {@link SimdGemmProblem} with fp32 unit roundoff u = 2^-24: a
 * block sum of kl sequential FMAs is off by at most kl u times the sum of its |terms|; the scale product sa * sw
 * adds u, and each of the B promotions adds u times the running sum; so |y32 - y64| <= (blockCols + B + 3) u T,
 * T = sum over k of |a w sa sw|. The inputs are fp32 values and the e4m3 codes the same on both sides, so this is
 * the only difference.
 */
class SimdGemmTest {
    private static final int[] M_VALUES = {1, 3, 16, 64};

    private static double tolerance(int k, int blockCols, double t) { return KernelTolerances.fp8GemmBlocked(k, blockCols) * t; }

    private static void assertClose(double[][] expected, float[] y, int k, int blockCols, String what) {
        double[] e = expected[0], t = expected[1];
        for (int i = 0; i < e.length; i++) {
            double tol = tolerance(k, blockCols, t[i]);
            if (!(Math.abs(y[i] - e[i]) <= tol)) {
                fail(what + ": element " + i + " is " + y[i] + ", float64 " + e[i] + ", tolerance " + tol);
            }
        }
    }

    private static void assertBitwise(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected bitwise " + expected[i]);
            }
        }
    }

    private static float[] linear(OpContext ctx, float[] x, int m, Weight w) {
        float[] y = new float[m * w.rows()];
        new SimdLinear(ctx).multiply(x, m, w, y);
        return y;
    }

    @ParameterizedTest
    @ValueSource(ints = {128, 256, 384})
    void exactModeFp8MatchesFloat64(int k) {
        Random rnd = new Random(11 + k);
        Fp8BlockWeight w = SimdTestData.fp8Weight(rnd, 576, k, 128, 128, false, false);
        for (int m : M_VALUES) {
            float[] x = SimdTestData.gaussian(rnd, m * k, 1f);
            double[][] expected = SimdTestData.linearFloat64(x, m, w);
            float[] y = linear(SimdTestData.context(PrecisionMode.EXACT), x, m, w);
            assertClose(expected, y, k, 128, "exact fp8 M=" + m + " K=" + k);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {128, 256})
    void fp8ModeMatchesFloat64OfTheSameCodes(int k) {
        Random rnd = new Random(21 + k);
        Fp8BlockWeight w = SimdTestData.fp8Weight(rnd, 576, k, 128, 128, true, false);
        for (int m : M_VALUES) {
            float[] x = SimdTestData.gaussian(rnd, m * k, 2f);
            QuantizedActivation q = SimdTestData.actQuantFloat64(x, m, k, ScaleFormat.UE8M0);
            float[] y = linear(SimdTestData.context(PrecisionMode.FP8), x, m, w);
            assertClose(SimdTestData.linearFp8Float64(q, w), y, k, 128, "fp8 M=" + m + " K=" + k);
        }
    }

    @Test
    void raggedBlocksAndOddShapes() {
        Random rnd = new Random(31);
        // K not a multiple of the block (exact mode only), blocks of 64 x 96, N not a multiple of any vector width
        Fp8BlockWeight w = SimdTestData.fp8Weight(rnd, 101, 203, 64, 96, false, false);
        for (int m : new int[] {1, 2, 7, 13}) {
            float[] x = SimdTestData.gaussian(rnd, m * 203, 1f);
            float[] y = linear(SimdTestData.context(PrecisionMode.EXACT), x, m, w);
            assertClose(SimdTestData.linearFloat64(x, m, w), y, 203, 96, "ragged M=" + m);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"BF16", "F32"})
    void denseMatchesFloat64(String dtype) {
        Random rnd = new Random(41);
        int k = 200;
        DenseWeight w = SimdTestData.denseWeight(rnd, 130, k, DType.valueOf(dtype));
        for (int m : M_VALUES) {
            float[] x = SimdTestData.gaussian(rnd, m * k, 1f);
            // bf16 mode rounds the output: not a float64 product any more (the reference comparison covers it)
            for (PrecisionMode mode : new PrecisionMode[] {PrecisionMode.EXACT, PrecisionMode.FP8}) {
                float[] y = linear(SimdTestData.context(mode), x, m, w);
                assertClose(SimdTestData.linearFloat64(x, m, w), y, k, SimdGemmProblem.DENSE_BLOCK, dtype + " M=" + m + " " + mode);
            }
        }
    }

    /**
     * Every row of the GEMM equals the GEMV of that row, bit for bit, at every width, and all widths agree bitwise.
     * N = 200: one full 128-row unit and a ragged one of 72 rows (four-group GEMV, then a partial group); M = 11: one
     * 16-row group of the few-row GEMM, padded ({@link SimdGemmRowsProperties} covers the other row counts); M = 41:
     * the tiled GEMM's six 6-row register tiles, one 4-row tile and one single row.
     */
    @ParameterizedTest
    @ValueSource(ints = {11, 41})
    void gemvAndGemmAgreeBitwiseAtEveryWidth(int m) {
        Random rnd = new Random(51);
        int k = 256, n = 200;
        Fp8BlockWeight w = SimdTestData.fp8Weight(rnd, n, k, 128, 128, false, false);
        DenseWeight d = SimdTestData.denseWeight(rnd, 72, k, DType.BF16);
        float[] x = SimdTestData.gaussian(rnd, m * k, 1f);
        float[] sa = new float[m * 2];
        for (int i = 0; i < sa.length; i++) sa[i] = (float) Math.scalb(1.0, rnd.nextInt(8) - 4);
        float[] reference = null, denseReference = null;
        for (int bits : SimdSpecies.supportedBits()) {
            float[] gemm = new float[m * n], gemv = new float[m * n], dm = new float[m * 72], dv = new float[m * 72];
            SimdSpecies.withBits(bits, () -> {
                SimdFp8Gemm.multiply(x, sa, m, w, gemm);
                SimdGemmDriver.gemv(SimdGemmProblem.fp8(x, sa, m, w, gemv));
                SimdDenseGemm.multiplyGemm(x, m, d, dm);
                SimdDenseGemm.multiplyGemv(x, m, d, dv);
            });
            assertBitwise(gemm, gemv, "fp8 GEMV vs GEMM at width " + bits);
            assertBitwise(dm, dv, "dense GEMV vs GEMM at width " + bits);
            float[] single = new float[n];
            SimdSpecies.withBits(bits, () -> SimdGemmDriver.gemv(SimdGemmProblem.fp8(
                    java.util.Arrays.copyOfRange(x, 5 * k, 6 * k), java.util.Arrays.copyOfRange(sa, 10, 12), 1, w, single)));
            assertBitwise(java.util.Arrays.copyOfRange(gemm, 5 * n, 6 * n), single, "one-row GEMV vs row 5 of the GEMM");
            if (reference == null) {
                reference = gemm;
                denseReference = dm;
            } else {
                assertBitwise(reference, gemm, "fp8 width " + bits + " vs scalar");
                assertBitwise(denseReference, dm, "dense width " + bits + " vs scalar");
            }
        }
    }

    @Test
    void oneTwoAndThreeThreadsAndRepeatsAreBitwiseEqual() {
        Random rnd = new Random(61);
        int k = 1024; // the one-row product (8 units of 128 x 1024) is enough work to reach the pool: MIN_PARALLEL_WORK
        Fp8BlockWeight w = SimdTestData.fp8Weight(rnd, 1000, k, 128, 128, true, false);
        OpContext ctx = SimdTestData.context(PrecisionMode.FP8);
        for (int m : new int[] {1, 130}) {
            float[] x = SimdTestData.gaussian(rnd, m * k, 1f);
            Supplier<float[]> run = () -> linear(ctx, x, m, w);
            float[] one = SimdThreads.withThreads(1, run);
            assertBitwise(one, SimdThreads.withThreads(1, run), "repeat, M=" + m);
            assertBitwise(one, SimdThreads.withThreads(2, run), "2 threads, M=" + m);
            assertBitwise(one, SimdThreads.withThreads(3, run), "3 threads, M=" + m);
        }
    }

    @Test
    void zeroRowsStayZeroInFp8Mode() {
        Random rnd = new Random(71);
        int m = 4, k = 256;
        Fp8BlockWeight w = SimdTestData.fp8Weight(rnd, 576, k, 128, 128, true, false);
        float[] x = SimdTestData.gaussian(rnd, m * k, 1f);
        java.util.Arrays.fill(x, k, 2 * k, 0f);
        for (int mm : new int[] {1, m}) {
            float[] y = linear(SimdTestData.context(PrecisionMode.FP8), mm == 1 ? java.util.Arrays.copyOfRange(x, k, 2 * k) : x, mm, w);
            int row = mm == 1 ? 0 : 1;
            for (int c = 0; c < 576; c++) assertEquals(0f, y[row * 576 + c], "all-zero row gives zeros (amax floor), column " + c);
        }
    }

    /** NaN and infinity in x propagate as in float64: the same NaN / +inf / -inf / finite pattern. */
    @Test
    void nonFiniteInputsPropagateLikeFloat64() {
        Random rnd = new Random(81);
        int m = 7, k = 256;
        Fp8BlockWeight w = SimdTestData.fp8Weight(rnd, 150, k, 128, 128, false, false);
        float[] x = SimdTestData.gaussian(rnd, m * k, 1f);
        x[3] = Float.NaN;
        x[k + 17] = Float.POSITIVE_INFINITY;
        x[2 * k + 5] = Float.POSITIVE_INFINITY;
        x[2 * k + 200] = Float.NEGATIVE_INFINITY;
        double[] expected = SimdTestData.linearFloat64(x, m, w)[0];
        for (int mm : new int[] {1, m}) {
            float[] xs = mm == 1 ? java.util.Arrays.copyOfRange(x, k, 2 * k) : x;
            float[] y = linear(SimdTestData.context(PrecisionMode.EXACT), xs, mm, w);
            int base = mm == 1 ? 150 : 0;
            for (int i = 0; i < y.length; i++) {
                double e = expected[base + i];
                if (Double.isNaN(e)) assertTrue(Float.isNaN(y[i]), "NaN at " + (base + i));
                else if (Double.isInfinite(e)) assertEquals(e, y[i], "infinity at " + (base + i));
                else assertTrue(Float.isFinite(y[i]), "finite at " + (base + i));
            }
        }
        // fp8 mode: a NaN makes its row NaN (its act_quant tile is NaN)
        float[] y = linear(SimdTestData.context(PrecisionMode.FP8), x, m, w);
        for (int c = 0; c < 150; c++) assertTrue(Float.isNaN(y[c]), "fp8 NaN row, column " + c);
        for (int c = 0; c < 150; c++) assertTrue(Float.isFinite(y[3 * 150 + c]), "fp8 clean row, column " + c);
    }

    /** NaN codes in W make exactly their rows' outputs NaN, on every path (including the GEMV's NaN fallback). */
    @Test
    void nanWeightCodesPoisonTheirRowsOnly() {
        Random rnd = new Random(91);
        int k = 256, n = 200;
        Fp8BlockWeight w = SimdTestData.fp8Weight(rnd, n, k, 128, 128, true, false);
        byte[] codes = new byte[n * k];
        java.lang.foreign.MemorySegment.copy(w.codes(), java.lang.foreign.ValueLayout.JAVA_BYTE, 0, codes, 0, codes.length);
        int[] poisoned = {9, 22, 100, 199};
        codes[9 * k + 77] = (byte) 0x7F;
        codes[22 * k + 3] = (byte) 0xFF;
        codes[100 * k + 200] = (byte) 0x7F;
        codes[199 * k + 255] = (byte) 0xFF;
        Fp8BlockWeight bad = new Fp8BlockWeight("nan", java.lang.foreign.MemorySegment.ofArray(codes), w.scales(), n, k, 128, 128);
        float[] x = SimdTestData.gaussian(rnd, 5 * k, 1f);
        float[] clean = linear(SimdTestData.context(PrecisionMode.EXACT), x, 5, w);
        for (int bits : SimdSpecies.supportedBits()) {
            for (int m : new int[] {1, 5}) {
                float[] y = SimdSpecies.withBits(bits, () -> linear(SimdTestData.context(PrecisionMode.EXACT), x, m, bad));
                for (int i = 0; i < m; i++) {
                    for (int c = 0; c < n; c++) {
                        int col = c;
                        boolean nan = java.util.Arrays.stream(poisoned).anyMatch(r -> r == col);
                        if (nan) assertTrue(Float.isNaN(y[i * n + c]), "width " + bits + " M=" + m + " row " + i + " column " + c);
                        else assertEquals(clean[i * n + c], y[i * n + c], "width " + bits + " M=" + m + " unaffected column " + c);
                    }
                }
            }
        }
    }

    @Test
    void plainActivationScalesAreUsedAsIs() {
        Random rnd = new Random(101);
        int m = 5, k = 256;
        Fp8BlockWeight w = SimdTestData.fp8Weight(rnd, 64, k, 128, 128, false, false);
        float[] x = SimdTestData.gaussian(rnd, m * k, 1f);
        QuantizedActivation q = SimdTestData.actQuantFloat64(x, m, k, ScaleFormat.PLAIN);
        float[] y = linear(SimdTestData.plainScaleContext(PrecisionMode.FP8), x, m, w);
        // codes may differ from the float64 act_quant only at fp32 ties, which random Gaussians do not hit
        assertClose(SimdTestData.linearFp8Float64(q, w), y, k, 128, "plain scales");
    }
}
