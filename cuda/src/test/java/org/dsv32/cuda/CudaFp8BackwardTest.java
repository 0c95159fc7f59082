package org.dsv32.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.dsv32.optimized.SimdBackend;
import org.dsv32.reference.ReferenceFp8Backward;
import org.dsv32.spec.backend.Backends;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.ops.Fp8BackwardOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.Weight;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The GPU's backward GEMMs (fp8_backward.cu) against simd, whose order they follow (fp32 block sums over 128 inner
 * products ascending, one fma promotion with sb * sa), so bit for bit; and against the float64 reference within the
 * fp32 blocked GEMM's bound, which a transposed scale, a tile along the wrong axis or one promotion at the end
 * exceeds by far. Shapes are ragged everywhere: m = 200 tokens (two 128-token tiles, the second partial, and four
 * 64-row output tiles), N = 300 (three blocks, the last partial), K = 190 (against the 64-column tiles and the
 * 128-column weight blocks). Needs a GPU: skipped with the backend's reason otherwise.
 */
class CudaFp8BackwardTest {
    private static final int M = 200, N = 300, K = 190;

    @BeforeEach void gpu() { GpuTestSupport.assumeGpu(); }

    private static OpContext context(PrecisionMode mode, boolean ue8m0) {
        ModelConfig c = ModelConfig.deepseekV32();
        return new OpContext(ue8m0 ? c : c.withQuantization(null), mode);
    }

    private static Fp8BackwardOp cuda(OpContext ctx) { return GpuTestSupport.BACKEND.require(Fp8BackwardOp.class, ctx); }

    private static Fp8BackwardOp simd(OpContext ctx) { return new SimdBackend().require(Fp8BackwardOp.class, ctx); }

    @ParameterizedTest
    @EnumSource(value = PrecisionMode.class, names = {"FP8", "EXACT"})
    void dgradAndWgradAreSimdBitForBit(PrecisionMode mode) {
        for (boolean ue8m0 : new boolean[] {true, false}) {
            Random rnd = new Random(1500 + (ue8m0 ? 1 : 0));
            TensorF64 dy = GpuTestSupport.floats(rnd, M, N, 1.0), x = GpuTestSupport.floats(rnd, M, K, 2.0);
            Fp8BlockWeight w = GpuTestSupport.fp8Weight(rnd, "test.weight", N, K, ue8m0);
            OpContext ctx = context(mode, ue8m0);
            String where = mode + (ue8m0 ? " ue8m0" : " plain scales");
            assertBitwise(simd(ctx).dgrad(dy, w), cuda(ctx).dgrad(dy, w), "dX, " + where);
            assertBitwise(simd(ctx).wgrad(dy, x), cuda(ctx).wgrad(dy, x), "dW, " + where);
        }
    }

    @Test
    void dgradThroughADenseWeightIsSimdBitForBit() {
        Random rnd = new Random(1502);
        TensorF64 dy = GpuTestSupport.floats(rnd, M, N, 1.0);
        float[] v = new float[N * K];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * 0.05);
        Weight w = DenseWeight.ofFloats("test.dense", v, N, K);
        assertEquals(DType.F32, ((DenseWeight) w).dtype());
        OpContext ctx = context(PrecisionMode.FP8, true);
        assertBitwise(simd(ctx).dgrad(dy, w), cuda(ctx).dgrad(dy, w), "dX through a dense weight");
    }

    @Test
    void fp8ModeIsWithinTheFp32BlockedBoundOfTheReference() {
        Random rnd = new Random(1503);
        TensorF64 dy = GpuTestSupport.floats(rnd, M, N, 1.0), x = GpuTestSupport.floats(rnd, M, K, 2.0);
        Fp8BlockWeight w = GpuTestSupport.fp8Weight(rnd, "test.weight", N, K, true);
        OpContext ctx = context(PrecisionMode.FP8, true);
        ReferenceFp8Backward ref = new ReferenceFp8Backward(ctx, Backends.byName("reference"));
        assertWithin(ref.dgrad(dy, w), ref.dgradMagnitudes(dy, w), cuda(ctx).dgrad(dy, w), KernelTolerances.gemm("simd", N, 128), "dX");
        assertWithin(ref.wgrad(dy, x), ref.wgradMagnitudes(dy, x), cuda(ctx).wgrad(dy, x), KernelTolerances.gemm("simd", M, 128), "dW");
    }

    private static void assertBitwise(TensorF64 want, TensorF64 got, String what) {
        assertArrayEquals(want.shape(), got.shape(), what + ": shape");
        for (int i = 0; i < want.size(); i++) {
            assertEquals(Double.doubleToRawLongBits(want.getFlat(i)), Double.doubleToRawLongBits(got.getFlat(i)),
                    what + " element " + i + " (row " + i / want.cols() + "): simd " + want.getFlat(i) + ", cuda " + got.getFlat(i));
        }
    }

    private static void assertWithin(TensorF64 want, TensorF64 magnitudes, TensorF64 got, double factor, String what) {
        for (int i = 0; i < want.size(); i++) {
            double tol = factor * magnitudes.getFlat(i) + Double.MIN_NORMAL;
            assertEquals(want.getFlat(i), got.getFlat(i), tol, what + " element " + i);
        }
    }
}
