package org.dsv32.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.DenseWeight;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** RMSNorm (plain and fused residual) and LayerNorm on the GPU against their float64 definitions. Needs a GPU. */
class CudaNormsTest {
    @BeforeEach void gpu() { GpuTestSupport.assumeGpu(); }

    private static DenseWeight vector(Random rnd, String name, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (1 + 0.5 * rnd.nextGaussian());
        return DenseWeight.ofFloats(name, v, 1, n);
    }

    private static double[] rms(double[] x, DenseWeight w, double eps) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double r = 1 / Math.sqrt(ss / x.length + eps);
        double[] y = new double[x.length];
        for (int i = 0; i < y.length; i++) y[i] = w.get(i) * x[i] * r;
        return y;
    }

    @Test
    void rmsNormMatchesTheDefinition() {
        Random rnd = new Random(1);
        int cols = 1000;   // not a multiple of the block: the strided loop's tail
        TensorF64 x = GpuTestSupport.floats(rnd, 4, cols, 3.0);
        DenseWeight w = vector(rnd, "norm.weight", cols);
        TensorF64 y = GpuTestSupport.op(RmsNormOp.class, PrecisionMode.FP8).apply(x, w, 1e-6);
        for (int r = 0; r < 4; r++) {
            double[] e = rms(x.rowArray(r), w, 1e-6);
            double rel = Tolerances.rmsNorm(cols, false).maxErrInf();
            for (int c = 0; c < cols; c++) assertEquals(e[c], y.at(r, c), rel * Math.abs(e[c]) + Double.MIN_NORMAL, "y[" + r + "][" + c + "]");
        }
    }

    @Test
    void fusedResidualUpdatesTheResidualAndNormalisesTheSum() {
        Random rnd = new Random(2);
        int cols = 512;
        TensorF64 x = GpuTestSupport.floats(rnd, 3, cols, 1.0), residual = GpuTestSupport.floats(rnd, 3, cols, 5.0);
        TensorF64 before = residual.copy();
        DenseWeight w = vector(rnd, "norm.weight", cols);
        TensorF64 y = GpuTestSupport.op(RmsNormOp.class, PrecisionMode.FP8).applyWithResidual(x, residual, w, 1e-6);
        for (int r = 0; r < 3; r++) {
            double[] sum = new double[cols];
            for (int c = 0; c < cols; c++) {
                sum[c] = before.at(r, c) + x.at(r, c);
                assertEquals((float) sum[c], residual.at(r, c), 0.0, "residual[" + r + "][" + c + "] (one fp32 addition)");
            }
            // the normalised values of the fp32 sum, which rounds once (the residual, checked above)
            double[] e = rms(sum, w, 1e-6);
            double rel = Tolerances.rmsNorm(cols, true).maxErrInf();
            for (int c = 0; c < cols; c++) assertEquals(e[c], y.at(r, c), rel * Math.abs(e[c]) + Double.MIN_NORMAL, "y[" + r + "][" + c + "]");
        }
    }

    @Test
    void epsIsUsed() {
        TensorF64 x = TensorF64.zeros(1, 64);
        x.put(0, 0, 1e-3);
        DenseWeight w = DenseWeight.ofFloats("w", new float[64], 1, 64);
        DenseWeight ones = DenseWeight.ofFloats("ones", filled(64, 1f), 1, 64);
        RmsNormOp op = GpuTestSupport.op(RmsNormOp.class, PrecisionMode.FP8);
        double big = op.apply(x, ones, 1e-2).at(0, 0), small = op.apply(x, ones, 1e-12).at(0, 0);
        double rel = Tolerances.rmsNorm(64, false).maxErrInf();
        assertEquals(1e-3 / Math.sqrt(1e-6 / 64 + 1e-2), big, rel * 0.01);
        // a tiny eps still counts: sqrt(64) (1 - eps / (2 mean(x^2))) = 7.99974, not 8
        assertEquals(1e-3 / Math.sqrt(1e-6 / 64 + 1e-12), small, rel * 8);
        assertEquals(0.0, op.apply(x, w, 1e-6).at(0, 0));
    }

    private static float[] filled(int n, float v) {
        float[] f = new float[n];
        java.util.Arrays.fill(f, v);
        return f;
    }

    @Test
    void layerNormMatchesTheDefinitionWithBiasedVariance() {
        Random rnd = new Random(3);
        int cols = 128;
        TensorF64 x = GpuTestSupport.floats(rnd, 5, cols, 2.0);
        for (int c = 0; c < cols; c++) x.put(1, c, (float) (100 + x.at(1, c)));   // a large mean: the two-pass variance matters
        DenseWeight w = vector(rnd, "k_norm.weight", cols), b = vector(rnd, "k_norm.bias", cols);
        TensorF64 y = GpuTestSupport.op(LayerNormOp.class, PrecisionMode.FP8).apply(x, w, b, 1e-6);
        for (int r = 0; r < 5; r++) {
            double mean = 0, var = 0;
            for (int c = 0; c < cols; c++) mean += x.at(r, c) / cols;
            for (int c = 0; c < cols; c++) var += (x.at(r, c) - mean) * (x.at(r, c) - mean) / cols;
            // the harness's LayerNorm bound at this row's condition max|x| / std(x) (row 1's mean of 100 cancels)
            double max = 0;
            for (int c = 0; c < cols; c++) max = Math.max(max, Math.abs(x.at(r, c)));
            double eps = Tolerances.epsOfCalcDiff(Tolerances.layerNorm(cols, max / Math.sqrt(var)).calcDiff());
            for (int c = 0; c < cols; c++) {
                double e = (x.at(r, c) - mean) / Math.sqrt(var + 1e-6) * w.get(c) + b.get(c);
                assertEquals(e, y.at(r, c), eps * (1 + Math.abs(e)), "y[" + r + "][" + c + "]");
            }
        }
    }
}
