package org.dsv32.cuda;

import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * act_quant on the GPU (kernel {@code dsv32_act_quant}, act_quant.cu): per 128-column tile
 * amax = max(max|x|, 1e-4), s = fp32(amax * fp32(1/448)), rounded up to a power of two with ue8m0,
 * q = e4m3(x / s) nearest-even saturating. The input is rounded to fp32 first and x / s is an fp32 quotient (exact
 * for ue8m0 scales). x is not modified.
 */
final class CudaActQuant implements ActQuantOp {
    static final int TILE = 128;
    private final CudaContext gpu;

    CudaActQuant(CudaContext gpu) { this.gpu = gpu; }

    @Override
    public QuantizedActivation quantize(TensorF64 x, ScaleFormat format) {
        int rows = x.rows(), cols = x.cols();
        checkTileable(x);
        try (DeviceBuffer dx = gpu.upload(CudaTensors.toFloats(x));
             DeviceBuffer codes = gpu.alloc((long) rows * cols);
             DeviceBuffer scales = gpu.alloc(4L * rows * (cols / TILE))) {
            launch(gpu, dx, codes, scales, rows, cols, format);
            return new QuantizedActivation(gpu.downloadBytes(codes, rows * cols),
                    gpu.downloadFloats(scales, rows * (cols / TILE)), rows, cols, TILE);
        }
    }

    static void checkTileable(TensorF64 x) {
        if (x.cols() % TILE != 0) {
            throw new IllegalArgumentException("act_quant: " + x + " has " + x.cols()
                    + " columns, not a multiple of the " + TILE + "-column quantisation tile");
        }
    }

    /** Quantises device rows x [rows][cols] into codes [rows][cols] and scales [rows][cols / 128]: one warp per tile. */
    static void launch(CudaContext gpu, DeviceBuffer x, DeviceBuffer codes, DeviceBuffer scales, int rows, int cols,
                       ScaleFormat format) {
        long warps = (long) rows * (cols / TILE);
        gpu.launch(CudaKernel.ACT_QUANT, Math.toIntExact((warps + 3) / 4), 1, 128, 0,
                x, codes, scales, rows, cols, format == ScaleFormat.UE8M0 ? 1 : 0);
    }
}
