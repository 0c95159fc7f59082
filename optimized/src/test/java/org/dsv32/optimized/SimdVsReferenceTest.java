package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.MlpWeights;
import org.dsv32.spec.weights.ScaleFormat;
import org.junit.jupiter.api.Test;

/**
 * The simd backend against the float64 reference backend, op by op, through the contracts (TensorF64 in and out).
 * Inputs are fp32 values, so the only differences are the fp32 roundings of the simd kernels, bounded as in
 * {@link SimdGemmTest} and {@link SimdRowOpsTest} (u = 2^-24); act_quant must agree exactly (codes and ue8m0 scales,
 * NaN and infinity included).
 */
class SimdVsReferenceTest {
    private static final double U = SimdTestData.U;
    private final Backend simd = new SimdBackend();
    private final Backend reference = new ReferenceBackend();

    private static TensorF64 tensor(float[] v, int... shape) { return TensorF64.wrap(SimdTestData.toDoubles(v), shape); }

    private static void assertWithin(TensorF64 expected, TensorF64 actual, double[] tol, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        for (int i = 0; i < expected.size(); i++) {
            double e = expected.getFlat(i), a = actual.getFlat(i);
            if (Double.isNaN(e) || Double.isNaN(a)) {
                if (Double.isNaN(e) != Double.isNaN(a)) fail(what + ": NaN mismatch at " + i + ": " + a + " vs " + e);
                continue;
            }
            if (!(Math.abs(e - a) <= tol[i])) fail(what + ": element " + i + " is " + a + ", reference " + e + ", tolerance " + tol[i]);
        }
    }

    @Property(tries = 10, seed = "17")
    void actQuantIsIdentical(@ForAll long seed) {
        Random rnd = new Random(seed);
        int rows = 3, cols = 384;
        float[] x = SimdTestData.gaussian(rnd, rows * cols, (float) Math.scalb(1.0, rnd.nextInt(30) - 15));
        if (rnd.nextBoolean()) x[rnd.nextInt(x.length)] = Float.NaN;
        if (rnd.nextBoolean()) x[rnd.nextInt(x.length)] = Float.NEGATIVE_INFINITY;
        if (rnd.nextBoolean()) java.util.Arrays.fill(x, 128, 256, 0f);
        TensorF64 t = tensor(x, rows, cols);
        OpContext ctx = SimdTestData.context(PrecisionMode.FP8);
        QuantizedActivation e = reference.require(ActQuantOp.class, ctx).quantize(t, ScaleFormat.UE8M0);
        for (int bits : SimdSpecies.supportedBits()) {
            QuantizedActivation q = SimdSpecies.withBits(bits, () -> simd.require(ActQuantOp.class, ctx).quantize(t, ScaleFormat.UE8M0));
            assertArrayEquals(e.scales(), q.scales(), "scales, width " + bits);
            assertArrayEquals(e.codes(), q.codes(), "codes, width " + bits);
        }
    }

    @Test
    void linearMatchesTheReferenceInBothModes() {
        Random rnd = new Random(19);
        int k = 256;
        Fp8BlockWeight w = SimdTestData.fp8Weight(rnd, 576, k, 128, 128, true, false);
        DenseWeight d = SimdTestData.denseWeight(rnd, 100, k, DType.BF16);
        for (int m : new int[] {1, 7, 64}) {
            float[] x = SimdTestData.gaussian(rnd, m * k, 1.5f);
            if (m == 7) x[3 * k + 11] = Float.NaN;
            TensorF64 xt = tensor(x, m, k);
            for (PrecisionMode mode : PrecisionMode.values()) {
                OpContext ctx = SimdTestData.context(mode);
                TensorF64 ys = simd.require(LinearOp.class, ctx).apply(xt, w);
                TensorF64 yr = reference.require(LinearOp.class, ctx).apply(xt, w);
                double[] t = mode.hasFp8RoundingPoints()
                        ? SimdTestData.linearFp8Float64(reference.require(ActQuantOp.class, ctx).quantize(xt, ctx.scaleFormat()), w)[1]
                        : SimdTestData.linearFloat64(x, m, w)[1];
                double[] tol = new double[t.length];
                // bf16 mode: both outputs rounded to bf16, a value near a midpoint may land one bf16 step apart
                double bf16Step = mode == PrecisionMode.BF16 ? 2 * org.dsv32.spec.format.BF16.UNIT_ROUNDOFF : 0;
                for (int i = 0; i < t.length; i++) tol[i] = (KernelTolerances.fp8GemmBlocked(k, 128) + bf16Step) * t[i];
                assertWithin(yr, ys, tol, "fp8 weight, " + mode + ", M=" + m);
                TensorF64 ds = simd.require(LinearOp.class, ctx).apply(xt, d);
                double[] td = SimdTestData.linearFloat64(x, m, d)[1];
                for (int i = 0; i < td.length; i++) td[i] = (KernelTolerances.fp8GemmBlocked(k, 128) + bf16Step) * td[i];
                assertWithin(reference.require(LinearOp.class, ctx).apply(xt, d), ds, td, "bf16 weight, " + mode + ", M=" + m);
            }
        }
    }

    @Test
    void normsRopeAndHadamardMatchTheReference() {
        Random rnd = new Random(23);
        OpContext ctx = SimdTestData.context(PrecisionMode.EXACT);
        int rows = 4, cols = 512;
        float[] x = SimdTestData.gaussian(rnd, rows * cols, 2f), w = SimdTestData.gaussian(rnd, cols, 1f), b = SimdTestData.gaussian(rnd, cols, 1f);
        TensorF64 xt = tensor(x, rows, cols);
        DenseWeight wt = SimdTestData.vectorWeight(w), bt = SimdTestData.vectorWeight(b);

        TensorF64 yr = reference.require(RmsNormOp.class, ctx).apply(xt, wt, 1e-6);
        double[] tol = new double[yr.size()];
        for (int i = 0; i < tol.length; i++) tol[i] = (cols + 8) * U * Math.abs(yr.getFlat(i));
        assertWithin(yr, simd.require(RmsNormOp.class, ctx).apply(xt, wt, 1e-6), tol, "rmsnorm");

        TensorF64 resS = tensor(SimdTestData.gaussian(rnd, rows * cols, 1f), rows, cols), resR = resS.copy();
        TensorF64 fr = reference.require(RmsNormOp.class, ctx).applyWithResidual(xt, resR, wt, 1e-6);
        TensorF64 fs = simd.require(RmsNormOp.class, ctx).applyWithResidual(xt, resS, wt, 1e-6);
        for (int i = 0; i < resR.size(); i++) {
            assertEquals(resR.getFlat(i), resS.getFlat(i), U * Math.abs(resR.getFlat(i)), "residual (fp32 sum in simd)");
            tol[i] = (cols + 10) * U * Math.abs(fr.getFlat(i));
        }
        assertWithin(fr, fs, tol, "fused rmsnorm");

        TensorF64 lr = reference.require(LayerNormOp.class, ctx).apply(xt, wt, bt, 1e-6);
        TensorF64 ls = simd.require(LayerNormOp.class, ctx).apply(xt, wt, bt, 1e-6);
        for (int i = 0; i < tol.length; i++) {
            // |x - mean| * inv <= sqrt(cols) for a centred row: the bound of SimdRowOpsTest with |x| <= 10 sd
            tol[i] = Math.abs(w[i % cols]) * (cols + 8) * U * 4 * Math.sqrt(cols) + 3 * U * (Math.abs(lr.getFlat(i)) + Math.abs(b[i % cols]));
        }
        assertWithin(lr, ls, tol, "layernorm");

        int d = ctx.config().qkRopeHeadDim();
        float[] q = SimdTestData.gaussian(rnd, 6 * d, 1f);
        int[] positions = {0, 3, 3, 100, 5000, 160000};
        TensorF64 qt = tensor(q, 6, d);
        for (RopeLayout layout : RopeLayout.values()) {
            TensorF64 rr = reference.require(RopeOp.class, ctx).apply(qt, positions, layout);
            double[] rt = new double[rr.size()];
            for (int i = 0; i < rt.length; i++) {
                int r = i / d, c = i % d;
                int partner = layout == RopeLayout.INTERLEAVED ? c ^ 1 : (c + d / 2) % d;
                rt[i] = 3 * U * (Math.abs(q[i]) + Math.abs(q[r * d + partner]));
            }
            assertWithin(rr, simd.require(RopeOp.class, ctx).apply(qt, positions, layout), rt, "rope " + layout);
        }

        TensorF64 hr = reference.require(HadamardOp.class, ctx).apply(xt);
        for (int r = 0; r < rows; r++) {
            double abs = 0;
            for (int c = 0; c < cols; c++) abs += Math.abs(x[r * cols + c]);
            for (int c = 0; c < cols; c++) tol[r * cols + c] = (9 + 2) * U * abs / Math.sqrt(cols);
        }
        assertWithin(hr, simd.require(HadamardOp.class, ctx).apply(xt), tol, "hadamard");
    }

    @Test
    void mlpMatchesTheReferenceInBothModes() {
        Random rnd = new Random(29);
        int m = 3, dim = 256, inter = 256;
        Fp8BlockWeight gate = SimdTestData.fp8Weight(rnd, inter, dim, 128, 128, true, false);
        Fp8BlockWeight up = SimdTestData.fp8Weight(rnd, inter, dim, 128, 128, true, false);
        Fp8BlockWeight down = SimdTestData.fp8Weight(rnd, dim, inter, 128, 128, true, false);
        MlpWeights mw = new MlpWeights(gate, up, down);
        float[] x = SimdTestData.gaussian(rnd, m * dim, 1f);
        TensorF64 xt = tensor(x, m, dim);
        for (PrecisionMode mode : PrecisionMode.values()) {
            OpContext ctx = SimdTestData.context(mode);
            TensorF64 yr = reference.require(MlpOp.class, ctx).forward(xt, mw);
            TensorF64 ys = simd.require(MlpOp.class, ctx).forward(xt, mw);
            // In fp8 mode the fp32 intermediate h can round to a different e4m3 code than the float64 h when it
            // lies near a rounding midpoint: one code step is 2^-3 relative to that element, which dominates.
            double rel = mode.hasFp8RoundingPoints() ? 2 * Tolerances.U_E4M3 : (2 * dim + inter + 40) * U;
            double[] tol = new double[yr.size()];
            double scale = 0;
            for (int i = 0; i < yr.size(); i++) scale = Math.max(scale, Math.abs(yr.getFlat(i)));
            for (int i = 0; i < tol.length; i++) tol[i] = rel * scale;
            assertWithin(yr, ys, tol, "mlp " + mode);
        }
    }
}
