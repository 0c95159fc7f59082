package org.dsv32.cuda;

import java.util.function.Supplier;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.LinearChecks;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.ScaleFormat;
import org.dsv32.spec.weights.Weight;

/**
 * y = x W^T on the GPU, for x [..][K] and W [N][K]; the result has x's shape with the last axis N. x is not modified.
 *
 * <ul>
 *   <li>FP8 W in fp8 mode: x goes through act_quant on the device ({@code dsv32_act_quant}, the configuration's
 *       scale format), then y[m][n] = sum_b (sum_{k in b} qa qw) * sa[m][b] * sw[n/BR][b] with the FP8 tensor-core
 *       kernel {@code dsv32_fp8_gemm} (per-128-block promotion into fp32), or {@code dsv32_fp8_gemv} when M = 1.
 *       Needs K a multiple of 128 (as act_quant does) and 128-wide weight blocks; other block widths go to the
 *       fallback (simd).</li>
 *   <li>Dense W (bf16 router, LM head, indexer weights projection), and FP8 W in exact mode (dequantised once on
 *       the device): the fp32 product, {@code dsv32_sgemm} or {@code dsv32_sgemv} when M = 1; a bf16 weight stays
 *       bf16 on the device and the {@code _bf16w} variants widen it (exactly) as they load it.</li>
 * </ul>
 * Weights are uploaded once per Weight object and stay on the device ({@link CudaContext}).
 */
final class CudaLinear implements LinearOp {
    private final OpContext context;
    private final CudaContext gpu;
    private final Supplier<LinearOp> fallback;

    CudaLinear(OpContext context, CudaContext gpu, Supplier<LinearOp> fallback) {
        this.context = context;
        this.gpu = gpu;
        this.fallback = fallback;
    }

    @Override
    public TensorF64 apply(TensorF64 x, Weight w) {
        int m = x.rows(), k = x.cols(), n = w.rows();
        LinearChecks.checkInput(w, m, k);
        if (w instanceof Fp8BlockWeight q && context.fp8()) {
            if (q.blockCols() != CudaActQuant.TILE) return fallback.get().apply(x, w);
            CudaActQuant.checkTileable(x);
            return CudaTensors.fromFloats(fp8(CudaTensors.toFloats(x), m, k, q, context.scaleFormat()), CudaTensors.withLastDim(x, n));
        }
        return CudaTensors.fromFloats(dense(CudaTensors.toFloats(x), m, k, w), CudaTensors.withLastDim(x, n));
    }

    private float[] fp8(float[] x, int m, int k, Fp8BlockWeight w, ScaleFormat format) {
        CudaContext.Fp8DeviceWeight dw = gpu.fp8(w);
        int n = w.rows();
        try (DeviceBuffer dx = gpu.upload(x);
             DeviceBuffer qa = gpu.alloc((long) m * k);
             DeviceBuffer sa = gpu.alloc(4L * m * (k / CudaActQuant.TILE));
             DeviceBuffer y = gpu.alloc(4L * m * n)) {
            CudaActQuant.launch(gpu, dx, qa, sa, m, k, format);
            if (m == 1) {
                gpu.launch(CudaKernel.FP8_GEMV, (n + 7) / 8, 1, 256, 0, qa, sa, dw.codes(), dw.scales(), y, n, k, w.blockRows());
            } else {
                gpu.launch(CudaKernel.FP8_GEMM, (n + 63) / 64, (m + 63) / 64, 128, 0,
                        qa, sa, dw.codes(), dw.scales(), y, m, n, k, w.blockRows());
            }
            return gpu.downloadFloats(y, m * n);
        }
    }

    private float[] dense(float[] x, int m, int k, Weight w) {
        int n = w.rows();
        try (DeviceBuffer dx = gpu.upload(x); DeviceBuffer y = gpu.alloc(4L * m * n)) {
            dense(gpu, dx, w, y, m, k);
            return gpu.downloadFloats(y, m * n);
        }
    }

    /**
     * y [m][N] = x [m][k] W^T in fp32 on the device: a bf16 weight read as stored ({@code dsv32_sgemv_bf16w} /
     * {@code dsv32_sgemm_bf16w}), any other weight from its fp32 copy ({@code dsv32_sgemv} / {@code dsv32_sgemm}).
     */
    static void dense(CudaContext gpu, DeviceBuffer x, Weight w, DeviceBuffer y, int m, int k) {
        int n = w.rows();
        boolean bf16 = w instanceof DenseWeight d && d.dtype() == DType.BF16;
        DeviceBuffer dw = bf16 ? gpu.bf16((DenseWeight) w) : gpu.f32(w);
        if (m == 1) gpu.launch(bf16 ? CudaKernel.SGEMV_BF16W : CudaKernel.SGEMV, (n + 7) / 8, 1, 256, 0, x, dw, y, n, k);
        else gpu.launch(bf16 ? CudaKernel.SGEMM_BF16W : CudaKernel.SGEMM, (n + 63) / 64, (m + 63) / 64, 256, 0, x, dw, y, m, n, k);
    }
}
