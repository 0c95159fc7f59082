package org.dsv32.optimized;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.dsv32.spec.weights.DenseWeight;

/**
 * The one source of the GEMM/GEMV kernels; {@link SimdSpecies#kernels} makes a copy per vector width. No nested
 * classes or lambdas here (see {@link SimdSpecies}).
 *
 * <p>Vectors run across output columns n (W rows), never across k: each lane carries one output element through
 * the canonical sequential order of {@link SimdGemmProblem}, so there is no lane reduction, and the result does
 * not depend on the width. That needs W transposed: four consecutive e4m3 codes (two bf16) of L different W rows
 * are gathered into the int lanes of one vector, then each byte is shifted into fp32 position.
 *
 * <p>GEMM: per k-block, the W rows of the unit are decoded into a [k][P] float panel (P the unit's column count
 * rounded up to NR vectors) that all rows of a reuse; an MR x NR register tile of block sums runs over the block,
 * then is promoted into the output tile: tile = fma(blk, sa * sw, tile). GEMV: the same per lane, decoding in
 * registers without a panel.
 */
final class SimdGemmKernelsTemplate implements SimdGemmKernels {
    static final int BITS = SimdSpecies.templateBits(MethodHandles.lookup());
    static final VectorSpecies<Float> F = SimdSpecies.floatSpecies(BITS);
    static final int L = F == null ? 1 : F.length();
    static final VectorSpecies<Integer> I = F == null ? null : VectorSpecies.of(int.class, F.vectorShape());
    /** Register tile: MR rows of a by NR vectors of W columns (24 accumulators, 4 W vectors, 1 broadcast). */
    static final int MR = 6, NR = 4;

    SimdGemmKernelsTemplate() {}

    @Override public int bits() { return BITS; }

    // ---------------------------------------------------------------- GEMM

    @Override
    public void gemm(SimdGemmProblem p, int m0, int m1, int n0, int n1, SimdGemmScratch s) {
        if (F == null) {
            scalar(p, m0, m1, n0, n1, s);
            return;
        }
        int cols = n1 - n0;
        int width = NR * L;
        int pw = (cols + width - 1) / width * width;
        float[] panel = s.panel(p.blockCols * pw);
        float[] tile = s.zeroTile((m1 - m0) * pw);
        float[] ws = s.colScales(pw);
        int k = p.k;
        for (int b = 0; b < p.kBlocks; b++) {
            int k0 = b * p.blockCols;
            int kl = Math.min(p.blockCols, k - k0);
            pack(p, n0, pw, k0, kl, panel, s);
            for (int c = 0; c < pw; c++) ws[c] = c < cols ? p.weightScale(n0 + c, b) : 0f;
            for (int j = 0; j < pw; j += width) {
                int i = m0;
                for (; i + MR <= m1; i += MR) {
                    micro6x4(p.a, i * k + k0, k, kl, panel, j, pw, tile, (i - m0) * pw + j, pw, ws,
                            p.activationScale(i, b), p.activationScale(i + 1, b), p.activationScale(i + 2, b),
                            p.activationScale(i + 3, b), p.activationScale(i + 4, b), p.activationScale(i + 5, b));
                }
                for (; i < m1; i++) {
                    micro1x4(p.a, i * k + k0, k, kl, panel, j, pw, tile, (i - m0) * pw + j, pw, ws, p.activationScale(i, b));
                }
            }
        }
        for (int i = m0; i < m1; i++) System.arraycopy(tile, (i - m0) * pw, p.y, i * p.n + n0, cols);
    }

    /** Decodes W rows n0 .. n0 + pw - 1 (rows past the end repeat the last one), columns k0 .. k0 + kl - 1, into panel[k][c]. */
    private static void pack(SimdGemmProblem p, int n0, int pw, int k0, int kl, float[] panel, SimdGemmScratch s) {
        long[] off = s.laneOffsets;
        int[] gi = s.laneInts;
        float[] gf = s.laneFloats;
        MemorySegment data = p.data;
        for (int g = 0; g < pw; g += L) {
            laneRows(p, n0 + g, k0, off);
            int k = 0;
            switch (p.kind) {
                case SimdGemmProblem.FP8 -> {
                    for (; k + 4 <= kl; k += 4) {
                        IntVector t = gatherInts(data, off, k, gi);
                        fp8Byte0(t).intoArray(panel, k * pw + g);
                        fp8Byte1(t).intoArray(panel, (k + 1) * pw + g);
                        fp8Byte2(t).intoArray(panel, (k + 2) * pw + g);
                        fp8Byte3(t).intoArray(panel, (k + 3) * pw + g);
                    }
                    for (; k < kl; k++) fp8Byte0(gatherBytes(data, off, k, gi)).intoArray(panel, k * pw + g);
                }
                case SimdGemmProblem.BF16 -> {
                    for (; k + 2 <= kl; k += 2) {
                        IntVector t = gatherInts(data, off, 2L * k, gi);
                        bf16Low(t).intoArray(panel, k * pw + g);
                        bf16High(t).intoArray(panel, (k + 1) * pw + g);
                    }
                    for (; k < kl; k++) bf16Low(gatherShorts(data, off, 2L * k, gi)).intoArray(panel, k * pw + g);
                }
                case SimdGemmProblem.F32 -> {
                    for (; k < kl; k++) gatherFloats(data, off, 4L * k, gf).intoArray(panel, k * pw + g);
                }
                default -> {
                    for (; k < kl; k++) gatherGeneric(p, n0 + g, k0 + k, gf).intoArray(panel, k * pw + g);
                }
            }
        }
    }

    /** 6 rows of a times 4 vectors of panel columns over one k-block, then the block promotion into the tile. */
    private static void micro6x4(float[] a, int a0, int lda, int kl, float[] wt, int j, int p, float[] ct, int c0, int ldc, float[] ws, float s0, float s1, float s2, float s3, float s4, float s5) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F), c02 = FloatVector.zero(F), c03 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F), c12 = FloatVector.zero(F), c13 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F), c22 = FloatVector.zero(F), c23 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F), c32 = FloatVector.zero(F), c33 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F), c42 = FloatVector.zero(F), c43 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F), c52 = FloatVector.zero(F), c53 = FloatVector.zero(F);
        for (int k = 0; k < kl; k++) {
            int wo = j + k * p;
            FloatVector w0 = FloatVector.fromArray(F, wt, wo);
            FloatVector w1 = FloatVector.fromArray(F, wt, wo + 1 * L);
            FloatVector w2 = FloatVector.fromArray(F, wt, wo + 2 * L);
            FloatVector w3 = FloatVector.fromArray(F, wt, wo + 3 * L);
            int ak = a0 + k;
            FloatVector x0 = FloatVector.broadcast(F, a[ak]);
            c00 = x0.fma(w0, c00); c01 = x0.fma(w1, c01); c02 = x0.fma(w2, c02); c03 = x0.fma(w3, c03);
            FloatVector x1 = FloatVector.broadcast(F, a[ak + 1 * lda]);
            c10 = x1.fma(w0, c10); c11 = x1.fma(w1, c11); c12 = x1.fma(w2, c12); c13 = x1.fma(w3, c13);
            FloatVector x2 = FloatVector.broadcast(F, a[ak + 2 * lda]);
            c20 = x2.fma(w0, c20); c21 = x2.fma(w1, c21); c22 = x2.fma(w2, c22); c23 = x2.fma(w3, c23);
            FloatVector x3 = FloatVector.broadcast(F, a[ak + 3 * lda]);
            c30 = x3.fma(w0, c30); c31 = x3.fma(w1, c31); c32 = x3.fma(w2, c32); c33 = x3.fma(w3, c33);
            FloatVector x4 = FloatVector.broadcast(F, a[ak + 4 * lda]);
            c40 = x4.fma(w0, c40); c41 = x4.fma(w1, c41); c42 = x4.fma(w2, c42); c43 = x4.fma(w3, c43);
            FloatVector x5 = FloatVector.broadcast(F, a[ak + 5 * lda]);
            c50 = x5.fma(w0, c50); c51 = x5.fma(w1, c51); c52 = x5.fma(w2, c52); c53 = x5.fma(w3, c53);
        }
        FloatVector sw0 = FloatVector.fromArray(F, ws, j);
        FloatVector sw1 = FloatVector.fromArray(F, ws, j + 1 * L);
        FloatVector sw2 = FloatVector.fromArray(F, ws, j + 2 * L);
        FloatVector sw3 = FloatVector.fromArray(F, ws, j + 3 * L);
        promote(ct, c0, c00, sw0, s0);
        promote(ct, c0 + 1 * L, c01, sw1, s0);
        promote(ct, c0 + 2 * L, c02, sw2, s0);
        promote(ct, c0 + 3 * L, c03, sw3, s0);
        promote(ct, c0 + 1 * ldc, c10, sw0, s1);
        promote(ct, c0 + 1 * ldc + 1 * L, c11, sw1, s1);
        promote(ct, c0 + 1 * ldc + 2 * L, c12, sw2, s1);
        promote(ct, c0 + 1 * ldc + 3 * L, c13, sw3, s1);
        promote(ct, c0 + 2 * ldc, c20, sw0, s2);
        promote(ct, c0 + 2 * ldc + 1 * L, c21, sw1, s2);
        promote(ct, c0 + 2 * ldc + 2 * L, c22, sw2, s2);
        promote(ct, c0 + 2 * ldc + 3 * L, c23, sw3, s2);
        promote(ct, c0 + 3 * ldc, c30, sw0, s3);
        promote(ct, c0 + 3 * ldc + 1 * L, c31, sw1, s3);
        promote(ct, c0 + 3 * ldc + 2 * L, c32, sw2, s3);
        promote(ct, c0 + 3 * ldc + 3 * L, c33, sw3, s3);
        promote(ct, c0 + 4 * ldc, c40, sw0, s4);
        promote(ct, c0 + 4 * ldc + 1 * L, c41, sw1, s4);
        promote(ct, c0 + 4 * ldc + 2 * L, c42, sw2, s4);
        promote(ct, c0 + 4 * ldc + 3 * L, c43, sw3, s4);
        promote(ct, c0 + 5 * ldc, c50, sw0, s5);
        promote(ct, c0 + 5 * ldc + 1 * L, c51, sw1, s5);
        promote(ct, c0 + 5 * ldc + 2 * L, c52, sw2, s5);
        promote(ct, c0 + 5 * ldc + 3 * L, c53, sw3, s5);
    }

    /** 1 rows of a times 4 vectors of panel columns over one k-block, then the block promotion into the tile. */
    private static void micro1x4(float[] a, int a0, int lda, int kl, float[] wt, int j, int p, float[] ct, int c0, int ldc, float[] ws, float s0) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F), c02 = FloatVector.zero(F), c03 = FloatVector.zero(F);
        for (int k = 0; k < kl; k++) {
            int wo = j + k * p;
            FloatVector w0 = FloatVector.fromArray(F, wt, wo);
            FloatVector w1 = FloatVector.fromArray(F, wt, wo + 1 * L);
            FloatVector w2 = FloatVector.fromArray(F, wt, wo + 2 * L);
            FloatVector w3 = FloatVector.fromArray(F, wt, wo + 3 * L);
            int ak = a0 + k;
            FloatVector x0 = FloatVector.broadcast(F, a[ak]);
            c00 = x0.fma(w0, c00); c01 = x0.fma(w1, c01); c02 = x0.fma(w2, c02); c03 = x0.fma(w3, c03);
        }
        FloatVector sw0 = FloatVector.fromArray(F, ws, j);
        FloatVector sw1 = FloatVector.fromArray(F, ws, j + 1 * L);
        FloatVector sw2 = FloatVector.fromArray(F, ws, j + 2 * L);
        FloatVector sw3 = FloatVector.fromArray(F, ws, j + 3 * L);
        promote(ct, c0, c00, sw0, s0);
        promote(ct, c0 + 1 * L, c01, sw1, s0);
        promote(ct, c0 + 2 * L, c02, sw2, s0);
        promote(ct, c0 + 3 * L, c03, sw3, s0);
    }


    /** tile[off .. off + L) = fma(blk, sw * sa, tile[off .. off + L)): the block promotion, one vector of columns. */
    private static void promote(float[] tile, int off, FloatVector blk, FloatVector sw, float sa) {
        blk.fma(sw.mul(sa), FloatVector.fromArray(F, tile, off)).intoArray(tile, off);
    }

    // ---------------------------------------------------------------- GEMV

    @Override
    public void gemv(SimdGemmProblem p, int m0, int m1, int n0, int n1, SimdGemmScratch s) {
        if (F == null) {
            scalar(p, m0, m1, n0, n1, s);
            return;
        }
        for (int i = m0; i < m1; i++) {
            for (int g = n0; g < n1; g += L) {
                FloatVector acc = switch (p.kind) {
                    case SimdGemmProblem.FP8 -> gemvFp8(p, i, g, s);
                    default -> gemvDense(p, i, g, s);
                };
                int valid = Math.min(L, n1 - g);
                if (valid == L) {
                    acc.intoArray(p.y, i * p.n + g);
                } else {
                    acc.intoArray(s.laneFloats, 0);
                    System.arraycopy(s.laneFloats, 0, p.y, i * p.n + g, valid);
                }
            }
        }
    }

    /** One row of a against L FP8 W rows from g, decoded in registers. */
    private static FloatVector gemvFp8(SimdGemmProblem p, int i, int g, SimdGemmScratch s) {
        long[] off = s.laneOffsets;
        int[] gi = s.laneInts;
        float[] a = p.a;
        MemorySegment data = p.data;
        laneRows(p, g, 0, off);
        FloatVector acc = FloatVector.zero(F);
        int ar = i * p.k;
        for (int b = 0; b < p.kBlocks; b++) {
            int k0 = b * p.blockCols;
            int k1 = Math.min(p.k, k0 + p.blockCols);
            FloatVector blk = FloatVector.zero(F);
            int k = k0;
            for (; k + 4 <= k1; k += 4) {
                IntVector t = gatherInts(data, off, k, gi);
                blk = FloatVector.broadcast(F, a[ar + k]).fma(fp8Byte0(t), blk);
                blk = FloatVector.broadcast(F, a[ar + k + 1]).fma(fp8Byte1(t), blk);
                blk = FloatVector.broadcast(F, a[ar + k + 2]).fma(fp8Byte2(t), blk);
                blk = FloatVector.broadcast(F, a[ar + k + 3]).fma(fp8Byte3(t), blk);
            }
            for (; k < k1; k++) blk = FloatVector.broadcast(F, a[ar + k]).fma(fp8Byte0(gatherBytes(data, off, k, gi)), blk);
            acc = blk.fma(laneScales(p, g, b, s).mul(p.activationScale(i, b)), acc);
        }
        return acc;
    }

    /** One row of a against L dense W rows from g (blocks of 128, scale 1). */
    private static FloatVector gemvDense(SimdGemmProblem p, int i, int g, SimdGemmScratch s) {
        long[] off = s.laneOffsets;
        int[] gi = s.laneInts;
        float[] gf = s.laneFloats;
        float[] a = p.a;
        MemorySegment data = p.data;
        laneRows(p, g, 0, off);
        FloatVector acc = FloatVector.zero(F);
        int ar = i * p.k;
        for (int b = 0; b < p.kBlocks; b++) {
            int k0 = b * p.blockCols;
            int k1 = Math.min(p.k, k0 + p.blockCols);
            FloatVector blk = FloatVector.zero(F);
            int k = k0;
            switch (p.kind) {
                case SimdGemmProblem.BF16 -> {
                    for (; k + 2 <= k1; k += 2) {
                        IntVector t = gatherInts(data, off, 2L * k, gi);
                        blk = FloatVector.broadcast(F, a[ar + k]).fma(bf16Low(t), blk);
                        blk = FloatVector.broadcast(F, a[ar + k + 1]).fma(bf16High(t), blk);
                    }
                    for (; k < k1; k++) blk = FloatVector.broadcast(F, a[ar + k]).fma(bf16Low(gatherShorts(data, off, 2L * k, gi)), blk);
                }
                case SimdGemmProblem.F32 -> {
                    for (; k < k1; k++) blk = FloatVector.broadcast(F, a[ar + k]).fma(gatherFloats(data, off, 4L * k, gf), blk);
                }
                default -> {
                    for (; k < k1; k++) blk = FloatVector.broadcast(F, a[ar + k]).fma(gatherGeneric(p, g, k, gf), blk);
                }
            }
            acc = blk.fma(FloatVector.broadcast(F, 1f), acc);
        }
        return acc;
    }

    /** The weight scales of block b for the L rows from g (rows past the end repeat the last). */
    private static FloatVector laneScales(SimdGemmProblem p, int g, int b, SimdGemmScratch s) {
        float[] gf = s.laneFloats;
        for (int l = 0; l < L; l++) gf[l] = p.weightScale(Math.min(g + l, p.n - 1), b);
        return FloatVector.fromArray(F, gf, 0);
    }

    // ---------------------------------------------------------------- transposed gathers and decoders

    /** Byte offsets of element (row, k0) of the L rows from g, clamped to the last row. */
    private static void laneRows(SimdGemmProblem p, int g, int k0, long[] off) {
        long bytes = switch (p.kind) {
            case SimdGemmProblem.FP8 -> 1;
            case SimdGemmProblem.BF16 -> 2;
            case SimdGemmProblem.F32 -> 4;
            default -> 0;
        };
        for (int l = 0; l < L; l++) off[l] = ((long) Math.min(g + l, p.n - 1) * p.k + k0) * bytes;
    }

    /** Lane l = the 4 little-endian bytes at off[l] + delta. */
    private static IntVector gatherInts(MemorySegment data, long[] off, long delta, int[] gi) {
        for (int l = 0; l < L; l++) gi[l] = data.get(SimdLayouts.I32, off[l] + delta);
        return IntVector.fromArray(I, gi, 0);
    }

    private static IntVector gatherShorts(MemorySegment data, long[] off, long delta, int[] gi) {
        for (int l = 0; l < L; l++) gi[l] = data.get(SimdLayouts.I16, off[l] + delta);
        return IntVector.fromArray(I, gi, 0);
    }

    private static IntVector gatherBytes(MemorySegment data, long[] off, long delta, int[] gi) {
        for (int l = 0; l < L; l++) gi[l] = data.get(SimdLayouts.I8, off[l] + delta);
        return IntVector.fromArray(I, gi, 0);
    }

    private static FloatVector gatherFloats(MemorySegment data, long[] off, long delta, float[] gf) {
        for (int l = 0; l < L; l++) gf[l] = data.get(SimdLayouts.F32, off[l] + delta);
        return FloatVector.fromArray(F, gf, 0);
    }

    private static FloatVector gatherGeneric(SimdGemmProblem p, int g, int col, float[] gf) {
        DenseWeight w = (DenseWeight) p.weight;
        for (int l = 0; l < L; l++) gf[l] = w.getFloat((long) Math.min(g + l, p.n - 1) * p.k + col);
        return FloatVector.fromArray(F, gf, 0);
    }

    private static FloatVector fp8Byte0(IntVector t) { return fp8Top(t.lanewise(VectorOperators.LSHL, 24)); }
    private static FloatVector fp8Byte1(IntVector t) { return fp8Top(t.lanewise(VectorOperators.LSHL, 16)); }
    private static FloatVector fp8Byte2(IntVector t) { return fp8Top(t.lanewise(VectorOperators.LSHL, 8)); }
    private static FloatVector fp8Byte3(IntVector t) { return fp8Top(t); }

    /**
     * The e4m3 value of the code in the top byte of each lane: sign to bit 31, the 7 exponent and mantissa bits to
     * bits 20..26 (an fp32 with the e4m3 exponent field in its low exponent bits: the value times 2^-120, e4m3
     * subnormals landing on fp32 subnormals), times 2^120 (exact); the NaN code S.1111.111 is mapped to NaN.
     */
    private static FloatVector fp8Top(IntVector top) {
        IntVector mag = top.lanewise(VectorOperators.LSHR, 4).and(0x07F00000);
        FloatVector v = top.and(0x80000000).or(mag).reinterpretAsFloats().mul(Fp8Codec.DECODE_SCALE);
        VectorMask<Integer> nan = mag.compare(VectorOperators.EQ, 0x07F00000);
        return v.blend(Float.NaN, nan.cast(F));
    }

    private static FloatVector bf16Low(IntVector t) { return t.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(); }
    private static FloatVector bf16High(IntVector t) { return t.and(0xFFFF0000).reinterpretAsFloats(); }

    // ---------------------------------------------------------------- scalar path (width 0)

    /** The canonical order, one output at a time, each W row decoded once per call. */
    private static void scalar(SimdGemmProblem p, int m0, int m1, int n0, int n1, SimdGemmScratch s) {
        int k = p.k;
        float[] row = s.row(k);
        for (int c = n0; c < n1; c++) {
            for (int kk = 0; kk < k; kk++) row[kk] = p.weightAt(c, kk);
            for (int i = m0; i < m1; i++) {
                float acc = 0f;
                int ar = i * k;
                for (int b = 0; b < p.kBlocks; b++) {
                    int k0 = b * p.blockCols;
                    int k1 = Math.min(k, k0 + p.blockCols);
                    float blk = 0f;
                    for (int kk = k0; kk < k1; kk++) blk = Math.fma(p.a[ar + kk], row[kk], blk);
                    acc = Math.fma(blk, p.weightScale(c, b) * p.activationScale(i, b), acc);
                }
                p.y[i * p.n + c] = acc;
            }
        }
    }
}
