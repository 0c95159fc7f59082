package org.dsv32.cuda;

import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Weight;

/**
 * LayerNorm per row on the GPU ({@code dsv32_layernorm}, norms.cu): two-pass mean and biased variance in fp32,
 * y = ((x - mean) * rsqrt(var + eps)) * w + b. x is not modified.
 */
final class CudaLayerNorm implements LayerNormOp {
    private final CudaContext gpu;

    CudaLayerNorm(CudaContext gpu) { this.gpu = gpu; }

    @Override
    public TensorF64 apply(TensorF64 x, Weight w, Weight b, double eps) {
        int rows = x.rows(), cols = x.cols();
        CudaTensors.checkVector(w, cols, "layer_norm");
        CudaTensors.checkVector(b, cols, "layer_norm");
        try (DeviceBuffer dx = gpu.upload(CudaTensors.toFloats(x)); DeviceBuffer y = gpu.alloc(4L * rows * cols)) {
            gpu.launch(CudaKernel.LAYERNORM, rows, 1, CudaTensors.rowThreads(cols), 0, dx, gpu.f32(w), gpu.f32(b), y, cols, (float) eps);
            return CudaTensors.fromFloats(gpu.downloadFloats(y, rows * cols), x.shape());
        }
    }
}
