package org.dsv32.optimized;

import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * act_quant in float32 (spec/SEMANTICS.md §3): per 128-column tile, amax = max |x| (fp32), floored at 1e-4f;
 * s = amax * fp32(1/448) in fp32, rounded up to a power of two from its bits for ue8m0; q = e4m3(x / s) with x / s
 * an fp32 division, nearest-even, saturating.
 *
 * <p>Where this differs from the float64 reference: the input is rounded to fp32 on entry (identical codes for
 * fp32-representable inputs). With ue8m0 scales x / s is exact in fp32, so the codes are the reference's; with plain
 * scales the fp32 quotient is rounded, which can move a code by one step only when the exact quotient lies within
 * 2^-24 (relative) of an e4m3 rounding midpoint.
 */
public final class SimdActQuant implements ActQuantOp {
    /** Columns per scale tile. */
    public static final int TILE = 128;

    @Override
    public QuantizedActivation quantize(TensorF64 x, ScaleFormat format) {
        int rows = x.rows(), cols = x.cols();
        byte[] codes = new byte[rows * cols];
        float[] scales = new float[rows * (cols / TILE)];
        quantize(SimdTensors.toFloats(x), rows, cols, format, codes, scales, null);
        return new QuantizedActivation(codes, scales, rows, cols, TILE);
    }

    /**
     * Quantises x [rows][cols] (cols a multiple of 128) into {@code codes} [rows][cols] and {@code scales}
     * [rows][cols/128]; when {@code values} is not null also writes the decoded codes (exact floats) there, the
     * operand of the FP8 GEMM. x is not modified.
     */
    public static void quantize(float[] x, int rows, int cols, ScaleFormat format, byte[] codes, float[] scales, float[] values) {
        if (cols % TILE != 0) {
            throw new IllegalArgumentException("act_quant needs a multiple of " + TILE + " columns, got " + cols);
        }
        SimdRowKernels k = SimdRowKernels.current();
        int tiles = cols / TILE;
        // rows are independent: a prefill chunk of 128 x 7168 quantises on all threads (same bits either way)
        SimdThreads.parallelFor(rows, cols, r -> {
            for (int t = 0; t < tiles; t++) {
                int off = r * cols + t * TILE;
                float s = Fp8Codec.actQuantScale(k.absMax(x, off, TILE), format);
                scales[r * tiles + t] = s;
                k.quantize(x, off, TILE, s, codes, off, values, off);
            }
        });
    }
}
