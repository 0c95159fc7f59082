package org.dsv32.optimized;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.Fp8BackwardOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.ScaleFormat;
import org.dsv32.spec.weights.Weight;

/**
 * The backward GEMMs of an FP8 linear layer in float32 (spec/SEMANTICS.md §5b, contract {@link Fp8BackwardOp}). Both
 * are cast as the forward GEMM's y = a B^T with the inner dimension along the rows of a and B, and run by the same
 * register-tiled kernels ({@link SimdGemmDriver}, {@link SimdGemmKernels}: B's e4m3 codes decoded in registers into
 * the per-k-block panel, an MR x NR tile of fp32 block sums promoted per 128 with both scales, fixed work units, so the
 * bits do not depend on the thread count):
 *
 * <ul>
 *   <li>Dgrad dX = dY W: a = dY's decoded 1x128 tiles along N with their scales; B = W^T [K][N], W's codes and block
 *       scales transposed once per weight and kept as long as the weight lives (what a training framework's
 *       column-wise copy of the weight is), so every inner block of 128 rows of W keeps its own S[b][k/128].</li>
 *   <li>Wgrad dW = dY^T X: a = dY^T [N][M] decoded, B = X^T [K][M] as e4m3 codes with one scale per channel and
 *       128-token block (an FP8 weight with 1 x 128 blocks), both quantised in 128x1 tiles down the token axis.</li>
 * </ul>
 *
 * The quantisers use act_quant's float32 rule ({@link Fp8Codec#actQuantScale}, fp32 division, {@link SimdRowKernels#quantize}),
 * on tiles gathered contiguous; a ragged edge tile is quantised over its existing elements. Exact mode: the same
 * kernels on the unquantised values (the dequantised weight for Dgrad). Inputs are rounded to fp32 on entry.
 */
public final class SimdFp8Backward implements Fp8BackwardOp {
    /** W^T of each FP8 weight Dgrad has read, held as long as W is. */
    private static final SimdIdentityMemo<Fp8BlockWeight, Fp8BlockWeight> TRANSPOSED = new SimdIdentityMemo<>(SimdFp8Backward::transpose);
    /** Channels per unit of the 128x1 quantiser (a 128 x 64 tile of floats, 32 KiB, in L1/L2). */
    private static final int CHANNELS = 64;

    private final boolean fp8;
    private final ScaleFormat format;

    public SimdFp8Backward(OpContext context) {
        this.fp8 = context.fp8();
        this.format = context.scaleFormat();
    }

    @Override
    public TensorF64 dgrad(TensorF64 dy, Weight w) {
        Fp8BackwardOp.validateDgrad(dy, w);
        int m = dy.rows(), k = w.cols();
        float[] dx = new float[m * k];
        dgrad(SimdTensors.toFloats(dy), m, w, dx);
        return SimdTensors.toTensor(dx, m, k);
    }

    @Override
    public TensorF64 wgrad(TensorF64 dy, TensorF64 x) {
        Fp8BackwardOp.validateWgrad(dy, x);
        int m = dy.rows(), n = dy.cols(), k = x.cols();
        float[] dw = new float[n * k];
        wgrad(SimdTensors.toFloats(dy), SimdTensors.toFloats(x), m, n, k, dw);
        return SimdTensors.toTensor(dw, n, k);
    }

    /** dX [m][K] = dY [m][N] W [N][K], float32 in and out (the benchmark's entry); dX is overwritten. */
    public void dgrad(float[] dy, int m, Weight w, float[] dx) {
        int n = w.rows();
        if (w instanceof Fp8BlockWeight f) {
            if (f.blockRows() != TILE) throw new IllegalArgumentException("fp8 dgrad " + w.name() + ": weight blocks must be " + TILE + " rows high");
            Fp8BlockWeight wt = TRANSPOSED.get(f);
            if (fp8) {
                float[] a = new float[m * n], sa = new float[m * blocks(n)];
                quantizeAlongRows(dy, m, n, a, sa);
                SimdGemmDriver.gemm(SimdGemmProblem.fp8(a, sa, m, wt, dx));
            } else {
                SimdGemmDriver.gemm(SimdGemmProblem.fp8(dy, null, m, wt, dx));
            }
        } else {
            // a dense (bf16) weight is not an FP8 GEMM in either mode: the exact product with W^T in fp32
            int k = w.cols();
            float[] t = new float[k * n];
            DenseWeight d = (DenseWeight) w;
            for (int r = 0; r < n; r++) for (int c = 0; c < k; c++) t[c * n + r] = d.getFloat((long) r * k + c);
            SimdGemmDriver.gemm(SimdGemmProblem.dense(dy, m, DenseWeight.ofFloats(w.name() + "^T", t, k, n), dx));
        }
    }

    /** dW [N][K] = dY [m][N]^T X [m][K], float32 in and out (the benchmark's entry); dW is overwritten. */
    public void wgrad(float[] dy, float[] x, int m, int n, int k, float[] dw) {
        int mb = blocks(m);
        if (fp8) {
            float[] a = new float[n * m], sa = new float[n * mb];
            quantizeAlongColumns(dy, m, n, null, a, sa);
            byte[] xc = new byte[k * m];
            float[] sx = new float[k * mb];
            quantizeAlongColumns(x, m, k, xc, null, sx);
            Fp8BlockWeight xt = new Fp8BlockWeight("wgrad X^T", segment(xc), segment(sx), k, m, 1, TILE);
            SimdGemmDriver.gemm(SimdGemmProblem.fp8(a, sa, n, xt, dw));
        } else {
            float[] a = new float[n * m], xt = new float[k * m];
            transpose(dy, m, n, a);
            transpose(x, m, k, xt);
            SimdGemmDriver.gemm(SimdGemmProblem.dense(a, n, DenseWeight.ofFloats("wgrad X^T", xt, k, m), dw));
        }
    }

    // ---------------------------------------------------------------- the quantisers

    /** 1x128 tiles along each row of a [rows][cols] (the last one ragged): decoded codes in q (same layout), scales [rows][blocks]. */
    void quantizeAlongRows(float[] a, int rows, int cols, float[] q, float[] scales) {
        SimdRowKernels kr = SimdRowKernels.current();
        int blocks = blocks(cols);
        byte[] codes = new byte[rows * cols];
        SimdThreads.parallelFor(rows, cols, r -> {
            for (int b = 0; b < blocks; b++) {
                int off = r * cols + b * TILE, len = Math.min(TILE, cols - b * TILE);
                float s = Fp8Codec.actQuantScale(kr.absMax(a, off, len), format);
                scales[r * blocks + b] = s;
                kr.quantize(a, off, len, s, codes, off, q, off);
            }
        });
    }

    /**
     * 128x1 tiles down each column of a [rows][cols] (128 rows of one column; the last tile ragged), written along the
     * rows: codes (or null) and decoded values (or null) [cols][rows], scales [cols][blocks(rows)]. Units of 128 rows by
     * {@link #CHANNELS} columns, transposed into a contiguous scratch so each tile is one run.
     */
    void quantizeAlongColumns(float[] a, int rows, int cols, byte[] codes, float[] q, float[] scales) {
        SimdRowKernels kr = SimdRowKernels.current();
        int rb = blocks(rows), cb = (cols + CHANNELS - 1) / CHANNELS;
        byte[] sink = codes != null ? null : new byte[cols * rows];
        SimdThreads.parallelFor(rb * cb, (long) TILE * CHANNELS, u -> {
            int b = u / cb, c0 = (u % cb) * CHANNELS, r0 = b * TILE;
            int len = Math.min(TILE, rows - r0), width = Math.min(CHANNELS, cols - c0);
            float[] t = SimdGemmScratch.get().row(TILE * CHANNELS);
            for (int r = 0; r < len; r++) for (int c = 0; c < width; c++) t[c * TILE + r] = a[(r0 + r) * cols + c0 + c];
            for (int c = 0; c < width; c++) {
                int ch = c0 + c;
                float s = Fp8Codec.actQuantScale(kr.absMax(t, c * TILE, len), format);
                scales[ch * rb + b] = s;
                kr.quantize(t, c * TILE, len, s, codes != null ? codes : sink, ch * rows + r0, q, ch * rows + r0);
            }
        });
    }

    // ---------------------------------------------------------------- layouts

    static int blocks(int n) { return (n + TILE - 1) / TILE; }

    /** W^T [K][N] with blocks blockCols x blockRows: codes and the scale grid transposed (values unchanged). */
    static Fp8BlockWeight transpose(Fp8BlockWeight w) {
        int n = w.rows(), k = w.cols(), sr = w.scaleRows(), sc = w.scaleCols();
        byte[] codes = new byte[k * n];
        MemorySegment src = w.codes();
        // 64 x 64 byte tiles: both sides stay in cache lines
        int tiles = (n + 63) / 64;
        SimdThreads.parallelFor(tiles, 64L * k, tr -> {
            int r0 = tr * 64, r1 = Math.min(n, r0 + 64);
            for (int c0 = 0; c0 < k; c0 += 64) {
                int c1 = Math.min(k, c0 + 64);
                for (int r = r0; r < r1; r++) for (int c = c0; c < c1; c++) codes[c * n + r] = src.get(SimdLayouts.I8, (long) r * k + c);
            }
        });
        float[] scales = new float[sc * sr];
        for (int i = 0; i < sr; i++) for (int j = 0; j < sc; j++) scales[j * sr + i] = w.scale(i, j);
        return new Fp8BlockWeight(w.name() + "^T", segment(codes), segment(scales), k, n, w.blockCols(), w.blockRows());
    }

    /** a [rows][cols] into t [cols][rows]. */
    private static void transpose(float[] a, int rows, int cols, float[] t) {
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
    }

    private static MemorySegment segment(byte[] b) {
        MemorySegment s = Arena.ofAuto().allocate(Math.max(1, b.length), 64);
        MemorySegment.copy(b, 0, s, SimdLayouts.I8, 0, b.length);
        return b.length == 0 ? s.asSlice(0, 0) : s;
    }

    private static MemorySegment segment(float[] f) {
        MemorySegment s = Arena.ofAuto().allocate(4L * f.length, 64);
        MemorySegment.copy(f, 0, s, SimdLayouts.F32, 0, f.length);
        return s;
    }
}
