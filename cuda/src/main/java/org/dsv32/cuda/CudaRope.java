package org.dsv32.cuda;

import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.config.Rope;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;

/**
 * RoPE on the GPU ({@code dsv32_rope}, rope.cu) in both layouts. The angles p * f_i (YaRN frequencies of the
 * configuration, {@link Rope#frequencies}) and their cos and sin are computed on the host in float64 and rounded
 * to fp32 once; the kernel does the rotation (a cos - b sin, a sin + b cos) in fp32. x is not modified.
 */
final class CudaRope implements RopeOp {
    private final OpContext context;
    private final CudaContext gpu;

    CudaRope(OpContext context, CudaContext gpu) {
        this.context = context;
        this.gpu = gpu;
    }

    @Override
    public TensorF64 apply(TensorF64 x, int[] positions, RopeLayout layout) {
        int rows = x.rows(), d = x.cols(), half = d / 2;
        if (positions.length != rows) {
            throw new IllegalArgumentException("rope: " + positions.length + " positions for " + rows + " rows of " + x);
        }
        double[] f = Rope.frequencies(d, context.config().ropeTheta(), context.config().ropeScaling());
        float[] cs = new float[2 * rows * half];
        for (int r = 0, i = 0; r < rows; r++) {
            for (int p = 0; p < half; p++) {
                double angle = positions[r] * f[p];
                cs[i++] = (float) Math.cos(angle);
                cs[i++] = (float) Math.sin(angle);
            }
        }
        try (DeviceBuffer dx = gpu.upload(CudaTensors.toFloats(x));
             DeviceBuffer dcs = gpu.upload(cs);
             DeviceBuffer y = gpu.alloc(4L * rows * d)) {
            long pairs = (long) rows * half;
            gpu.launch(CudaKernel.ROPE, Math.toIntExact((pairs + 255) / 256), 1, 256, 0,
                    dx, dcs, y, rows, d, layout == RopeLayout.INTERLEAVED ? 1 : 0);
            return CudaTensors.fromFloats(gpu.downloadFloats(y, rows * d), x.shape());
        }
    }
}
