package org.dsv32.cuda;

import org.dsv32.spec.io.DType;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Weight;

/**
 * Embedding lookup on the GPU (embedding.cu): row {@code tokens[t]} of the [vocab][D] table as fp32, exactly — a
 * bf16 table is kept as stored on the device and widened ({@code dsv32_embed_bf16}), any other from its fp32 copy
 * ({@code dsv32_embed_f32}). Every id is checked against the vocabulary first.
 */
final class CudaEmbedding {
    private CudaEmbedding() {}

    static TensorF64 lookup(CudaContext gpu, Weight table, int[] tokens) {
        int vocab = table.rows(), dim = table.cols();
        for (int id : tokens) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + vocab + ") of " + table.name());
            }
        }
        boolean bf16 = table instanceof DenseWeight d && d.dtype() == DType.BF16;
        DeviceBuffer dt = bf16 ? gpu.bf16((DenseWeight) table) : gpu.f32(table);
        long n = (long) tokens.length * dim;
        try (DeviceBuffer ids = gpu.upload(tokens); DeviceBuffer out = gpu.alloc(4L * n)) {
            gpu.launch(bf16 ? CudaKernel.EMBED_BF16 : CudaKernel.EMBED_F32, Math.toIntExact((n + 255) / 256), 1, 256, 0,
                    dt, ids, out, tokens.length, dim);
            return CudaTensors.fromFloats(gpu.downloadFloats(out, Math.toIntExact(n)), tokens.length, dim);
        }
    }
}
