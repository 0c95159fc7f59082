package org.dsv32.optimized;

import java.lang.foreign.MemorySegment;

/**
 * One backward GEMM C [rows][cols] = A [rows][inner] B [inner][cols] as {@link SimdBackwardKernels} read it
 * (spec/SEMANTICS.md §5b): A already quantised (or raw in exact mode) and packed, B in its natural row-major layout,
 * as e4m3 codes or as floats. Dgrad: rows = tokens, inner = N, B = W [N][K]; Wgrad: rows = dY's channels,
 * inner = tokens, B = X [m][K] quantised down the tokens.
 *
 * <p>The canonical computation of every element, which every kernel, width and thread count reproduces bit for
 * bit (and which is the forward GEMM's, {@link SimdGemmProblem}, on the transposed operands): for each inner block b
 * of {@link #BLOCK} in order, {@code blk = 0; for t in b ascending: blk = fma(A[i][t], B[t][j], blk)}, then
 * {@code acc = fma(blk, sb[b][j] * sa[i][b], acc)} from acc = +0. A missing scale array stands for scales 1.
 *
 * <p>A's packing: rows in groups of {@link #MR} (the last group padded with zero rows), and for inner block b and
 * group g the block's 128 inner positions of the group's MR rows, position-major:
 * {@code ap[((b * groups + g) * BLOCK + t % BLOCK) * MR + i % MR]}, so the micro-kernel reads one sequential run
 * per group and block and the blocks of a unit's groups are adjacent. A ragged last block leaves its tail unused.
 */
final class SimdBackwardProblem {
    /** The inner block: promotion to the fp32 total every 128 products (N_C). */
    static final int BLOCK = 128;
    /** Rows of A per packed group: the register tile's height. */
    static final int MR = 6;
    static final int FP8 = 0, F32 = 1;

    final float[] ap;
    /** A's scales [groups * MR][innerBlocks] (padded rows 0), or null. */
    final float[] sa;
    final int rows, inner, cols, groups, innerBlocks;
    final int kind;
    /** B's codes [inner][cols] (FP8), or null. */
    final MemorySegment codes;
    /** Whether B's codes may hold the NaN code (then decoded chunks are checked for it). */
    final boolean nanCodes;
    /** B's values [inner][cols] (F32), or null. */
    final float[] values;
    /** B's scales [innerBlocks][cols], or null. */
    final float[] sb;
    final float[] c;

    private SimdBackwardProblem(float[] ap, float[] sa, int rows, int inner, int cols, int kind, MemorySegment codes, boolean nanCodes,
                                float[] values, float[] sb, float[] c) {
        this.ap = ap;
        this.sa = sa;
        this.rows = rows;
        this.inner = inner;
        this.cols = cols;
        this.groups = groups(rows);
        this.innerBlocks = blocks(inner);
        this.kind = kind;
        this.codes = codes;
        this.nanCodes = nanCodes;
        this.values = values;
        this.sb = sb;
        this.c = c;
        if (ap.length < packedSize(rows, inner)) throw new IllegalArgumentException("packed A has " + ap.length + " values, need " + packedSize(rows, inner));
        if (sa != null && sa.length < (long) groups * MR * innerBlocks) throw new IllegalArgumentException("A has " + sa.length + " scales, need " + groups * MR * innerBlocks);
        if (sb != null && sb.length < (long) innerBlocks * cols) throw new IllegalArgumentException("B has " + sb.length + " scales, need " + innerBlocks * cols);
        if (c.length < (long) rows * cols) throw new IllegalArgumentException("C has " + c.length + " values, need " + rows + "x" + cols);
        long bSize = (long) inner * cols;
        if (kind == FP8 ? codes.byteSize() < bSize : values.length < bSize) throw new IllegalArgumentException("B is smaller than " + inner + "x" + cols);
    }

    /** B as e4m3 codes [inner][cols] with scales [innerBlocks][cols] (null: 1). */
    static SimdBackwardProblem fp8(float[] ap, float[] sa, int rows, int inner, MemorySegment codes, boolean nanCodes, float[] sb, int cols, float[] c) {
        return new SimdBackwardProblem(ap, sa, rows, inner, cols, FP8, codes, nanCodes, null, sb, c);
    }

    /** B as floats [inner][cols] with scales [innerBlocks][cols] (null: 1). */
    static SimdBackwardProblem f32(float[] ap, float[] sa, int rows, int inner, float[] values, float[] sb, int cols, float[] c) {
        return new SimdBackwardProblem(ap, sa, rows, inner, cols, F32, null, false, values, sb, c);
    }

    static int blocks(int n) { return (n + BLOCK - 1) / BLOCK; }

    static int groups(int rows) { return (rows + MR - 1) / MR; }

    /** Floats of A packed: every block BLOCK positions long (the ragged last block's tail unused). */
    static int packedSize(int rows, int inner) {
        long s = (long) blocks(inner) * groups(rows) * BLOCK * MR;
        if (s > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("packed A of " + rows + "x" + inner + " exceeds an array");
        return (int) s;
    }

    /** Index of A[i][t] in the packing. */
    static int packedIndex(int groups, int i, int t) {
        return ((t / BLOCK * groups + i / MR) * BLOCK + t % BLOCK) * MR + i % MR;
    }

    /** B[t][j] as a float (exact). */
    float b(int t, int j) {
        long i = (long) t * cols + j;
        return kind == FP8 ? Fp8Codec.decodeE4M3(codes.get(SimdLayouts.I8, i)) : values[(int) i];
    }

    float scaleA(int i, int b) { return sa == null ? 1f : sa[i * innerBlocks + b]; }

    float scaleB(int b, int j) { return sb == null ? 1f : sb[b * cols + j]; }
}
