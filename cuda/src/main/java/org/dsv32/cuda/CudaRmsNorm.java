package org.dsv32.cuda;

import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Weight;

/**
 * RMSNorm per row on the GPU ({@code dsv32_rmsnorm}, norms.cu): y = (x * rsqrt(mean(x^2) + eps)) * w in fp32, one
 * block per row. The fused form ({@code dsv32_rmsnorm_residual}) adds x into the residual on the device (fp32) and
 * normalises the sum; the updated residual is written back into the caller's tensor.
 */
final class CudaRmsNorm implements RmsNormOp {
    private final CudaContext gpu;

    CudaRmsNorm(CudaContext gpu) { this.gpu = gpu; }

    @Override
    public TensorF64 apply(TensorF64 x, Weight w, double eps) {
        int rows = x.rows(), cols = x.cols();
        CudaTensors.checkVector(w, cols, "rms_norm");
        try (DeviceBuffer dx = gpu.upload(CudaTensors.toFloats(x)); DeviceBuffer y = gpu.alloc(4L * rows * cols)) {
            gpu.launch(CudaKernel.RMSNORM, rows, 1, CudaTensors.rowThreads(cols), 0, dx, gpu.f32(w), y, cols, (float) eps);
            return CudaTensors.fromFloats(gpu.downloadFloats(y, rows * cols), x.shape());
        }
    }

    @Override
    public TensorF64 applyWithResidual(TensorF64 x, TensorF64 residual, Weight w, double eps) {
        int rows = x.rows(), cols = x.cols();
        if (residual.size() != x.size() || residual.cols() != cols) {
            throw new IllegalArgumentException("rms_norm: residual " + residual + " does not match " + x);
        }
        CudaTensors.checkVector(w, cols, "rms_norm");
        try (DeviceBuffer dx = gpu.upload(CudaTensors.toFloats(x));
             DeviceBuffer dr = gpu.upload(CudaTensors.toFloats(residual));
             DeviceBuffer y = gpu.alloc(4L * rows * cols)) {
            gpu.launch(CudaKernel.RMSNORM_RESIDUAL, rows, 1, CudaTensors.rowThreads(cols), 0, dx, dr, gpu.f32(w), y, cols, (float) eps);
            float[] sum = gpu.downloadFloats(dr, rows * cols);
            for (int i = 0; i < sum.length; i++) residual.setFlat(i, sum[i]);
            return CudaTensors.fromFloats(gpu.downloadFloats(y, rows * cols), x.shape());
        }
    }
}
