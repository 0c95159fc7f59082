package org.dsv32.optimized;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.format.BF16;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.ScaleFormat;
import org.dsv32.spec.weights.Weight;

/** Seeded test inputs and the straightforward float64 computations the simd kernels are checked against. */
final class SimdTestData {
    private SimdTestData() {}

    /** fp32 unit roundoff. */
    static final double U = Tolerances.U_FP32;

    static OpContext context(PrecisionMode mode) { return new OpContext(ModelConfig.deepseekV32(), mode); }

    /** A context whose act_quant scales are plain fp32 (no quantization_config). */
    static OpContext plainScaleContext(PrecisionMode mode) {
        return new OpContext(ModelConfig.deepseekV32().withQuantization(null), mode);
    }

    /** Gaussian values rounded to fp32, times {@code scale}. */
    static float[] gaussian(Random rnd, int n, float scale) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) rnd.nextGaussian() * scale;
        return f;
    }

    /**
     * A random FP8 weight: e4m3 codes drawn over all finite codes (NaN codes only if {@code withNaN}), block scales
     * either powers of two (ue8m0-like) or arbitrary fp32 values.
     */
    static Fp8BlockWeight fp8Weight(Random rnd, int rows, int cols, int blockRows, int blockCols, boolean pow2Scales, boolean withNaN) {
        byte[] codes = new byte[rows * cols];
        for (int i = 0; i < codes.length; i++) {
            int c = rnd.nextInt(256);
            if (!withNaN && (c & 0x7F) == 0x7F) c ^= 0x01;
            codes[i] = (byte) c;
        }
        int sr = Fp8BlockWeight.scaleRows(rows, blockRows), sc = Fp8BlockWeight.scaleCols(cols, blockCols);
        MemorySegment scales = MemorySegment.ofArray(new byte[4 * sr * sc]);
        for (int i = 0; i < sr * sc; i++) {
            float s = pow2Scales ? Math.scalb(1f, -10 + rnd.nextInt(6)) : (float) (0.0005 + 0.002 * rnd.nextDouble());
            scales.set(SimdLayouts.F32, 4L * i, s);
        }
        return new Fp8BlockWeight("test.fp8", MemorySegment.ofArray(codes), scales, rows, cols, blockRows, blockCols);
    }

    /**
     * w with each e4m3 subnormal code (S.0000.mmm, mmm not 0) given exponent bits 0001, so that no code is subnormal
     * (the few-row products of a weight with subnormal codes take the exact panel decode; without, the fast paths).
     */
    static Fp8BlockWeight withoutSubnormalCodes(Fp8BlockWeight w) {
        byte[] codes = new byte[Math.toIntExact(w.codes().byteSize())];
        MemorySegment.copy(w.codes(), java.lang.foreign.ValueLayout.JAVA_BYTE, 0, codes, 0, codes.length);
        for (int i = 0; i < codes.length; i++) if ((codes[i] & 0x78) == 0 && (codes[i] & 0x07) != 0) codes[i] |= 0x08;
        return new Fp8BlockWeight(w.name() + ".normal", MemorySegment.ofArray(codes), w.scales(), w.rows(), w.cols(), w.blockRows(), w.blockCols());
    }

    /** A dense weight of the given dtype (BF16 or F32) with Gaussian values (rounded to that dtype). */
    static DenseWeight denseWeight(Random rnd, int rows, int cols, DType dtype) {
        float[] v = gaussian(rnd, rows * cols, 0.05f);
        if (dtype == DType.F32) return DenseWeight.ofFloats("test.f32", v, rows, cols);
        if (dtype != DType.BF16) throw new IllegalArgumentException(dtype.toString());
        MemorySegment seg = MemorySegment.ofArray(new byte[2 * v.length]);
        for (int i = 0; i < v.length; i++) seg.set(SimdLayouts.I16, 2L * i, BF16.fromFloat(v[i]));
        return new DenseWeight("test.bf16", seg, DType.BF16, rows, cols);
    }

    /** A 1-D fp32 weight. */
    static DenseWeight vectorWeight(float[] v) { return DenseWeight.ofFloats("test.vector", v, 1, v.length); }

    static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** y = x W^T in float64 with the dequantised weight, and T = sum |x w| per output (for tolerances). */
    static double[][] linearFloat64(float[] x, int m, Weight w) {
        int n = w.rows(), k = w.cols();
        double[] y = new double[m * n], t = new double[m * n];
        for (int c = 0; c < n; c++) {
            double[] row = w.row(c);
            for (int i = 0; i < m; i++) {
                double s = 0, a = 0;
                for (int kk = 0; kk < k; kk++) {
                    double p = x[i * k + kk] * row[kk];
                    s += p;
                    a += Math.abs(p);
                }
                y[i * n + c] = s;
                t[i * n + c] = a;
            }
        }
        return new double[][] {y, t};
    }

    /** The fp8-mode product in float64: sum_b (sum_k qa qw) * sa * sw (spec/SEMANTICS.md §4), and T = sum |terms|. */
    static double[][] linearFp8Float64(QuantizedActivation q, Fp8BlockWeight w) {
        int m = q.rows(), n = w.rows(), k = w.cols();
        double[] y = new double[m * n], t = new double[m * n];
        for (int c = 0; c < n; c++) {
            for (int i = 0; i < m; i++) {
                double s = 0, a = 0;
                for (int b = 0; b * 128 < k; b++) {
                    double blk = 0, abs = 0;
                    for (int kk = b * 128; kk < Math.min(k, b * 128 + 128); kk++) {
                        double p = E4M3.decode(q.code(i, kk)) * E4M3.decode(w.code(c, kk));
                        blk += p;
                        abs += Math.abs(p);
                    }
                    double sc = (double) q.scale(i, b) * w.scale(c / w.blockRows(), b);
                    s += blk * sc;
                    a += abs * Math.abs(sc);
                }
                y[i * n + c] = s;
                t[i * n + c] = a;
            }
        }
        return new double[][] {y, t};
    }

    /** act_quant in float64 straight from spec/SEMANTICS.md, with the fp32 scale rule; x / s divided in float64. */
    static QuantizedActivation actQuantFloat64(float[] x, int rows, int cols, ScaleFormat format) {
        byte[] codes = new byte[rows * cols];
        float[] scales = new float[rows * cols / 128];
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < cols / 128; t++) {
                double amax = 0;
                for (int c = t * 128; c < t * 128 + 128; c++) amax = Math.max(amax, Math.abs((double) x[r * cols + c]));
                float s = (float) (Math.max(amax, 1e-4f) * (double) (1f / 448f));
                if (format == ScaleFormat.UE8M0 && Float.isFinite(s)) s = org.dsv32.spec.format.UE8M0.roundUp(s);
                scales[r * (cols / 128) + t] = s;
                for (int c = t * 128; c < t * 128 + 128; c++) codes[r * cols + c] = E4M3.encode(x[r * cols + c] / (double) s);
            }
        }
        return new QuantizedActivation(codes, scales, rows, cols, 128);
    }
}
