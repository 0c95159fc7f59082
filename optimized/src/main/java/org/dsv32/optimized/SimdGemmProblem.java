package org.dsv32.optimized;

import java.lang.foreign.MemorySegment;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.Weight;

/**
 * The operands of y = a W^T as the GEMM/GEMV kernels read them: a [m][k] float32 row-major with optional
 * per-row, per-k-block scales, and W straight from its storage segments (never copied or dequantised as a whole).
 *
 * <p>The canonical computation of every output element, which every kernel, width and thread count reproduces
 * bit for bit: for each k-block b in order, {@code blk = 0; for k in b ascending: blk = fma(a[m][k], w[n][k], blk)},
 * then {@code acc = fma(blk, sa[m][b] * sw[n][b], acc)}, starting from acc = +0; y[m][n] = acc. For an FP8 weight
 * w is the e4m3 code value and sw its block scale; for a dense weight the blocks are 128 wide and sw = 1. sa is 1
 * without activation scales.
 */
final class SimdGemmProblem {
    static final int FP8 = 0, BF16 = 1, F32 = 2, GENERIC = 3;
    /** k-block width used for dense weights (their scale is 1, so this only fixes the summation order). */
    static final int DENSE_BLOCK = 128;

    final float[] a;
    final float[] aScales;
    final int m, k, n;
    final int kind;
    final MemorySegment data;
    final MemorySegment scales;
    final int blockRows, blockCols, kBlocks, scaleCols;
    final Weight weight;
    final float[] y;

    private SimdGemmProblem(float[] a, float[] aScales, int m, Weight w, int kind, MemorySegment data, MemorySegment scales,
                            int blockRows, int blockCols, float[] y) {
        this.a = a;
        this.aScales = aScales;
        this.m = m;
        this.k = w.cols();
        this.n = w.rows();
        this.kind = kind;
        this.data = data;
        this.scales = scales;
        this.blockRows = blockRows;
        this.blockCols = blockCols;
        this.kBlocks = (k + blockCols - 1) / blockCols;
        this.scaleCols = scales == null ? 0 : Fp8BlockWeight.scaleCols(k, blockCols);
        this.weight = w;
        this.y = y;
        if (m < 1) throw new IllegalArgumentException(w.name() + ": need at least one row of x, got " + m);
        if (a.length < (long) m * k) throw new IllegalArgumentException(w.name() + ": x has " + a.length + " values, need " + m + "x" + k);
        if (y.length < (long) m * n) throw new IllegalArgumentException(w.name() + ": y has " + y.length + " values, need " + m + "x" + n);
        if (aScales != null && aScales.length < (long) m * kBlocks) {
            throw new IllegalArgumentException(w.name() + ": " + aScales.length + " activation scales, need " + m + "x" + kBlocks);
        }
    }

    static SimdGemmProblem fp8(float[] a, float[] aScales, int m, Fp8BlockWeight w, float[] y) {
        return new SimdGemmProblem(a, aScales, m, w, FP8, w.codes(), w.scales(), w.blockRows(), w.blockCols(), y);
    }

    static SimdGemmProblem dense(float[] a, int m, DenseWeight w, float[] y) {
        int kind = w.dtype() == DType.BF16 ? BF16 : w.dtype() == DType.F32 ? F32 : GENERIC;
        return new SimdGemmProblem(a, null, m, w, kind, w.data(), null, w.rows(), DENSE_BLOCK, y);
    }

    /** The weight block scale of row r, k-block b (1 for dense weights). */
    float weightScale(int r, int b) {
        if (scales == null) return 1f;
        return scales.get(SimdLayouts.F32, 4L * ((long) (r / blockRows) * scaleCols + b));
    }

    /** The activation scale of row i, k-block b (1 without act_quant). */
    float activationScale(int i, int b) { return aScales == null ? 1f : aScales[i * kBlocks + b]; }

    /** W[r][c] as a float (exact), for the scalar paths. */
    float weightAt(int r, int c) {
        long i = (long) r * k + c;
        return switch (kind) {
            case FP8 -> Fp8Codec.decodeE4M3(data.get(SimdLayouts.I8, i));
            case BF16 -> Float.intBitsToFloat(data.get(SimdLayouts.I16, 2 * i) << 16);
            case F32 -> data.get(SimdLayouts.F32, 4 * i);
            default -> ((DenseWeight) weight).getFloat(i);
        };
    }
}
