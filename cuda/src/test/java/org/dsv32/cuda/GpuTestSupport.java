package org.dsv32.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.dsv32.spec.backend.Availability;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.format.UE8M0;
import org.dsv32.spec.ops.Operation;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.ScaleFormat;
import org.junit.jupiter.api.Assumptions;

/**
 * For the tests that run kernels: the backend, the skip (with the backend's reason) where no GPU is usable, small
 * seeded inputs, and the formulas of spec/SEMANTICS.md computed independently in float64 to compare the GPU against.
 */
final class GpuTestSupport {
    private GpuTestSupport() {}

    static final CudaBackend BACKEND = new CudaBackend();

    /** Skips the calling test (or class, from @BeforeAll) with "cuda: unavailable: reason" when there is no GPU. */
    static void assumeGpu() {
        Availability a = BACKEND.availability();
        Assumptions.assumeTrue(a.available(), () -> "cuda: " + a);
    }

    static <T extends Operation> T op(Class<T> type, PrecisionMode mode) {
        return BACKEND.require(type, new OpContext(ModelConfig.deepseekV32(), mode));
    }

    static <T extends Operation> T op(Class<T> type, ModelConfig config) {
        return BACKEND.require(type, new OpContext(config, PrecisionMode.FP8));
    }

    /** Values that are exact in fp32 (so the GPU sees exactly what the float64 formula sees), of varied magnitude. */
    static TensorF64 floats(Random rnd, int rows, int cols, double scale) {
        double[] d = new double[rows * cols];
        for (int i = 0; i < d.length; i++) d[i] = (float) (rnd.nextGaussian() * scale * Math.exp(rnd.nextGaussian()));
        return TensorF64.wrap(d, rows, cols);
    }

    /** An FP8 weight with random finite codes and random block scales (powers of two when {@code ue8m0}). */
    static Fp8BlockWeight fp8Weight(Random rnd, String name, int rows, int cols, boolean ue8m0) {
        byte[] codes = new byte[rows * cols];
        for (int i = 0; i < codes.length; i++) {
            int c;
            do c = rnd.nextInt(256); while ((c & 0x7F) == 0x7F);   // no NaN codes
            codes[i] = (byte) c;
        }
        int sr = Fp8BlockWeight.scaleRows(rows, 128), sc = Fp8BlockWeight.scaleCols(cols, 128);
        MemorySegment scales = MemorySegment.ofArray(new byte[4 * sr * sc]);
        ValueLayout.OfFloat le = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < sr * sc; i++) {
            float s = (float) Math.scalb(ue8m0 ? 1.0 : 1 + rnd.nextDouble(), -12 + rnd.nextInt(6));
            scales.set(le, 4L * i, s);
        }
        return Fp8BlockWeight.of(name, MemorySegment.ofArray(codes), scales, rows, cols);
    }

    /** act_quant per spec/SEMANTICS.md §3, in float64 with the fp32 scale: codes and scales of one matrix. */
    record Quantized(byte[] codes, float[] scales, int rows, int cols) {
        double value(int r, int c) { return E4M3.decode(codes[r * cols + c]); }
        float scale(int r, int t) { return scales[r * (cols / 128) + t]; }
    }

    static Quantized actQuant(TensorF64 x, ScaleFormat format) {
        int rows = x.rows(), cols = x.cols(), tiles = cols / 128;
        byte[] codes = new byte[rows * cols];
        float[] scales = new float[rows * tiles];
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < tiles; t++) {
                double amax = 0;
                for (int c = t * 128; c < (t + 1) * 128; c++) amax = Math.max(amax, Math.abs(x.at(r, c)));
                float s = (float) Math.max(amax, 1e-4) * (float) (1.0 / 448);
                if (format == ScaleFormat.UE8M0 && Float.isFinite(s)) s = UE8M0.roundUp(s);
                scales[r * tiles + t] = s;
                for (int c = t * 128; c < (t + 1) * 128; c++) codes[r * cols + c] = E4M3.encode(x.at(r, c) / s);
            }
        }
        return new Quantized(codes, scales, rows, cols);
    }

    /**
     * spec/SEMANTICS.md §4, exactly (float64 holds every block sum exactly): y[m][n] and, in {@code bound}, the
     * same sum with absolute values — the scale of the rounding the tensor core may do inside a block.
     */
    static double[] fp8Gemm(Quantized a, Fp8BlockWeight w, double[] bound) {
        int m = a.rows(), k = a.cols(), n = w.rows();
        double[] y = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0, abs = 0;
                for (int b = 0; b < k / 128; b++) {
                    double part = 0, partAbs = 0;
                    for (int kk = b * 128; kk < (b + 1) * 128; kk++) {
                        double p = a.value(i, kk) * E4M3.decode(w.code(j, kk));
                        part += p;
                        partAbs += Math.abs(p);
                    }
                    double s = (double) a.scale(i, b) * w.scale(j / 128, b);
                    acc += part * s;
                    abs += partAbs * Math.abs(s);
                }
                y[i * n + j] = acc;
                bound[i * n + j] = abs;
            }
        }
        return y;
    }
}
