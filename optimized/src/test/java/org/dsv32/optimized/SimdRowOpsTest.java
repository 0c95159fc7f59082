package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.function.Supplier;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.MlpWeights;
import org.junit.jupiter.api.Test;

/**
 * RMSNorm, LayerNorm, RoPE, Hadamard and the SwiGLU MLP in float32 against float64, at every vector width. Each
 * tolerance is written next to its check, in units of u = 2^-24 (fp32 unit roundoff).
 */
class SimdRowOpsTest {
    private static final double U = SimdTestData.U;

    private static <T> void atEveryWidth(Supplier<T> run, java.util.function.Consumer<T> check) {
        for (int bits : SimdSpecies.supportedBits()) check.accept(SimdSpecies.withBits(bits, run));
    }

    private static void assertWithin(double expected, double actual, double tol, String what) {
        if (!(Math.abs(expected - actual) <= tol)) fail(what + ": " + actual + ", float64 " + expected + ", tolerance " + tol);
    }

    private static void assertBitwise(TensorF64 a, TensorF64 b, String what) {
        for (int i = 0; i < a.size(); i++) {
            if (Double.doubleToLongBits(a.getFlat(i)) != Double.doubleToLongBits(b.getFlat(i))) {
                fail(what + ": element " + i + " " + b.getFlat(i) + " vs " + a.getFlat(i));
            }
        }
    }

    @Property(tries = 15, seed = "3")
    void rmsNormMatchesFloat64(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int cols) {
        Random rnd = new Random(seed);
        int rows = 3;
        float[] x = SimdTestData.gaussian(rnd, rows * cols, 4f), w = SimdTestData.gaussian(rnd, cols, 1f);
        double eps = 1e-6;
        TensorF64 xt = TensorF64.wrap(SimdTestData.toDoubles(x), rows, cols);
        // sum of squares: <= n u relative (positive terms); 1/sqrt halves it, plus the sqrt, divide and two
        // multiplies: |dy| <= (n/2 + 6) u |y|, taken as (n + 8) u |y|.
        atEveryWidth(() -> new SimdRmsNorm().apply(xt, SimdTestData.vectorWeight(w), eps), y -> {
            for (int r = 0; r < rows; r++) {
                double ss = 0;
                for (int c = 0; c < cols; c++) ss += (double) x[r * cols + c] * x[r * cols + c];
                double inv = 1 / Math.sqrt(ss / cols + (float) eps);
                for (int c = 0; c < cols; c++) {
                    double e = w[c] * x[r * cols + c] * inv;
                    assertWithin(e, y.at(r, c), (cols + 8) * U * Math.abs(e), "rmsnorm " + r + "," + c);
                }
            }
        });
    }

    @Test
    void fusedResidualModifiesTheResidualAndNormalisesTheSum() {
        Random rnd = new Random(5);
        int rows = 2, cols = 96;
        float[] x = SimdTestData.gaussian(rnd, rows * cols, 1f), res = SimdTestData.gaussian(rnd, rows * cols, 1f);
        float[] w = SimdTestData.gaussian(rnd, cols, 1f);
        for (int bits : SimdSpecies.supportedBits()) {
            TensorF64 residual = TensorF64.wrap(SimdTestData.toDoubles(res), rows, cols);
            TensorF64 xt = TensorF64.wrap(SimdTestData.toDoubles(x), rows, cols);
            TensorF64 y = SimdSpecies.withBits(bits, () -> new SimdRmsNorm().applyWithResidual(xt, residual, SimdTestData.vectorWeight(w), 1e-6));
            for (int i = 0; i < rows * cols; i++) {
                assertEquals(res[i] + x[i], residual.getFlat(i), "residual <- residual + x (fp32 sum)");
                assertEquals(x[i], xt.getFlat(i), "x not modified");
            }
            TensorF64 plain = SimdSpecies.withBits(bits, () -> new SimdRmsNorm().apply(residual, SimdTestData.vectorWeight(w), 1e-6));
            assertBitwise(plain, y, "fused == norm of the updated residual");
        }
    }

    @Property(tries = 15, seed = "4")
    void layerNormMatchesFloat64(@ForAll long seed, @ForAll @IntRange(min = 2, max = 200) int cols) {
        Random rnd = new Random(seed);
        int rows = 3;
        float[] x = SimdTestData.gaussian(rnd, rows * cols, 2f), w = SimdTestData.gaussian(rnd, cols, 1f), b = SimdTestData.gaussian(rnd, cols, 1f);
        for (int i = 0; i < x.length; i++) x[i] += 3f; // a mean to cancel
        TensorF64 xt = TensorF64.wrap(SimdTestData.toDoubles(x), rows, cols);
        atEveryWidth(() -> new SimdLayerNorm().apply(xt, SimdTestData.vectorWeight(w), SimdTestData.vectorWeight(b), 1e-6), y -> {
            for (int r = 0; r < rows; r++) {
                double mean = 0, var = 0, absSum = 0;
                for (int c = 0; c < cols; c++) {
                    mean += x[r * cols + c];
                    absSum += Math.abs(x[r * cols + c]);
                }
                mean /= cols;
                for (int c = 0; c < cols; c++) var += Math.pow(x[r * cols + c] - mean, 2);
                var /= cols;
                double inv = 1 / Math.sqrt(var + (float) 1e-6);
                // the fp32 mean is off by <= (n + 1) u sum|x| / n; that error enters every x - mean and the
                // variance (relative 2 * err / sd at most); the rest is a few roundings of |y - b| and |b|.
                double meanErr = (cols + 1) * U * absSum / cols;
                for (int c = 0; c < cols; c++) {
                    double d = x[r * cols + c] - mean;
                    double e = d * inv * w[c] + b[c];
                    double tol = Math.abs(w[c]) * inv * (meanErr * 2 + Math.abs(d) * ((cols + 8) * U + 2 * meanErr * inv))
                            + 2 * U * Math.abs(e) + U * Math.abs(b[c]);
                    assertWithin(e, y.at(r, c), tol, "layernorm " + r + "," + c);
                }
            }
        });
    }

    @Test
    void ropeMatchesFloat64BothLayoutsAndAllWidthsAgreeBitwise() {
        OpContext ctx = SimdTestData.context(PrecisionMode.EXACT);
        double[] f = ctx.config().ropeFrequencies();
        int d = 2 * f.length;
        Random rnd = new Random(6);
        int rows = 5;
        int[] positions = {0, 1, 1, 4095, 163000};
        float[] x = SimdTestData.gaussian(rnd, rows * d, 1f);
        TensorF64 xt = TensorF64.wrap(SimdTestData.toDoubles(x), rows, d);
        for (RopeLayout layout : RopeLayout.values()) {
            TensorF64 first = null;
            for (int bits : SimdSpecies.supportedBits()) {
                TensorF64 y = SimdSpecies.withBits(bits, () -> new SimdRope(ctx).apply(xt, positions, layout));
                for (int r = 0; r < rows; r++) {
                    for (int i = 0; i < d / 2; i++) {
                        int ia = layout == RopeLayout.INTERLEAVED ? 2 * i : i;
                        int ib = layout == RopeLayout.INTERLEAVED ? 2 * i + 1 : i + d / 2;
                        double a = x[r * d + ia], b = x[r * d + ib], th = positions[r] * f[i];
                        double c = Math.cos(th), s = Math.sin(th);
                        // cos and sin rounded to fp32 (u each), one product rounded, one fma: <= 3 u (|a| + |b|)
                        double tol = 3 * U * (Math.abs(a) + Math.abs(b));
                        assertWithin(a * c - b * s, y.at(r, ia), tol, layout + " row " + r + " pair " + i);
                        assertWithin(b * c + a * s, y.at(r, ib), tol, layout + " row " + r + " pair " + i);
                    }
                }
                if (first == null) first = y;
                else assertBitwise(first, y, layout + " width " + bits);
            }
        }
        assertEquals(x[0], xt.getFlat(0), "input not modified");
    }

    @Test
    void interleavedAndHalfSplitDifferAwayFromPositionZero() {
        OpContext ctx = SimdTestData.context(PrecisionMode.EXACT);
        int d = ctx.config().qkRopeHeadDim();
        TensorF64 x = TensorF64.wrap(SimdTestData.toDoubles(SimdTestData.gaussian(new Random(7), d, 1f)), 1, d);
        TensorF64 a = new SimdRope(ctx).apply(x, new int[] {100}, RopeLayout.INTERLEAVED);
        TensorF64 b = new SimdRope(ctx).apply(x, new int[] {100}, RopeLayout.HALF_SPLIT);
        double diff = 0;
        for (int i = 0; i < d; i++) diff += Math.abs(a.getFlat(i) - b.getFlat(i));
        // by more than the harness's RoPE gate admits, so that a swapped layout cannot pass as rounding
        double scale = 0;
        for (int i = 0; i < d; i++) scale += Math.abs(x.getFlat(i));
        if (diff <= Tolerances.rope(100, 1.0).maxErrInf() * scale) fail("the two layouts must rotate different pairs");
    }

    @Property(tries = 10, seed = "9")
    void hadamardMatchesTheSylvesterMatrix(@ForAll long seed, @ForAll @IntRange(min = 0, max = 8) int log) {
        int n = 1 << log, rows = 2;
        float[] x = SimdTestData.gaussian(new Random(seed), rows * n, 1f);
        TensorF64 xt = TensorF64.wrap(SimdTestData.toDoubles(x), rows, n);
        TensorF64[] first = {null};
        atEveryWidth(() -> new SimdHadamard().apply(xt), y -> {
            for (int r = 0; r < rows; r++) {
                double abs = 0;
                for (int j = 0; j < n; j++) abs += Math.abs(x[r * n + j]);
                for (int i = 0; i < n; i++) {
                    double e = 0;
                    for (int j = 0; j < n; j++) e += (Integer.bitCount(i & j) % 2 == 0 ? 1 : -1) * x[r * n + j];
                    e /= Math.sqrt(n);
                    // log2(n) rounded additions (each <= u times the partial magnitude <= sum |x|), the scale and its
                    // rounding: (log2 n + 2) u sum|x| / sqrt(n)
                    assertWithin(e, y.at(r, i), (log + 2) * U * abs / Math.sqrt(n), "hadamard n=" + n + " [" + i + "]");
                }
            }
            if (first[0] == null) first[0] = y;
            else assertBitwise(first[0], y, "hadamard widths agree bitwise");
        });
    }

    @Test
    void hadamardTwiceIsTheIdentity() {
        int n = 128;
        float[] x = SimdTestData.gaussian(new Random(10), n, 1f);
        TensorF64 xt = TensorF64.wrap(SimdTestData.toDoubles(x), 1, n);
        TensorF64 twice = new SimdHadamard().apply(new SimdHadamard().apply(xt));
        for (int i = 0; i < n; i++) assertWithin(x[i], twice.getFlat(i), 40 * U * 12, "H H x = x at " + i);
        assertThrows(IllegalArgumentException.class, () -> new SimdHadamard().apply(TensorF64.zeros(1, 96)));
    }

    @Test
    void mlpMatchesFloat64SwiGlu() {
        Random rnd = new Random(12);
        int m = 3, d = 128, inter = 160;
        DenseWeight gate = SimdTestData.denseWeight(rnd, inter, d, DType.BF16);
        DenseWeight up = SimdTestData.denseWeight(rnd, inter, d, DType.BF16);
        DenseWeight down = SimdTestData.denseWeight(rnd, d, inter, DType.BF16);
        float[] x = SimdTestData.gaussian(rnd, m * d, 1f);
        TensorF64 xt = TensorF64.wrap(SimdTestData.toDoubles(x), m, d);
        OpContext ctx = SimdTestData.context(PrecisionMode.EXACT);
        SimdBackend backend = new SimdBackend();
        atEveryWidth(() -> backend.require(org.dsv32.spec.ops.MlpOp.class, ctx).forward(xt, new MlpWeights(gate, up, down)), y -> {
            double[] g = SimdTestData.linearFloat64(x, m, gate)[0], u = SimdTestData.linearFloat64(x, m, up)[0];
            double[] h = new double[m * inter];
            for (int i = 0; i < h.length; i++) h[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
            for (int i = 0; i < m; i++) {
                for (int c = 0; c < d; c++) {
                    double e = 0, abs = 0;
                    for (int j = 0; j < inter; j++) {
                        e += h[i * inter + j] * down.get(c, j);
                        abs += Math.abs(h[i * inter + j] * down.get(c, j));
                    }
                    // each h carries the gate/up product errors (<= (d + 5) u relative, fp32 exp within a few ulp,
                    // through silu's derivative <= 1.1) and the down product adds (inter + 5) u of sum |h w|
                    assertWithin(e, y.at(i, c), (2 * d + inter + 40) * U * abs, "mlp " + i + "," + c);
                }
            }
        });
    }

    @Test
    void backendRegistersEveryImplementedOperation() {
        SimdBackend b = new SimdBackend();
        OpContext ctx = SimdTestData.context(PrecisionMode.FP8);
        for (Class<? extends org.dsv32.spec.ops.Operation> op : java.util.List.of(org.dsv32.spec.ops.ActQuantOp.class,
                org.dsv32.spec.ops.LinearOp.class, org.dsv32.spec.ops.RmsNormOp.class, org.dsv32.spec.ops.LayerNormOp.class,
                org.dsv32.spec.ops.RopeOp.class, org.dsv32.spec.ops.HadamardOp.class, org.dsv32.spec.ops.MlpOp.class)) {
            if (b.operation(op, ctx).isEmpty()) fail("simd lacks " + op.getSimpleName());
            if (b.delegateOf(op).isPresent()) fail("simd delegates " + op.getSimpleName());
        }
    }
}
