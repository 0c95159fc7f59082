package org.dsv32.cuda;

import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.tensor.TensorF64;

/**
 * y = n^-1/2 H_n x per row on the GPU ({@code dsv32_hadamard}, hadamard.cu): the fast Walsh-Hadamard butterflies
 * in shared memory (Sylvester order), then one multiplication by fp32(n^-1/2). n must be a power of two of at
 * most 8192 (the row must fit the 48 KiB of static shared memory every launch may use).
 */
final class CudaHadamard implements HadamardOp {
    static final int MAX_N = 8192;
    private final CudaContext gpu;

    CudaHadamard(CudaContext gpu) { this.gpu = gpu; }

    @Override
    public TensorF64 apply(TensorF64 x) {
        int rows = x.rows(), n = x.cols();
        if (n <= 0 || Integer.bitCount(n) != 1) throw new IllegalArgumentException("hadamard: " + x + ": row length " + n + " is not a power of two");
        if (n > MAX_N) throw new IllegalArgumentException("hadamard: row length " + n + " exceeds the GPU kernel's " + MAX_N);
        try (DeviceBuffer dx = gpu.upload(CudaTensors.toFloats(x)); DeviceBuffer y = gpu.alloc(4L * rows * n)) {
            gpu.launch(CudaKernel.HADAMARD, rows, 1, Math.max(32, Math.min(512, n / 2)), 4 * n,
                    dx, y, n, (float) (1.0 / Math.sqrt(n)));
            return CudaTensors.fromFloats(gpu.downloadFloats(y, rows * n), x.shape());
        }
    }
}
