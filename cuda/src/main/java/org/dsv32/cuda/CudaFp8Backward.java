package org.dsv32.cuda;

import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.Fp8BackwardOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.ScaleFormat;
import org.dsv32.spec.weights.Weight;

/**
 * The backward GEMMs of an FP8 linear layer on the GPU (spec/SEMANTICS.md §5b, contract {@link Fp8BackwardOp};
 * kernels in fp8_backward.cu), with the simd backend's numerics: fp32 block sums over 128 inner products in
 * ascending order, each promoted by one fma with the product of both scales, so the bits are simd's.
 *
 * <ul>
 *   <li>Dgrad dX = dY W: dY quantised on the device in 1x128 tiles along N per token ({@code dsv32_bwd_quant}),
 *       then {@code dsv32_bwd_gemm_q8q8} against W's codes as stored, with W's block scale S[n/128][k/BC] per column.
 *       Exact mode: dY unquantised against W's codes and scales ({@code _f32q8}); a dense weight: the fp32 product
 *       with its fp32 copy in either mode ({@code _f32f32}).</li>
 *   <li>Wgrad dW = dY^T X: dY and X quantised on the device in 128x1 tiles down the tokens, then {@code _q8q8}
 *       reading dY transposed through its strides. Exact mode: {@code _f32f32} on the values.</li>
 * </ul>
 * Inputs are rounded to fp32 once; weights stay on the device ({@link CudaContext}).
 */
final class CudaFp8Backward implements Fp8BackwardOp {
    private static final int TILE = Fp8BackwardOp.TILE;
    private final CudaContext gpu;
    private final boolean fp8;
    private final ScaleFormat format;

    CudaFp8Backward(OpContext context, CudaContext gpu) {
        this.gpu = gpu;
        this.fp8 = context.fp8();
        this.format = context.scaleFormat();
    }

    @Override
    public TensorF64 dgrad(TensorF64 dy, Weight w) {
        Fp8BackwardOp.validateDgrad(dy, w);
        int m = dy.rows(), n = w.rows(), k = w.cols(), nb = blocks(n);
        try (DeviceBuffer y = gpu.upload(CudaTensors.toFloats(dy));
             DeviceBuffer out = gpu.alloc(4L * m * k);
             DeviceBuffer none = gpu.alloc(4)) {
            if (w instanceof Fp8BlockWeight f) {
                CudaContext.Fp8DeviceWeight dw = gpu.fp8(f);
                int scaleCols = (k + f.blockCols() - 1) / f.blockCols();
                if (fp8) {
                    try (DeviceBuffer q = gpu.alloc((long) m * n); DeviceBuffer s = gpu.alloc(4L * m * nb)) {
                        // per token (line), positions along N, scales [m][nb]
                        quantize(y, q, s, m, n, n, 1, nb, 1);
                        gemm(CudaKernel.BWD_GEMM_Q8Q8, q, s, dw.codes(), dw.scales(), out, m, n, k, n, 1, nb, 1, scaleCols, f.blockCols(), true, true);
                    }
                } else {
                    gemm(CudaKernel.BWD_GEMM_F32Q8, y, none, dw.codes(), dw.scales(), out, m, n, k, n, 1, 0, 0, scaleCols, f.blockCols(), false, true);
                }
            } else {
                gemm(CudaKernel.BWD_GEMM_F32F32, y, none, gpu.f32(w), none, out, m, n, k, n, 1, 0, 0, 0, 1, false, false);
            }
            return CudaTensors.fromFloats(gpu.downloadFloats(out, m * k), m, k);
        }
    }

    @Override
    public TensorF64 wgrad(TensorF64 dy, TensorF64 x) {
        Fp8BackwardOp.validateWgrad(dy, x);
        int m = dy.rows(), n = dy.cols(), k = x.cols(), mb = blocks(m);
        try (DeviceBuffer y = gpu.upload(CudaTensors.toFloats(dy));
             DeviceBuffer xs = gpu.upload(CudaTensors.toFloats(x));
             DeviceBuffer out = gpu.alloc(4L * n * k);
             DeviceBuffer none = gpu.alloc(4)) {
            if (!fp8) {
                // A(i, t) = dY[t][i]: row stride 1, inner stride n
                gemm(CudaKernel.BWD_GEMM_F32F32, y, none, xs, none, out, n, m, k, 1, n, 0, 0, 0, 1, false, false);
            } else {
                try (DeviceBuffer qy = gpu.alloc((long) m * n); DeviceBuffer sy = gpu.alloc(4L * n * mb);
                     DeviceBuffer qx = gpu.alloc((long) m * k); DeviceBuffer sx = gpu.alloc(4L * k * mb)) {
                    // each channel a line down the tokens; dY's scales [n][mb], X's [mb][k]
                    quantize(y, qy, sy, n, m, 1, n, mb, 1);
                    quantize(xs, qx, sx, k, m, 1, k, 1, k);
                    gemm(CudaKernel.BWD_GEMM_Q8Q8, qy, sy, qx, sx, out, n, m, k, 1, n, mb, 1, k, 1, true, true);
                }
            }
            return CudaTensors.fromFloats(gpu.downloadFloats(out, n * k), n, k);
        }
    }

    /** 128-position tiles along each of {@code lines} lines of x (element (l, p) at l lineStride + p posStride). */
    private void quantize(DeviceBuffer x, DeviceBuffer codes, DeviceBuffer scales, int lines, int len, int lineStride, int posStride,
                          int scaleLine, int scaleBlock) {
        long warps = (long) lines * blocks(len);
        gpu.launch(CudaKernel.BWD_QUANT, Math.toIntExact((warps + 3) / 4), 1, 128, 0, x, codes, scales, lines, len, lineStride, posStride,
                scaleLine, scaleBlock, format == ScaleFormat.UE8M0 ? 1 : 0);
    }

    /** C [rows][cols] = A B, A(i, t) at i aRow + t aInner, B [inner][cols]; see fp8_backward.cu for the scale indexes. */
    private void gemm(CudaKernel kernel, DeviceBuffer a, DeviceBuffer sa, DeviceBuffer b, DeviceBuffer sb, DeviceBuffer c, int rows, int inner,
                      int cols, int aRow, int aInner, int saRow, int saBlock, int sbBlock, int sbColDiv, boolean aScaled, boolean bScaled) {
        if ((rows + 63) / 64 > 65535) throw new IllegalArgumentException(kernel.entry + ": " + rows + " rows exceed the grid (65535 tiles of 64)");
        gpu.launch(kernel, (cols + 63) / 64, (rows + 63) / 64, 256, 0, a, sa, b, sb, c, rows, inner, cols, aRow, aInner, saRow, saBlock,
                sbBlock, sbColDiv, aScaled ? 1 : 0, bScaled ? 1 : 0);
    }

    private static int blocks(int n) { return (n + TILE - 1) / TILE; }
}
