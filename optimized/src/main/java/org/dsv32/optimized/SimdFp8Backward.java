package org.dsv32.optimized;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.Fp8BackwardOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.ScaleFormat;
import org.dsv32.spec.weights.Weight;

/**
 * The backward GEMMs of an FP8 linear layer in float32 (spec/SEMANTICS.md §5b, contract {@link Fp8BackwardOp}), on
 * the register-tiled kernels of {@link SimdBackwardKernels}: C = A B with B in its natural row-major layout, its e4m3
 * codes decoded in registers into a per-block panel, A quantised straight into the kernels' packed layout, an MR x NR
 * tile of fp32 block sums promoted every 128 inner products with both scales, in fixed work units, so the bits do
 * not depend on the thread count or the vector width:
 *
 * <ul>
 *   <li>Dgrad dX = dY W: A = dY's 1x128 tiles along N (per token), B = W [N][K] itself, read row by row with the
 *       scale of its block S[n/128][k/128] per column at promotion (no transposed copy of W).</li>
 *   <li>Wgrad dW = dY^T X: A = dY^T, dY quantised in 128x1 tiles down the tokens (one scale per channel and
 *       128-token block), B = X [m][K] as e4m3 codes quantised the same way, scales [m/128][K].</li>
 * </ul>
 *
 * Both are the forward GEMM's canonical order on the transposed operands ({@link SimdGemmProblem}), so results equal
 * the Fprop of the transposes bit for bit where the scales coincide. The quantisers use act_quant's float32 rule
 * ({@link Fp8Codec#actQuantScale}, fp32 division, then {@link Fp8Codec#encodeE4M3}): along rows through
 * {@link SimdRowKernels#quantize}, down columns through {@link SimdBackwardKernels#columnTiles} (vectors across the
 * channels, one scale per lane, the codes and values written where the GEMM reads them); a ragged edge tile is
 * quantised over its existing elements. Exact mode: the same kernels on the unquantised values (W's codes with their
 * scales for Dgrad). Inputs are rounded to fp32 on entry.
 */
public final class SimdFp8Backward implements Fp8BackwardOp {
    /** Channels per unit of the 128x1 quantisers: 8 packed row groups, a multiple of every vector length. */
    private static final int CHANNELS = 8 * SimdBackwardProblem.MR;
    /** Where channel c of a {@link #CHANNELS}-wide unit lies in the packing, from its first group's run (packColumns). */
    private static final int[] GROUP_MAP = new int[CHANNELS];

    static {
        for (int c = 0; c < CHANNELS; c++) GROUP_MAP[c] = c / SimdBackwardProblem.MR * TILE * SimdBackwardProblem.MR + c % SimdBackwardProblem.MR;
    }

    /** Output columns per GEMM unit. */
    static final int UNIT_COLS = 512;
    /**
     * Rows of C per GEMM unit (a multiple of MR): each B panel is decoded once for all of them. With 512 columns the
     * unit's tile (384 KiB), panel (256 KiB) and A block (96 KiB) stay in L2, and each block of A, which comes from
     * memory at the real sizes, serves eight register-tile column groups instead of two (measured: about 95 -> 113
     * GFLOP per CPU second on 1024 x 2048 x 7168, against 145 for a problem whose A fits the cache).
     */
    static final int UNIT_ROWS = 192;

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
        int n = w.rows(), k = w.cols();
        float[] a = new float[SimdBackwardProblem.packedSize(m, n)];
        float[] sa = fp8 && w instanceof Fp8BlockWeight ? new float[SimdBackwardProblem.groups(m) * SimdBackwardProblem.MR * blocks(n)] : null;
        packRows(dy, m, n, a, sa);
        if (w instanceof Fp8BlockWeight f) {
            if (f.blockRows() != TILE) throw new IllegalArgumentException("fp8 dgrad " + w.name() + ": weight blocks must be " + TILE + " rows high");
            // W's block scale per inner block and output column
            int nb = blocks(n), bc = f.blockCols();
            float[] sb = new float[nb * k];
            for (int b = 0; b < nb; b++) for (int c = 0; c < k; c++) sb[b * k + c] = f.scale(b, c / bc);
            run(SimdBackwardProblem.fp8(a, sa, m, n, f.codes(), SimdFp8Facts.of(f).hasNanCode(), sb, k, dx));
        } else {
            // a dense (bf16) weight is not an FP8 GEMM in either mode: the exact product with W in fp32
            float[] v = new float[n * k];
            DenseWeight d = (DenseWeight) w;
            for (int i = 0; i < v.length; i++) v[i] = d.getFloat(i);
            run(SimdBackwardProblem.f32(a, null, m, n, v, null, k, dx));
        }
    }

    /** dW [N][K] = dY [m][N]^T X [m][K], float32 in and out (the benchmark's entry); dW is overwritten. */
    public void wgrad(float[] dy, float[] x, int m, int n, int k, float[] dw) {
        wgrad(dy, x, null, m, n, k, dw);
    }

    /**
     * dW [N][K] = dY [m][N]^T X_g [m][K] where X_g's row t is x's row rows[t] (rows null: row t), float32 in and out;
     * dW is overwritten. An MoE expert's Wgrad takes its group's activation rows where they lie in the batch's X:
     * in fp8 mode the 128x1 quantiser reads them through the map, so the gathered copy is never made (exact mode
     * gathers them). The bits equal {@link #wgrad(float[], float[], int, int, int, float[])} on the gathered rows.
     */
    public void wgrad(float[] dy, float[] x, int[] rows, int m, int n, int k, float[] dw) {
        if (rows != null) {
            if (rows.length < m) throw new IllegalArgumentException("fp8 wgrad: " + rows.length + " row indices for " + m + " tokens");
            int have = x.length / Math.max(1, k);
            for (int t = 0; t < m; t++) {
                if (rows[t] < 0 || rows[t] >= have) throw new IllegalArgumentException("fp8 wgrad: token " + t + " maps to row " + rows[t] + " of an X with " + have + " rows of " + k);
            }
        }
        float[] a = new float[SimdBackwardProblem.packedSize(n, m)];
        if (fp8) {
            float[] sa = new float[SimdBackwardProblem.groups(n) * SimdBackwardProblem.MR * blocks(m)];
            packColumns(dy, m, n, a, sa);
            byte[] xc = new byte[m * k];
            float[] sx = new float[blocks(m) * k];
            boolean nan = quantizeColumns(x, rows, m, k, xc, sx);
            run(SimdBackwardProblem.fp8(a, sa, n, m, MemorySegment.ofArray(xc), nan, sx, k, dw));
        } else {
            packColumns(dy, m, n, a, null);
            float[] xg = x;
            if (rows != null) {
                xg = new float[m * k];
                for (int t = 0; t < m; t++) System.arraycopy(x, rows[t] * k, xg, t * k, k);
            }
            run(SimdBackwardProblem.f32(a, null, n, m, xg, null, k, dw));
        }
    }

    /**
     * Cuts C into fixed units (UNIT_ROWS x UNIT_COLS, columns fastest: neighbouring units share their A rows) on
     * {@link SimdThreads}; twice as many rows where the inner dimension is one or two blocks (an MoE expert's Wgrad),
     * whose units decode B's panel once per unit: 384 rows measured about 5 % faster than 192 on 2048 x 7168 with
     * 128 or 150 tokens (single thread), and 2048 rows still give 84 units to share.
     */
    private static void run(SimdBackwardProblem p) {
        SimdBackwardKernels kernels = SimdBackwardKernels.current();
        int unitRows = p.innerBlocks <= 2 ? 2 * UNIT_ROWS : UNIT_ROWS;
        int cu = (p.cols + UNIT_COLS - 1) / UNIT_COLS, ru = (p.rows + unitRows - 1) / unitRows;
        SimdThreads.parallelFor(cu * ru, (long) Math.min(p.rows, unitRows) * UNIT_COLS * p.inner, u -> {
            int c0 = u % cu * UNIT_COLS, r0 = u / cu * unitRows;
            kernels.gemm(p, r0, Math.min(p.rows, r0 + unitRows), c0, Math.min(p.cols, c0 + UNIT_COLS), SimdBackwardScratch.get());
        });
    }

    // ---------------------------------------------------------------- the quantisers

    /**
     * A = a [rows][cols] with the inner dimension along its rows (Dgrad's dY), packed; with scales (not null) each
     * row quantised in 1x128 tiles (the last one ragged), scales [row][block], else the values themselves.
     */
    void packRows(float[] a, int rows, int cols, float[] packed, float[] scales) {
        SimdRowKernels kr = SimdRowKernels.current();
        int blocks = blocks(cols), groups = SimdBackwardProblem.groups(rows), mr = SimdBackwardProblem.MR;
        SimdThreads.parallelFor(groups, (long) mr * cols, g -> {
            SimdBackwardScratch s = SimdBackwardScratch.get();
            float[] q = s.values(TILE);
            byte[] codes = s.codes(TILE);
            for (int r = g * mr; r < Math.min(rows, g * mr + mr); r++) {
                for (int b = 0; b < blocks; b++) {
                    int off = r * cols + b * TILE, len = Math.min(TILE, cols - b * TILE);
                    float[] src = a;
                    int from = off;
                    if (scales != null) {
                        float sc = Fp8Codec.actQuantScale(kr.absMax(a, off, len), format);
                        scales[r * blocks + b] = sc;
                        kr.quantize(a, off, len, sc, codes, 0, q, 0);
                        src = q;
                        from = 0;
                    }
                    int dst = ((b * groups + g) * TILE) * mr + r - g * mr;
                    for (int t = 0; t < len; t++) packed[dst + t * mr] = src[from + t];
                }
            }
        });
    }

    /**
     * A = a^T for a [rows][cols] (Wgrad's dY: inner dimension down its columns), packed; with scales (not null) each
     * column quantised in 128x1 tiles (the last one ragged), scales [column][block], else the values themselves.
     * Units of 128 rows by {@link #CHANNELS} columns (whole packed groups).
     */
    void packColumns(float[] a, int rows, int cols, float[] packed, float[] scales) {
        SimdBackwardKernels kernels = SimdBackwardKernels.current();
        int rb = blocks(rows), cb = (cols + CHANNELS - 1) / CHANNELS, groups = SimdBackwardProblem.groups(cols), mr = SimdBackwardProblem.MR;
        SimdThreads.parallelFor(rb * cb, (long) TILE * CHANNELS, u -> {
            int b = u / cb, c0 = u % cb * CHANNELS, r0 = b * TILE;
            int len = Math.min(TILE, rows - r0), width = Math.min(CHANNELS, cols - c0);
            int dst = (b * groups + c0 / mr) * TILE * mr;
            if (scales != null) {
                float[] sc = SimdBackwardScratch.get().runs(CHANNELS);
                kernels.columnTiles(a, null, cols, r0, len, c0, width, format, sc, packed, dst, mr, GROUP_MAP, null, 0, 0);
                for (int c = 0; c < width; c++) scales[(c0 + c) * rb + b] = sc[c];
                return;
            }
            for (int r = 0; r < len; r++) {
                int row = (r0 + r) * cols + c0;
                for (int c = 0; c < width; c++) packed[dst + r * mr + GROUP_MAP[c]] = a[row + c];
            }
        });
    }

    /**
     * Wgrad's X [rows][cols] quantised in 128x1 tiles down each column, codes in X's own layout [rows][cols] and
     * scales [block][column] (the last tile ragged); X's row t is a's row rowMap[t] (rowMap null: t). Returns whether
     * any code may be the NaN code (some tile has a non-finite scale): without one, the kernels' decode skips its NaN
     * check.
     */
    boolean quantizeColumns(float[] a, int[] rowMap, int rows, int cols, byte[] codes, float[] scales) {
        SimdBackwardKernels kernels = SimdBackwardKernels.current();
        int rb = blocks(rows), cb = (cols + CHANNELS - 1) / CHANNELS;
        AtomicBoolean nan = new AtomicBoolean();
        SimdThreads.parallelFor(rb * cb, (long) TILE * CHANNELS, u -> {
            int b = u / cb, c0 = u % cb * CHANNELS, r0 = b * TILE;
            int len = Math.min(TILE, rows - r0), width = Math.min(CHANNELS, cols - c0);
            float[] sc = SimdBackwardScratch.get().runs(CHANNELS);
            kernels.columnTiles(a, rowMap, cols, r0, len, c0, width, format, sc, null, 0, 0, null, codes, r0 * cols + c0, cols);
            System.arraycopy(sc, 0, scales, b * cols + c0, width);
            // a code is the NaN code only where x / s is NaN, which needs a NaN or infinite x or s; all of the tile's
            // x are finite exactly when its amax, and so its scale, is (NaN wins the max): a tile with finite scales
            // holds no NaN code (a conservative test: an infinite x without a NaN code still asks for the check)
            for (int c = 0; c < width; c++) {
                if (!Float.isFinite(sc[c])) {
                    nan.set(true);
                    break;
                }
            }
        });
        return nan.get();
    }

    static int blocks(int n) { return (n + TILE - 1) / TILE; }
}
