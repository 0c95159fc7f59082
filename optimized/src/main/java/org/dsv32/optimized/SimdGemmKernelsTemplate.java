package org.dsv32.optimized;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;

/**
 * The one source of the GEMM/GEMV kernels; {@link SimdSpecies#kernels} makes a copy per vector width. No nested
 * classes or lambdas here (see {@link SimdSpecies}), and no method of ours takes or returns a vector: C2 inlines
 * plain methods only until a compilation reaches its node count cutoff (NodeCountInliningCutoff, fixed in product
 * JVMs), and a vector crossing a call that was not inlined is boxed and loses its exact type, and with it every
 * intrinsic; each of its operations then runs the Vector API's Java fallback, ten to twenty times slower. The Vector API's
 * own methods are force-inlined past the cutoff, so kernels written from them alone compile the same way every
 * time.
 *
 * <p>Vectors run across output columns n (W rows), never across k: each lane carries one output element through
 * the canonical sequential order of {@link SimdGemmProblem}, so there is no lane reduction and the result does not
 * depend on the width. That needs W transposed: L rows of 4L bytes are loaded as int vectors and transposed in
 * registers (log2 L rounds of two-source permutes), giving vectors whose lane l holds 4 consecutive e4m3 codes (2
 * bf16, 1 fp32) of row l; each byte is then shifted into fp32 position.
 *
 * <p>GEMM: per k-block, the unit's rows of a are copied into a panel of constant row stride {@link #KP}, and the W
 * rows of the unit are decoded one register-tile column group at a time into a contiguous [k][NR L] slab (it stays
 * in L1 from the decode to the tiles) that all rows of a reuse; an MR x NR register tile of block sums (2 or 4 rows
 * for the last rows) runs over the block, then is promoted into the output tile: tile = fma(blk, sw * sa, tile). GEMV: the same per lane, decoding in
 * registers without a panel. The few-row GEMM ({@link #gemmRows}) decodes L W rows at a time into a panel of a
 * few k-blocks that all rows of a multiply (R-row register tiles, R = 8, 4 or 2; whole chunks: against two W vectors at once). The GEMV's fast path ({@link SimdGemvRows}: no NaN code in the weight, x in range) decodes
 * without the 2^120 multiply and runs four consecutive k-blocks of L rows as four independent FMA chains; the
 * general path checks every chunk for NaN codes and runs four groups of L rows.
 *
 * <p>micro6x4, micro4x4, micro2x4 and transpose16/8/4 are written out in full (one local per register) because C2 keeps
 * vectors in registers only as locals; they are mechanical: micro{MR}x{NR} holds accumulator c{i}{j} for row i and
 * column vector j, transpose{L} swaps the off-diagonal h x h blocks for h = L/2 .. 1.
 */
final class SimdGemmKernelsTemplate implements SimdGemmKernels {
    static final int BITS = SimdSpecies.templateBits(MethodHandles.lookup());
    static final VectorSpecies<Float> F = SimdSpecies.floatSpecies(BITS);
    static final int L = F == null ? 1 : F.length();
    static final VectorSpecies<Integer> I = F == null ? null : VectorSpecies.of(int.class, F.vectorShape());
    /** Register tile: MR rows of a by NR vectors of W columns (24 accumulators, 4 W vectors, 1 broadcast). */
    static final int MR = 6, NR = 4;
    /** Floats per k of a panel slab: the register tile's NR vectors. */
    static final int SLAB = NR * L;
    /**
     * Row stride of the a panel, the widest k-block the register-tiled GEMM takes. A constant stride lets C2 address
     * the MR broadcasts of a k from one index register with constant displacements (a stride passed as a parameter
     * costs one address computation per row and k, about 10% of the microkernel's throughput, measured).
     */
    static final int KP = 128;
    /** Bytes of one row per transposed chunk: L ints. */
    static final int CHUNK = 4 * L;
    /**
     * Permute indexes of the transpose round that swaps the off-diagonal h x h blocks of each 2h x 2h block: lane l
     * of the first output takes a[l] or b[l - h], of the second a[l + h] or b[l] (indexes >= L select from b).
     */
    static final IntVector LO1 = swapIndexes(1, false), HI1 = swapIndexes(1, true), LO2 = swapIndexes(2, false),
            HI2 = swapIndexes(2, true), LO4 = swapIndexes(4, false), HI4 = swapIndexes(4, true),
            LO8 = swapIndexes(8, false), HI8 = swapIndexes(8, true);

    /*
     * The e4m3 decode, written out at each use: the code shifted to the top byte of its int lane, an arithmetic
     * shift by 4 leaves the sign in bits 27..31 and the 7 exponent/mantissa bits in 20..26, and FP8_MASK keeps bit
     * 31 and 20..26: an fp32 with the e4m3 exponent field in its low exponent bits, i.e. the value times 2^-120
     * (e4m3 subnormals land on fp32 subnormals), which one multiply by FP8_SCALE = 2^120 makes exact; the fast GEMV
     * leaves that multiply out (SimdGemvRows). The NaN code S.1111.111 comes out as +-480 (no finite code exceeds
     * 448) and is mapped to NaN only in chunks that contain one. Constants as vectors: fewer IR nodes than the
     * scalar-operand forms.
     */
    static final IntVector FP8_MASK = F == null ? null : IntVector.broadcast(I, 0x87F00000);
    static final FloatVector FP8_SCALE = F == null ? null : FloatVector.broadcast(F, Fp8Codec.DECODE_SCALE);
    /**
     * The exact decode without subnormals ({@link #unpackExact}): the 7 exponent and mantissa bits of a decoded code
     * (bits 20..26), the exponent rebias 120 as an integer (2^-120 -> 1), the magnitude below which a code is
     * subnormal (exponent bits 0), and 2^-29, which turns the integer m 2^20 of a subnormal's bits into m 2^-9.
     */
    static final IntVector E4M3_MAGNITUDE = F == null ? null : IntVector.broadcast(I, 0x07F00000);
    static final IntVector E4M3_REBIAS = F == null ? null : IntVector.broadcast(I, 120 << 23);
    static final IntVector E4M3_MIN_NORMAL = F == null ? null : IntVector.broadcast(I, 1 << 23);
    static final FloatVector E4M3_SUBNORMAL_SCALE = F == null ? null : FloatVector.broadcast(F, 0x1p-29f);

    SimdGemmKernelsTemplate() {}

    private static IntVector swapIndexes(int h, boolean high) {
        if (F == null || h >= L) return null;
        int[] idx = new int[L];
        for (int l = 0; l < L; l++) {
            boolean upper = (l & h) != 0;
            idx[l] = high ? (upper ? L + l : l + h) : (upper ? L + l - h : l);
        }
        return IntVector.fromArray(I, idx, 0);
    }

    @Override public int bits() { return BITS; }

    // ---------------------------------------------------------------- GEMM

    @Override
    public void gemm(SimdGemmProblem p, int m0, int m1, int n0, int n1, SimdGemmScratch s) {
        if (F == null || p.blockCols > KP) {
            // k-blocks wider than the a panel occur in no checkpoint (128 x 128 blocks; dense weights use 128)
            scalar(p, m0, m1, n0, n1, s);
            return;
        }
        int cols = n1 - n0;
        int width = NR * L;
        int pw = (cols + width - 1) / width * width;
        int rows = m1 - m0;
        // whole 6-row tiles, then one tile of 2, 4 or 6 rows for the rest; its padding rows of the a panel stay zero
        // (scale 0) and their results are dropped
        int full = rows / MR * MR, rest = rows - full;
        int pr = full + (rest == 0 ? 0 : rest <= 2 ? 2 : rest <= 4 ? 4 : MR);
        // one slab of decoded W at a time, decoded right before the tiles that use it: it stays in L1 from the decode's
        // stores to the tiles' loads (a panel of every slab, 128 KB, made the decode's stores miss L1)
        float[] panel = s.panel(p.blockCols * SLAB);
        float[] tile = s.zeroTile(pr * pw);
        float[] ws = s.colScales(pw);
        float[] ap = s.zeroAPanel(pr * KP);
        float[] sa = s.rowScales(pr);
        // a weight without NaN codes (one scan, remembered) needs no NaN check per chunk
        boolean nanCodes = p.kind == SimdGemmProblem.FP8 && SimdFp8Facts.of((Fp8BlockWeight) p.weight).hasNanCode();
        int k = p.k;
        for (int b = 0; b < p.kBlocks; b++) {
            int k0 = b * p.blockCols;
            int kl = Math.min(p.blockCols, k - k0);
            weightScales(p, n0, cols, pw, b, ws);
            for (int r = 0; r < rows; r++) {
                System.arraycopy(p.a, (m0 + r) * k + k0, ap, r * KP, kl);
                sa[r] = p.activationScale(m0 + r, b);
            }
            for (int j = 0; j < pw; j += width) {
                for (int g = 0; g < width; g += L) packSlab(p, n0 + j + g, k0, kl, panel, g, nanCodes, s);
                int i = 0;
                for (; i + MR <= pr; i += MR) {
                    micro6x4(ap, i * KP, kl, panel, 0, tile, i * pw + j, pw, ws, j,
                            sa[i], sa[i + 1], sa[i + 2], sa[i + 3], sa[i + 4], sa[i + 5]);
                }
                if (pr - i == 4) micro4x4(ap, i * KP, kl, panel, 0, tile, i * pw + j, pw, ws, j, sa[i], sa[i + 1], sa[i + 2], sa[i + 3]);
                if (pr - i == 2) micro2x4(ap, i * KP, kl, panel, 0, tile, i * pw + j, pw, ws, j, sa[i], sa[i + 1]);
            }
        }
        for (int i = m0; i < m1; i++) System.arraycopy(tile, (i - m0) * pw, p.y, i * p.n + n0, cols);
    }

    /**
     * W rows row0 .. row0 + L - 1 (past the end: the last), columns k0 .. k0 + kl - 1, into panel[po + k SLAB + l]:
     * FP8 chunks decoded here with the slab's constant stride (no range check per store), a chunk with a NaN code,
     * the last partial chunk and other kinds by {@link #pack}.
     */
    private static void packSlab(SimdGemmProblem p, int row0, int k0, int kl, float[] panel, int po, boolean nanCodes, SimdGemmScratch s) {
        if (p.kind != SimdGemmProblem.FP8) {
            pack(p, row0, k0, kl, panel, SLAB, po, nanCodes, s);
            return;
        }
        long[] off = s.laneOffsets;
        int[] cols = s.staged;
        laneRows(p, row0, k0, off);
        int k = 0;
        for (; k + CHUNK <= kl; k += CHUNK) {
            if (transpose(p.data, off, k, cols, nanCodes)) {
                pack(p, row0, k0 + k, CHUNK, panel, SLAB, po + k * SLAB, true, s);
                laneRows(p, row0, k0, off); // pack moved the offsets to its own k0
                continue;
            }
            for (int c = 0; c < L; c++) {
                IntVector t = IntVector.fromArray(I, cols, c * L);
                int o = po + (k + 4 * c) * SLAB;
                // code j of each lane is byte j of its int: shifted to the top byte, then decoded (see FP8_MASK)
                t.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats().mul(FP8_SCALE).intoArray(panel, o);
                t.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats().mul(FP8_SCALE).intoArray(panel, o + SLAB);
                t.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats().mul(FP8_SCALE).intoArray(panel, o + 2 * SLAB);
                t.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats().mul(FP8_SCALE).intoArray(panel, o + 3 * SLAB);
            }
        }
        if (k < kl) pack(p, row0, k0 + k, kl - k, panel, SLAB, po + k * SLAB, nanCodes, s);
    }

    /** ws[c] = the scale of W row n0 + c in k-block b for c < cols, 0 up to pw (one read per weight block row). */
    private static void weightScales(SimdGemmProblem p, int n0, int cols, int pw, int b, float[] ws) {
        int c = 0;
        while (c < cols) {
            int end = Math.min(cols, ((n0 + c) / p.blockRows + 1) * p.blockRows - n0);
            float sw = p.weightScale(n0 + c, b);
            for (; c < end; c++) ws[c] = sw;
        }
        for (; c < pw; c++) ws[c] = 0f;
    }

    /**
     * Decodes W rows row0 .. row0 + L - 1 (rows past the end repeat the last one), columns k0 .. k0 + kl - 1, into
     * panel[k * pw + g + l].
     */
    private static void pack(SimdGemmProblem p, int row0, int k0, int kl, float[] panel, int pw, int g, boolean nanCodes, SimdGemmScratch s) {
        long[] off = s.laneOffsets;
        int[] cols = s.staged;
        MemorySegment data = p.data;
        laneRows(p, row0, k0, off);
        int k = 0;
        switch (p.kind) {
            case SimdGemmProblem.FP8 -> {
                for (; k + CHUNK <= kl; k += CHUNK) {
                    boolean nan = transpose(data, off, k, cols, nanCodes);
                    for (int c = 0; c < L; c++) {
                        IntVector t = IntVector.fromArray(I, cols, c * L);
                        int o = (k + 4 * c) * pw + g;
                        // code j of each lane is byte j of its int: shifted to the top byte, then decoded (see FP8_MASK)
                        FloatVector w0 = t.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats().mul(FP8_SCALE);
                        FloatVector w1 = t.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats().mul(FP8_SCALE);
                        FloatVector w2 = t.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats().mul(FP8_SCALE);
                        FloatVector w3 = t.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats().mul(FP8_SCALE);
                        if (nan) {
                            // the NaN code decodes to +-480 (no finite code exceeds 448)
                            w0 = w0.blend(Float.NaN, w0.abs().compare(VectorOperators.EQ, 480f));
                            w1 = w1.blend(Float.NaN, w1.abs().compare(VectorOperators.EQ, 480f));
                            w2 = w2.blend(Float.NaN, w2.abs().compare(VectorOperators.EQ, 480f));
                            w3 = w3.blend(Float.NaN, w3.abs().compare(VectorOperators.EQ, 480f));
                        }
                        w0.intoArray(panel, o);
                        w1.intoArray(panel, o + pw);
                        w2.intoArray(panel, o + 2 * pw);
                        w3.intoArray(panel, o + 3 * pw);
                    }
                }
                for (; k < kl; k++) {
                    gatherBytes(data, off, k, s.laneInts);
                    FloatVector w = IntVector.fromArray(I, s.laneInts, 0).lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats().mul(FP8_SCALE);
                    w.blend(Float.NaN, w.abs().compare(VectorOperators.EQ, 480f)).intoArray(panel, k * pw + g);
                }
            }
            case SimdGemmProblem.BF16 -> {
                for (; k + CHUNK / 2 <= kl; k += CHUNK / 2) {
                    transpose(data, off, 2L * k, cols, false);
                    for (int c = 0; c < L; c++) {
                        IntVector t = IntVector.fromArray(I, cols, c * L);
                        int o = (k + 2 * c) * pw + g;
                        t.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(panel, o);
                        t.and(0xFFFF0000).reinterpretAsFloats().intoArray(panel, o + pw);
                    }
                }
                for (; k < kl; k++) {
                    gatherShorts(data, off, 2L * k, s.laneInts);
                    IntVector.fromArray(I, s.laneInts, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(panel, k * pw + g);
                }
            }
            case SimdGemmProblem.F32 -> {
                for (; k + CHUNK / 4 <= kl; k += CHUNK / 4) {
                    transpose(data, off, 4L * k, cols, false);
                    for (int c = 0; c < L; c++) {
                        IntVector.fromArray(I, cols, c * L).reinterpretAsFloats().intoArray(panel, (k + c) * pw + g);
                    }
                }
                for (; k < kl; k++) {
                    gatherFloats(data, off, 4L * k, s.laneFloats);
                    FloatVector.fromArray(F, s.laneFloats, 0).intoArray(panel, k * pw + g);
                }
            }
            default -> {
                for (; k < kl; k++) {
                    gatherGeneric(p, row0, k0 + k, s.laneFloats);
                    FloatVector.fromArray(F, s.laneFloats, 0).intoArray(panel, k * pw + g);
                }
            }
        }
    }

    /**
     * 6 rows of the a panel (from row offset a0, stride {@link #KP}) times 4 vectors of a panel slab over one
     * k-block, then the block promotion into the tile.
     */
    private static void micro6x4(float[] a, int a0, int kl, float[] wt, int j, float[] ct, int c0, int ldc, float[] ws, int jw, float s0, float s1, float s2, float s3, float s4, float s5) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F), c02 = FloatVector.zero(F), c03 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F), c12 = FloatVector.zero(F), c13 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F), c22 = FloatVector.zero(F), c23 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F), c32 = FloatVector.zero(F), c33 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F), c42 = FloatVector.zero(F), c43 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F), c52 = FloatVector.zero(F), c53 = FloatVector.zero(F);
        for (int k = 0; k < kl; k++) {
            int wo = j + k * SLAB, ak = a0 + k;
            FloatVector w0 = FloatVector.fromArray(F, wt, wo);
            FloatVector w1 = FloatVector.fromArray(F, wt, wo + 1 * L);
            FloatVector w2 = FloatVector.fromArray(F, wt, wo + 2 * L);
            FloatVector w3 = FloatVector.fromArray(F, wt, wo + 3 * L);
            FloatVector x0 = FloatVector.broadcast(F, a[ak]);
            c00 = x0.fma(w0, c00); c01 = x0.fma(w1, c01); c02 = x0.fma(w2, c02); c03 = x0.fma(w3, c03);
            FloatVector x1 = FloatVector.broadcast(F, a[ak + 1 * KP]);
            c10 = x1.fma(w0, c10); c11 = x1.fma(w1, c11); c12 = x1.fma(w2, c12); c13 = x1.fma(w3, c13);
            FloatVector x2 = FloatVector.broadcast(F, a[ak + 2 * KP]);
            c20 = x2.fma(w0, c20); c21 = x2.fma(w1, c21); c22 = x2.fma(w2, c22); c23 = x2.fma(w3, c23);
            FloatVector x3 = FloatVector.broadcast(F, a[ak + 3 * KP]);
            c30 = x3.fma(w0, c30); c31 = x3.fma(w1, c31); c32 = x3.fma(w2, c32); c33 = x3.fma(w3, c33);
            FloatVector x4 = FloatVector.broadcast(F, a[ak + 4 * KP]);
            c40 = x4.fma(w0, c40); c41 = x4.fma(w1, c41); c42 = x4.fma(w2, c42); c43 = x4.fma(w3, c43);
            FloatVector x5 = FloatVector.broadcast(F, a[ak + 5 * KP]);
            c50 = x5.fma(w0, c50); c51 = x5.fma(w1, c51); c52 = x5.fma(w2, c52); c53 = x5.fma(w3, c53);
        }
        FloatVector sw0 = FloatVector.fromArray(F, ws, jw);
        FloatVector sw1 = FloatVector.fromArray(F, ws, jw + 1 * L);
        FloatVector sw2 = FloatVector.fromArray(F, ws, jw + 2 * L);
        FloatVector sw3 = FloatVector.fromArray(F, ws, jw + 3 * L);
        c00.fma(sw0.mul(s0), FloatVector.fromArray(F, ct, c0)).intoArray(ct, c0);
        c01.fma(sw1.mul(s0), FloatVector.fromArray(F, ct, c0 + 1 * L)).intoArray(ct, c0 + 1 * L);
        c02.fma(sw2.mul(s0), FloatVector.fromArray(F, ct, c0 + 2 * L)).intoArray(ct, c0 + 2 * L);
        c03.fma(sw3.mul(s0), FloatVector.fromArray(F, ct, c0 + 3 * L)).intoArray(ct, c0 + 3 * L);
        c10.fma(sw0.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc)).intoArray(ct, c0 + 1 * ldc);
        c11.fma(sw1.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 1 * L)).intoArray(ct, c0 + 1 * ldc + 1 * L);
        c12.fma(sw2.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 2 * L)).intoArray(ct, c0 + 1 * ldc + 2 * L);
        c13.fma(sw3.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 3 * L)).intoArray(ct, c0 + 1 * ldc + 3 * L);
        c20.fma(sw0.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc)).intoArray(ct, c0 + 2 * ldc);
        c21.fma(sw1.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 1 * L)).intoArray(ct, c0 + 2 * ldc + 1 * L);
        c22.fma(sw2.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 2 * L)).intoArray(ct, c0 + 2 * ldc + 2 * L);
        c23.fma(sw3.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 3 * L)).intoArray(ct, c0 + 2 * ldc + 3 * L);
        c30.fma(sw0.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc)).intoArray(ct, c0 + 3 * ldc);
        c31.fma(sw1.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 1 * L)).intoArray(ct, c0 + 3 * ldc + 1 * L);
        c32.fma(sw2.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 2 * L)).intoArray(ct, c0 + 3 * ldc + 2 * L);
        c33.fma(sw3.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 3 * L)).intoArray(ct, c0 + 3 * ldc + 3 * L);
        c40.fma(sw0.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc)).intoArray(ct, c0 + 4 * ldc);
        c41.fma(sw1.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc + 1 * L)).intoArray(ct, c0 + 4 * ldc + 1 * L);
        c42.fma(sw2.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc + 2 * L)).intoArray(ct, c0 + 4 * ldc + 2 * L);
        c43.fma(sw3.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc + 3 * L)).intoArray(ct, c0 + 4 * ldc + 3 * L);
        c50.fma(sw0.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc)).intoArray(ct, c0 + 5 * ldc);
        c51.fma(sw1.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc + 1 * L)).intoArray(ct, c0 + 5 * ldc + 1 * L);
        c52.fma(sw2.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc + 2 * L)).intoArray(ct, c0 + 5 * ldc + 2 * L);
        c53.fma(sw3.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc + 3 * L)).intoArray(ct, c0 + 5 * ldc + 3 * L);
    }


    /**
     * 4 rows of the a panel (from row offset a0, stride {@link #KP}) times 4 vectors of a panel slab over one
     * k-block, then the block promotion into the tile.
     */
    private static void micro4x4(float[] a, int a0, int kl, float[] wt, int j, float[] ct, int c0, int ldc, float[] ws, int jw, float s0, float s1, float s2, float s3) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F), c02 = FloatVector.zero(F), c03 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F), c12 = FloatVector.zero(F), c13 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F), c22 = FloatVector.zero(F), c23 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F), c32 = FloatVector.zero(F), c33 = FloatVector.zero(F);
        for (int k = 0; k < kl; k++) {
            int wo = j + k * SLAB, ak = a0 + k;
            FloatVector w0 = FloatVector.fromArray(F, wt, wo);
            FloatVector w1 = FloatVector.fromArray(F, wt, wo + 1 * L);
            FloatVector w2 = FloatVector.fromArray(F, wt, wo + 2 * L);
            FloatVector w3 = FloatVector.fromArray(F, wt, wo + 3 * L);
            FloatVector x0 = FloatVector.broadcast(F, a[ak]);
            c00 = x0.fma(w0, c00); c01 = x0.fma(w1, c01); c02 = x0.fma(w2, c02); c03 = x0.fma(w3, c03);
            FloatVector x1 = FloatVector.broadcast(F, a[ak + 1 * KP]);
            c10 = x1.fma(w0, c10); c11 = x1.fma(w1, c11); c12 = x1.fma(w2, c12); c13 = x1.fma(w3, c13);
            FloatVector x2 = FloatVector.broadcast(F, a[ak + 2 * KP]);
            c20 = x2.fma(w0, c20); c21 = x2.fma(w1, c21); c22 = x2.fma(w2, c22); c23 = x2.fma(w3, c23);
            FloatVector x3 = FloatVector.broadcast(F, a[ak + 3 * KP]);
            c30 = x3.fma(w0, c30); c31 = x3.fma(w1, c31); c32 = x3.fma(w2, c32); c33 = x3.fma(w3, c33);
        }
        FloatVector sw0 = FloatVector.fromArray(F, ws, jw);
        FloatVector sw1 = FloatVector.fromArray(F, ws, jw + 1 * L);
        FloatVector sw2 = FloatVector.fromArray(F, ws, jw + 2 * L);
        FloatVector sw3 = FloatVector.fromArray(F, ws, jw + 3 * L);
        c00.fma(sw0.mul(s0), FloatVector.fromArray(F, ct, c0)).intoArray(ct, c0);
        c01.fma(sw1.mul(s0), FloatVector.fromArray(F, ct, c0 + 1 * L)).intoArray(ct, c0 + 1 * L);
        c02.fma(sw2.mul(s0), FloatVector.fromArray(F, ct, c0 + 2 * L)).intoArray(ct, c0 + 2 * L);
        c03.fma(sw3.mul(s0), FloatVector.fromArray(F, ct, c0 + 3 * L)).intoArray(ct, c0 + 3 * L);
        c10.fma(sw0.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc)).intoArray(ct, c0 + 1 * ldc);
        c11.fma(sw1.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 1 * L)).intoArray(ct, c0 + 1 * ldc + 1 * L);
        c12.fma(sw2.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 2 * L)).intoArray(ct, c0 + 1 * ldc + 2 * L);
        c13.fma(sw3.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 3 * L)).intoArray(ct, c0 + 1 * ldc + 3 * L);
        c20.fma(sw0.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc)).intoArray(ct, c0 + 2 * ldc);
        c21.fma(sw1.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 1 * L)).intoArray(ct, c0 + 2 * ldc + 1 * L);
        c22.fma(sw2.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 2 * L)).intoArray(ct, c0 + 2 * ldc + 2 * L);
        c23.fma(sw3.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 3 * L)).intoArray(ct, c0 + 2 * ldc + 3 * L);
        c30.fma(sw0.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc)).intoArray(ct, c0 + 3 * ldc);
        c31.fma(sw1.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 1 * L)).intoArray(ct, c0 + 3 * ldc + 1 * L);
        c32.fma(sw2.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 2 * L)).intoArray(ct, c0 + 3 * ldc + 2 * L);
        c33.fma(sw3.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 3 * L)).intoArray(ct, c0 + 3 * ldc + 3 * L);
    }

    /**
     * 2 rows of the a panel (from row offset a0, stride {@link #KP}) times 4 vectors of a panel slab over one
     * k-block, then the block promotion into the tile.
     */
    private static void micro2x4(float[] a, int a0, int kl, float[] wt, int j, float[] ct, int c0, int ldc, float[] ws, int jw, float s0, float s1) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F), c02 = FloatVector.zero(F), c03 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F), c12 = FloatVector.zero(F), c13 = FloatVector.zero(F);
        for (int k = 0; k < kl; k++) {
            int wo = j + k * SLAB, ak = a0 + k;
            FloatVector w0 = FloatVector.fromArray(F, wt, wo);
            FloatVector w1 = FloatVector.fromArray(F, wt, wo + 1 * L);
            FloatVector w2 = FloatVector.fromArray(F, wt, wo + 2 * L);
            FloatVector w3 = FloatVector.fromArray(F, wt, wo + 3 * L);
            FloatVector x0 = FloatVector.broadcast(F, a[ak]);
            c00 = x0.fma(w0, c00); c01 = x0.fma(w1, c01); c02 = x0.fma(w2, c02); c03 = x0.fma(w3, c03);
            FloatVector x1 = FloatVector.broadcast(F, a[ak + 1 * KP]);
            c10 = x1.fma(w0, c10); c11 = x1.fma(w1, c11); c12 = x1.fma(w2, c12); c13 = x1.fma(w3, c13);
        }
        FloatVector sw0 = FloatVector.fromArray(F, ws, jw);
        FloatVector sw1 = FloatVector.fromArray(F, ws, jw + 1 * L);
        FloatVector sw2 = FloatVector.fromArray(F, ws, jw + 2 * L);
        FloatVector sw3 = FloatVector.fromArray(F, ws, jw + 3 * L);
        c00.fma(sw0.mul(s0), FloatVector.fromArray(F, ct, c0)).intoArray(ct, c0);
        c01.fma(sw1.mul(s0), FloatVector.fromArray(F, ct, c0 + 1 * L)).intoArray(ct, c0 + 1 * L);
        c02.fma(sw2.mul(s0), FloatVector.fromArray(F, ct, c0 + 2 * L)).intoArray(ct, c0 + 2 * L);
        c03.fma(sw3.mul(s0), FloatVector.fromArray(F, ct, c0 + 3 * L)).intoArray(ct, c0 + 3 * L);
        c10.fma(sw0.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc)).intoArray(ct, c0 + 1 * ldc);
        c11.fma(sw1.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 1 * L)).intoArray(ct, c0 + 1 * ldc + 1 * L);
        c12.fma(sw2.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 2 * L)).intoArray(ct, c0 + 1 * ldc + 2 * L);
        c13.fma(sw3.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 3 * L)).intoArray(ct, c0 + 1 * ldc + 3 * L);
    }


    // ---------------------------------------------------------------- GEMM of a few rows

    /** k-blocks of W decoded per step of {@link #gemmRows}: the chains of its smallest row groups. */
    static final int RUN = 4;

    /**
     * The few-row GEMM. For each group of L W rows (one output vector), step by step along K: the next RUN k-blocks
     * of those L rows are decoded into the panel ({@link #decodeBlocks}, or {@link #pack} for NaN codes and ragged
     * blocks: RUN x blockCols x L floats, 32 KB at 512 bits, in L1), then every row
     * group of a runs over them (whole blocks of whole chunks without NaN codes take {@link #gemmRowsPairs}): an 8-row group two
     * blocks at once, 4- and 2-row groups four at once (16 or 8 chains); each block sum is then promoted into the
     * row's total in block order. So each W element is read once, decoded once and used by every row, and W is read
     * as L streams along K, which the hardware prefetchers follow; each output element is summed in the canonical
     * order ({@link SimdGemmProblem}), so the bits are those of every other kernel.
     */
    @Override
    public void gemmRows(SimdGemmProblem p, SimdGemmRowGroups rows, int n0, int n1, SimdGemmScratch s) {
        if (F == null) {
            scalar(p, 0, p.m, n0, n1, s);
            return;
        }
        int bc = p.blockCols, kb = p.kBlocks, k = p.k, groups = rows.count();
        int padded = rows.first[groups - 1] + rows.size[groups - 1];
        float[] panel = s.panel(RUN * bc * L);
        float[] total = s.zeroTile(padded * L);
        float[] blk = s.blockSums;
        float[] at = rows.values;
        boolean nanCodes = p.kind == SimdGemmProblem.FP8 && SimdFp8Facts.of((Fp8BlockWeight) p.weight).hasNanCode();
        int[] bj = s.chainBlocks;
        float[] sws = s.totals;
        // whole blocks of whole transposed chunks, no NaN code: the unrolled decode (rescaled rows: without the 2^120 multiply)
        boolean chunked = p.kind == SimdGemmProblem.FP8 && !nanCodes && k % bc == 0 && bc % CHUNK == 0;
        if (chunked && rows.size[0] <= PAIR_ROWS) {
            gemmRowsPairs(p, rows, n0, n1, s);
            return;
        }
        // blocks per step: as many as the smallest row group runs at once (8 rows: two, fewer: RUN)
        int smallest = rows.size[groups - 1];
        int run = smallest >= 8 ? 2 : RUN;
        for (int g = n0; g < n1; g += L) {
            java.util.Arrays.fill(total, 0, padded * L, 0f);
            for (int b = 0; b < kb; b += run) {
                int nb = Math.min(run, kb - b);
                weightScales(p, g, b, nb, sws);
                if (chunked) {
                    decodeBlocks(p, g, b, nb, rows.scaled(), panel, s);
                } else {
                    for (int j = 0; j < nb; j++) pack(p, g, (b + j) * bc, Math.min(bc, k - (b + j) * bc), panel, L, j * bc * L, nanCodes, s);
                }
                // a full step of whole blocks runs the chained tiles once; a short or ragged last step runs them
                // block by block, every chain on the same block (only chain 0 is promoted)
                boolean whole = nb == run && k - (b + run - 1) * bc >= bc;
                for (int step = 0; step < (whole ? 1 : nb); step++) {
                    for (int c = 0; c < RUN; c++) bj[c] = whole ? Math.min(c, run - 1) : step;
                    int n = whole ? bc : Math.min(bc, k - (b + step) * bc);
                    for (int G = 0; G < groups; G++) {
                        int r = rows.size[G], bo = rows.offset[G] + b * bc * r;
                        switch (r) {
                            case 8 -> {
                                for (int c = 0; c < (whole ? run : 1); c += 2) {
                                    rows8x2(at, bo + bj[c] * bc * 8, bo + bj[c + 1] * bc * 8, panel, bj[c] * bc * L, bj[c + 1] * bc * L, n, blk);
                                    promoteRows(p, rows, G, b, bj[c], blk, 0, total, sws);
                                    if (whole) promoteRows(p, rows, G, b, bj[c + 1], blk, 8 * L, total, sws);
                                }
                            }
                            case 4 -> {
                                rows4x4(at, bo + bj[0] * bc * 4, bo + bj[1] * bc * 4, bo + bj[2] * bc * 4, bo + bj[3] * bc * 4,
                                        panel, bj[0] * bc * L, bj[1] * bc * L, bj[2] * bc * L, bj[3] * bc * L, n, blk);
                                for (int c = 0; c < (whole ? RUN : 1); c++) promoteRows(p, rows, G, b, bj[c], blk, c * 4 * L, total, sws);
                            }
                            default -> {
                                rows2x4(at, bo + bj[0] * bc * 2, bo + bj[1] * bc * 2, bo + bj[2] * bc * 2, bo + bj[3] * bc * 2,
                                        panel, bj[0] * bc * L, bj[1] * bc * L, bj[2] * bc * L, bj[3] * bc * L, n, blk);
                                for (int c = 0; c < (whole ? RUN : 1); c++) promoteRows(p, rows, G, b, bj[c], blk, c * 2 * L, total, sws);
                            }
                        }
                    }
                }
            }
            int cols = Math.min(L, n1 - g);
            for (int G = 0; G < groups; G++) {
                for (int r = 0; r < rows.real[G]; r++) {
                    int i = rows.first[G] + r;
                    System.arraycopy(total, i * L, p.y, i * p.n + g, cols);
                }
            }
        }
    }

    /** W vectors (groups of L W rows) that {@link #gemmRowsPairs} decodes per step, and the most rows of its row groups. */
    static final int PAIR = 2, PAIR_ROWS = 8;

    /**
     * The few-row GEMM for row groups of at most {@link #PAIR_ROWS} rows on whole blocks of whole chunks (no NaN
     * code): K block by block, the block of a pair of groups of L W rows (2L output columns) decoded into the panel
     * ({@link #decodeLanes}), then each row group multiplies both W vectors at once ({@link #rows8w2},
     * {@link #rows4w2}, {@link #rows2w2}): each broadcast of x feeds two FMAs, and a row group's block of x, read once
     * from L2, serves both. A product of 9 to 15 rows computes 10 to 16 rows (8 and the rest padded to 2, 4 or 8),
     * not 16, and the 8-row tile needs 10 loads per 16 FMAs, not 17. One thread, W 512 x 7168 in L3: M = 10 1.43 ->
     * 1.01 ms, M = 12 1.47 -> 1.13, M = 16 1.60 -> 1.30. Pairs, not fours: four groups are 4L streams along K, more
     * than the prefetchers follow from memory, and their panel crowds L1 (measured slower than pairs, warm and cold).
     * Each output element is still its rows' block sums promoted in block order ({@link SimdGemmProblem}'s canonical
     * order), so the bits do not change.
     */
    private static void gemmRowsPairs(SimdGemmProblem p, SimdGemmRowGroups rows, int n0, int n1, SimdGemmScratch s) {
        int bc = p.blockCols, kb = p.kBlocks, groups = rows.count();
        int padded = rows.first[groups - 1] + rows.size[groups - 1];
        float[] panel = s.panel(PAIR * bc * L);
        float[] total = s.zeroTile(PAIR * padded * L);
        float[] blk = s.rowBlockSums(PAIR * PAIR_ROWS * L);
        float[] sws = s.totals;
        float[] at = rows.values;
        long[] off = s.laneOffsets;
        int q = bc * L;
        for (int g = n0; g < n1; g += PAIR * L) {
            java.util.Arrays.fill(total, 0, PAIR * padded * L, 0f);
            for (int b = 0; b < kb; b++) {
                pairScales(p, g, b, sws);
                for (int l = 0; l < PAIR * L; l++) off[l] = (long) Math.min(g + l, p.n - 1) * p.k + (long) b * bc;
                decodeLanes(p, PAIR, rows.scaled(), panel, s);
                for (int G = 0; G < groups; G++) {
                    int r = rows.size[G], ao = rows.offset[G] + b * bc * r;
                    if (r == 8) rows8w2(at, ao, panel, 0, q, bc, blk, 0);
                    else if (r == 4) rows4w2(at, ao, panel, 0, q, bc, blk, 0);
                    else rows2w2(at, ao, panel, 0, q, bc, blk, 0);
                    for (int v = 0; v < PAIR; v++) promoteGroup(p, rows, G, b, sws, v * L, blk, v * r * L, total, v * padded * L);
                }
            }
            for (int v = 0; v < PAIR && g + v * L < n1; v++) {
                int cols = Math.min(L, n1 - g - v * L);
                for (int i = 0; i < rows.first[groups - 1] + rows.real[groups - 1]; i++) {
                    System.arraycopy(total, v * padded * L + i * L, p.y, i * p.n + g + v * L, cols);
                }
            }
        }
    }

    /** sws[i] = the scale of W row g + i (the last row past the end) in k-block b, for i < PAIR L. */
    private static void pairScales(SimdGemmProblem p, int g, int b, float[] sws) {
        int last = Math.min(g + PAIR * L, p.n) - 1;
        if (g / p.blockRows == last / p.blockRows) {
            java.util.Arrays.fill(sws, 0, PAIR * L, p.weightScale(g, b));
            return;
        }
        for (int i = 0; i < PAIR * L; i++) sws[i] = p.weightScale(Math.min(g + i, p.n - 1), b);
    }

    /** 8 rows x 2 W vectors (see {@link #gemmRowsPairs}): blk[bo + (v 8 + r) L + l] = the block sum of row r against the W vector at panel[pov + kk L ..]. */
    private static void rows8w2(float[] at, int ao, float[] panel, int po0, int po1, int n, float[] blk, int bo) {
        FloatVector c0x0 = FloatVector.zero(F), c1x0 = FloatVector.zero(F), c2x0 = FloatVector.zero(F), c3x0 = FloatVector.zero(F), c4x0 = FloatVector.zero(F), c5x0 = FloatVector.zero(F), c6x0 = FloatVector.zero(F), c7x0 = FloatVector.zero(F);
        FloatVector c0x1 = FloatVector.zero(F), c1x1 = FloatVector.zero(F), c2x1 = FloatVector.zero(F), c3x1 = FloatVector.zero(F), c4x1 = FloatVector.zero(F), c5x1 = FloatVector.zero(F), c6x1 = FloatVector.zero(F), c7x1 = FloatVector.zero(F);
        for (int k = 0; k < n; k++) {
            FloatVector w0 = FloatVector.fromArray(F, panel, po0 + k * L);
            FloatVector w1 = FloatVector.fromArray(F, panel, po1 + k * L);
            int a = ao + k * 8;
            FloatVector x0 = FloatVector.broadcast(F, at[a + 0]);
            c0x0 = x0.fma(w0, c0x0); c0x1 = x0.fma(w1, c0x1);
            FloatVector x1 = FloatVector.broadcast(F, at[a + 1]);
            c1x0 = x1.fma(w0, c1x0); c1x1 = x1.fma(w1, c1x1);
            FloatVector x2 = FloatVector.broadcast(F, at[a + 2]);
            c2x0 = x2.fma(w0, c2x0); c2x1 = x2.fma(w1, c2x1);
            FloatVector x3 = FloatVector.broadcast(F, at[a + 3]);
            c3x0 = x3.fma(w0, c3x0); c3x1 = x3.fma(w1, c3x1);
            FloatVector x4 = FloatVector.broadcast(F, at[a + 4]);
            c4x0 = x4.fma(w0, c4x0); c4x1 = x4.fma(w1, c4x1);
            FloatVector x5 = FloatVector.broadcast(F, at[a + 5]);
            c5x0 = x5.fma(w0, c5x0); c5x1 = x5.fma(w1, c5x1);
            FloatVector x6 = FloatVector.broadcast(F, at[a + 6]);
            c6x0 = x6.fma(w0, c6x0); c6x1 = x6.fma(w1, c6x1);
            FloatVector x7 = FloatVector.broadcast(F, at[a + 7]);
            c7x0 = x7.fma(w0, c7x0); c7x1 = x7.fma(w1, c7x1);
        }
        c0x0.intoArray(blk, bo + 0 * L);
        c1x0.intoArray(blk, bo + 1 * L);
        c2x0.intoArray(blk, bo + 2 * L);
        c3x0.intoArray(blk, bo + 3 * L);
        c4x0.intoArray(blk, bo + 4 * L);
        c5x0.intoArray(blk, bo + 5 * L);
        c6x0.intoArray(blk, bo + 6 * L);
        c7x0.intoArray(blk, bo + 7 * L);
        c0x1.intoArray(blk, bo + 8 * L);
        c1x1.intoArray(blk, bo + 9 * L);
        c2x1.intoArray(blk, bo + 10 * L);
        c3x1.intoArray(blk, bo + 11 * L);
        c4x1.intoArray(blk, bo + 12 * L);
        c5x1.intoArray(blk, bo + 13 * L);
        c6x1.intoArray(blk, bo + 14 * L);
        c7x1.intoArray(blk, bo + 15 * L);
    }

    /** 4 rows x 2 W vectors (see {@link #gemmRowsPairs}): blk[bo + (v 4 + r) L + l] = the block sum of row r against the W vector at panel[pov + kk L ..]. */
    private static void rows4w2(float[] at, int ao, float[] panel, int po0, int po1, int n, float[] blk, int bo) {
        FloatVector c0x0 = FloatVector.zero(F), c1x0 = FloatVector.zero(F), c2x0 = FloatVector.zero(F), c3x0 = FloatVector.zero(F);
        FloatVector c0x1 = FloatVector.zero(F), c1x1 = FloatVector.zero(F), c2x1 = FloatVector.zero(F), c3x1 = FloatVector.zero(F);
        for (int k = 0; k < n; k++) {
            FloatVector w0 = FloatVector.fromArray(F, panel, po0 + k * L);
            FloatVector w1 = FloatVector.fromArray(F, panel, po1 + k * L);
            int a = ao + k * 4;
            FloatVector x0 = FloatVector.broadcast(F, at[a + 0]);
            c0x0 = x0.fma(w0, c0x0); c0x1 = x0.fma(w1, c0x1);
            FloatVector x1 = FloatVector.broadcast(F, at[a + 1]);
            c1x0 = x1.fma(w0, c1x0); c1x1 = x1.fma(w1, c1x1);
            FloatVector x2 = FloatVector.broadcast(F, at[a + 2]);
            c2x0 = x2.fma(w0, c2x0); c2x1 = x2.fma(w1, c2x1);
            FloatVector x3 = FloatVector.broadcast(F, at[a + 3]);
            c3x0 = x3.fma(w0, c3x0); c3x1 = x3.fma(w1, c3x1);
        }
        c0x0.intoArray(blk, bo + 0 * L);
        c1x0.intoArray(blk, bo + 1 * L);
        c2x0.intoArray(blk, bo + 2 * L);
        c3x0.intoArray(blk, bo + 3 * L);
        c0x1.intoArray(blk, bo + 4 * L);
        c1x1.intoArray(blk, bo + 5 * L);
        c2x1.intoArray(blk, bo + 6 * L);
        c3x1.intoArray(blk, bo + 7 * L);
    }

    /** 2 rows x 2 W vectors (see {@link #gemmRowsPairs}): blk[bo + (v 2 + r) L + l] = the block sum of row r against the W vector at panel[pov + kk L ..]. */
    private static void rows2w2(float[] at, int ao, float[] panel, int po0, int po1, int n, float[] blk, int bo) {
        FloatVector c0x0 = FloatVector.zero(F), c1x0 = FloatVector.zero(F);
        FloatVector c0x1 = FloatVector.zero(F), c1x1 = FloatVector.zero(F);
        for (int k = 0; k < n; k++) {
            FloatVector w0 = FloatVector.fromArray(F, panel, po0 + k * L);
            FloatVector w1 = FloatVector.fromArray(F, panel, po1 + k * L);
            int a = ao + k * 2;
            FloatVector x0 = FloatVector.broadcast(F, at[a + 0]);
            c0x0 = x0.fma(w0, c0x0); c0x1 = x0.fma(w1, c0x1);
            FloatVector x1 = FloatVector.broadcast(F, at[a + 1]);
            c1x0 = x1.fma(w0, c1x0); c1x1 = x1.fma(w1, c1x1);
        }
        c0x0.intoArray(blk, bo + 0 * L);
        c1x0.intoArray(blk, bo + 1 * L);
        c0x1.intoArray(blk, bo + 2 * L);
        c1x1.intoArray(blk, bo + 3 * L);
    }

    /**
     * total[(first + r) L ..] = fma(block sum, sw * sa, total[..]) for the real rows r of row group G, their block
     * sums of k-block b = b0 + j at blk[bo + r L ..] (the canonical promotion), sw the weight scales of the L lanes
     * in k-block b: sws[j L ..] ({@link #weightScales} of the step from b0).
     */
    private static void promoteRows(SimdGemmProblem p, SimdGemmRowGroups rows, int G, int b0, int j, float[] blk, int bo, float[] total, float[] sws) {
        promoteGroup(p, rows, G, b0 + j, sws, j * L, blk, bo, total, 0);
    }

    /**
     * total[to + (first + r) L ..] = fma(block sum, sw * sa, total[..]) for the real rows r of row group G, their
     * block sums of k-block b at blk[bo + r L ..], sw the weight scales of the L lanes at sws[so ..] (the canonical
     * promotion).
     */
    private static void promoteGroup(SimdGemmProblem p, SimdGemmRowGroups rows, int G, int b, float[] sws, int so, float[] blk, int bo, float[] total, int to) {
        FloatVector sw = FloatVector.fromArray(F, sws, so);
        int first = rows.first[G];
        float[] up = rows.up;
        for (int r = 0; r < rows.real[G]; r++) {
            int t = to + (first + r) * L;
            // rescaled rows: (sw sa) 2^-s, as the GEMV's fast path (exact: a power of two, in range by SimdGemvRows)
            FloatVector scale = up == null ? sw.mul(p.activationScale(first + r, b)) : sw.mul(p.activationScale(first + r, b)).mul(up[first + r]);
            FloatVector.fromArray(F, blk, bo + r * L).fma(scale, FloatVector.fromArray(F, total, t)).intoArray(total, t);
        }
    }

    /**
     * Decodes k-blocks b .. b + nb - 1 (nb <= RUN) of W rows g .. g + L - 1 (the last row repeated past the end) into
     * panel[j bc L + kk L + l], kk the column in block b + j: the L rows transposed a chunk at a time for all nb blocks
     * ({@link #transpose}), then each int of four codes unpacked, with constant shifts. The weight has no NaN code and
     * K is whole blocks of whole chunks. scaled: each code's value times 2^-120 (for rescaled rows, see
     * {@link SimdGemvRows}), else the value.
     */
    private static void decodeBlocks(SimdGemmProblem p, int g, int b, int nb, boolean scaled, float[] panel, SimdGemmScratch s) {
        long[] off = s.laneOffsets;
        int bc = p.blockCols;
        for (int j = 0; j < nb; j++) {
            for (int l = 0; l < L; l++) off[j * L + l] = (long) Math.min(g + l, p.n - 1) * p.k + (long) (b + j) * bc;
        }
        decodeLanes(p, nb, scaled, panel, s);
    }

    /**
     * panel[j bc L + kk L + l] = code kk of the blockCols codes from byte s.laneOffsets[j L + l] of W, for j < nb
     * (scaled: times 2^-120, else the value): nb groups of L lanes transposed a chunk at a time, then unpacked.
     */
    private static void decodeLanes(SimdGemmProblem p, int nb, boolean scaled, float[] panel, SimdGemmScratch s) {
        long[] off = s.laneOffsets;
        int[] cols = s.staged;
        int bc = p.blockCols;
        for (int c = 0; c < bc; c += CHUNK) {
            for (int j = 0; j < nb; j++) transpose(p.data, off, j * L, c, cols, j * L * L, false);
            for (int j = 0; j < nb; j++) {
                if (scaled) unpackScaled(cols, j * L * L, panel, j * bc * L + c * L);
                else unpackExact(cols, j * L * L, panel, j * bc * L + c * L);
            }
        }
    }

    /** panel[po + kk L + l] = code kk of lane l times 2^-120, kk < CHUNK, from the transposed chunk at cols[co ..]. */
    private static void unpackScaled(int[] cols, int co, float[] panel, int po) {
        for (int q = 0; q < L; q++) {
            IntVector t = IntVector.fromArray(I, cols, co + q * L);
            int o = po + 4 * q * L;
            t.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats().intoArray(panel, o);
            t.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats().intoArray(panel, o + L);
            t.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats().intoArray(panel, o + 2 * L);
            t.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats().intoArray(panel, o + 3 * L);
        }
    }

    /**
     * {@link #unpackScaled} times 2^120: the codes' values, computed without ever making an fp32 subnormal (an
     * arithmetic instruction on one takes a microcode assist): a normal code's bits get the exponent rebias 120
     * added as an integer, and a subnormal code S.0000.mmm, whose bits read as m 2^20 as an integer, is converted
     * and multiplied by 2^-29, both exact; a blend picks per lane. The values are those of the multiply by 2^120.
     */
    private static void unpackExact(int[] cols, int co, float[] panel, int po) {
        for (int q = 0; q < L; q++) {
            IntVector t = IntVector.fromArray(I, cols, co + q * L);
            int o = po + 4 * q * L;
            IntVector s0 = t.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK), m0 = s0.and(E4M3_MAGNITUDE);
            IntVector s1 = t.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK), m1 = s1.and(E4M3_MAGNITUDE);
            IntVector s2 = t.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK), m2 = s2.and(E4M3_MAGNITUDE);
            IntVector s3 = t.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK), m3 = s3.and(E4M3_MAGNITUDE);
            IntVector d0 = ((FloatVector) m0.convert(VectorOperators.I2F, 0)).mul(E4M3_SUBNORMAL_SCALE).reinterpretAsInts().or(s0.lanewise(VectorOperators.XOR, m0));
            IntVector d1 = ((FloatVector) m1.convert(VectorOperators.I2F, 0)).mul(E4M3_SUBNORMAL_SCALE).reinterpretAsInts().or(s1.lanewise(VectorOperators.XOR, m1));
            IntVector d2 = ((FloatVector) m2.convert(VectorOperators.I2F, 0)).mul(E4M3_SUBNORMAL_SCALE).reinterpretAsInts().or(s2.lanewise(VectorOperators.XOR, m2));
            IntVector d3 = ((FloatVector) m3.convert(VectorOperators.I2F, 0)).mul(E4M3_SUBNORMAL_SCALE).reinterpretAsInts().or(s3.lanewise(VectorOperators.XOR, m3));
            s0.add(E4M3_REBIAS).blend(d0, m0.compare(VectorOperators.LT, E4M3_MIN_NORMAL)).reinterpretAsFloats().intoArray(panel, o);
            s1.add(E4M3_REBIAS).blend(d1, m1.compare(VectorOperators.LT, E4M3_MIN_NORMAL)).reinterpretAsFloats().intoArray(panel, o + L);
            s2.add(E4M3_REBIAS).blend(d2, m2.compare(VectorOperators.LT, E4M3_MIN_NORMAL)).reinterpretAsFloats().intoArray(panel, o + 2 * L);
            s3.add(E4M3_REBIAS).blend(d3, m3.compare(VectorOperators.LT, E4M3_MIN_NORMAL)).reinterpretAsFloats().intoArray(panel, o + 3 * L);
        }
    }

    /** sws[j L + l] = the scale of W row g + l (the last row past the end) in k-block b + j, for j < nb. */
    private static void weightScales(SimdGemmProblem p, int g, int b, int nb, float[] sws) {
        boolean one = g / p.blockRows == (Math.min(g + L, p.n) - 1) / p.blockRows;
        for (int j = 0; j < nb; j++) {
            for (int l = 0; l < L; l++) sws[j * L + l] = one && l > 0 ? sws[j * L] : p.weightScale(Math.min(g + l, p.n - 1), b + j);
        }
    }

    /** 8 rows x 2 chains (see {@link #gemmRows}): blk[(c 8 + r) L + l] = the block sum of row r, chain c. */
    private static void rows8x2(float[] at, int ao0, int ao1, float[] panel, int po0, int po1, int n, float[] blk) {
        FloatVector c0x0 = FloatVector.zero(F), c1x0 = FloatVector.zero(F), c2x0 = FloatVector.zero(F), c3x0 = FloatVector.zero(F), c4x0 = FloatVector.zero(F), c5x0 = FloatVector.zero(F), c6x0 = FloatVector.zero(F), c7x0 = FloatVector.zero(F);
        FloatVector c0x1 = FloatVector.zero(F), c1x1 = FloatVector.zero(F), c2x1 = FloatVector.zero(F), c3x1 = FloatVector.zero(F), c4x1 = FloatVector.zero(F), c5x1 = FloatVector.zero(F), c6x1 = FloatVector.zero(F), c7x1 = FloatVector.zero(F);
        for (int k = 0; k < n; k++) {
            FloatVector w0 = FloatVector.fromArray(F, panel, po0 + k * L);
            int a0 = ao0 + k * 8;
            FloatVector w1 = FloatVector.fromArray(F, panel, po1 + k * L);
            int a1 = ao1 + k * 8;
            c0x0 = FloatVector.broadcast(F, at[a0 + 0]).fma(w0, c0x0);
            c0x1 = FloatVector.broadcast(F, at[a1 + 0]).fma(w1, c0x1);
            c1x0 = FloatVector.broadcast(F, at[a0 + 1]).fma(w0, c1x0);
            c1x1 = FloatVector.broadcast(F, at[a1 + 1]).fma(w1, c1x1);
            c2x0 = FloatVector.broadcast(F, at[a0 + 2]).fma(w0, c2x0);
            c2x1 = FloatVector.broadcast(F, at[a1 + 2]).fma(w1, c2x1);
            c3x0 = FloatVector.broadcast(F, at[a0 + 3]).fma(w0, c3x0);
            c3x1 = FloatVector.broadcast(F, at[a1 + 3]).fma(w1, c3x1);
            c4x0 = FloatVector.broadcast(F, at[a0 + 4]).fma(w0, c4x0);
            c4x1 = FloatVector.broadcast(F, at[a1 + 4]).fma(w1, c4x1);
            c5x0 = FloatVector.broadcast(F, at[a0 + 5]).fma(w0, c5x0);
            c5x1 = FloatVector.broadcast(F, at[a1 + 5]).fma(w1, c5x1);
            c6x0 = FloatVector.broadcast(F, at[a0 + 6]).fma(w0, c6x0);
            c6x1 = FloatVector.broadcast(F, at[a1 + 6]).fma(w1, c6x1);
            c7x0 = FloatVector.broadcast(F, at[a0 + 7]).fma(w0, c7x0);
            c7x1 = FloatVector.broadcast(F, at[a1 + 7]).fma(w1, c7x1);
        }
        c0x0.intoArray(blk, 0 * L);
        c1x0.intoArray(blk, 1 * L);
        c2x0.intoArray(blk, 2 * L);
        c3x0.intoArray(blk, 3 * L);
        c4x0.intoArray(blk, 4 * L);
        c5x0.intoArray(blk, 5 * L);
        c6x0.intoArray(blk, 6 * L);
        c7x0.intoArray(blk, 7 * L);
        c0x1.intoArray(blk, 8 * L);
        c1x1.intoArray(blk, 9 * L);
        c2x1.intoArray(blk, 10 * L);
        c3x1.intoArray(blk, 11 * L);
        c4x1.intoArray(blk, 12 * L);
        c5x1.intoArray(blk, 13 * L);
        c6x1.intoArray(blk, 14 * L);
        c7x1.intoArray(blk, 15 * L);
    }

    /** 4 rows x 4 chains (see {@link #gemmRows}): blk[(c 4 + r) L + l] = the block sum of row r, chain c. */
    private static void rows4x4(float[] at, int ao0, int ao1, int ao2, int ao3, float[] panel, int po0, int po1, int po2, int po3, int n, float[] blk) {
        FloatVector c0x0 = FloatVector.zero(F), c1x0 = FloatVector.zero(F), c2x0 = FloatVector.zero(F), c3x0 = FloatVector.zero(F);
        FloatVector c0x1 = FloatVector.zero(F), c1x1 = FloatVector.zero(F), c2x1 = FloatVector.zero(F), c3x1 = FloatVector.zero(F);
        FloatVector c0x2 = FloatVector.zero(F), c1x2 = FloatVector.zero(F), c2x2 = FloatVector.zero(F), c3x2 = FloatVector.zero(F);
        FloatVector c0x3 = FloatVector.zero(F), c1x3 = FloatVector.zero(F), c2x3 = FloatVector.zero(F), c3x3 = FloatVector.zero(F);
        for (int k = 0; k < n; k++) {
            FloatVector w0 = FloatVector.fromArray(F, panel, po0 + k * L);
            int a0 = ao0 + k * 4;
            FloatVector w1 = FloatVector.fromArray(F, panel, po1 + k * L);
            int a1 = ao1 + k * 4;
            FloatVector w2 = FloatVector.fromArray(F, panel, po2 + k * L);
            int a2 = ao2 + k * 4;
            FloatVector w3 = FloatVector.fromArray(F, panel, po3 + k * L);
            int a3 = ao3 + k * 4;
            c0x0 = FloatVector.broadcast(F, at[a0 + 0]).fma(w0, c0x0);
            c0x1 = FloatVector.broadcast(F, at[a1 + 0]).fma(w1, c0x1);
            c0x2 = FloatVector.broadcast(F, at[a2 + 0]).fma(w2, c0x2);
            c0x3 = FloatVector.broadcast(F, at[a3 + 0]).fma(w3, c0x3);
            c1x0 = FloatVector.broadcast(F, at[a0 + 1]).fma(w0, c1x0);
            c1x1 = FloatVector.broadcast(F, at[a1 + 1]).fma(w1, c1x1);
            c1x2 = FloatVector.broadcast(F, at[a2 + 1]).fma(w2, c1x2);
            c1x3 = FloatVector.broadcast(F, at[a3 + 1]).fma(w3, c1x3);
            c2x0 = FloatVector.broadcast(F, at[a0 + 2]).fma(w0, c2x0);
            c2x1 = FloatVector.broadcast(F, at[a1 + 2]).fma(w1, c2x1);
            c2x2 = FloatVector.broadcast(F, at[a2 + 2]).fma(w2, c2x2);
            c2x3 = FloatVector.broadcast(F, at[a3 + 2]).fma(w3, c2x3);
            c3x0 = FloatVector.broadcast(F, at[a0 + 3]).fma(w0, c3x0);
            c3x1 = FloatVector.broadcast(F, at[a1 + 3]).fma(w1, c3x1);
            c3x2 = FloatVector.broadcast(F, at[a2 + 3]).fma(w2, c3x2);
            c3x3 = FloatVector.broadcast(F, at[a3 + 3]).fma(w3, c3x3);
        }
        c0x0.intoArray(blk, 0 * L);
        c1x0.intoArray(blk, 1 * L);
        c2x0.intoArray(blk, 2 * L);
        c3x0.intoArray(blk, 3 * L);
        c0x1.intoArray(blk, 4 * L);
        c1x1.intoArray(blk, 5 * L);
        c2x1.intoArray(blk, 6 * L);
        c3x1.intoArray(blk, 7 * L);
        c0x2.intoArray(blk, 8 * L);
        c1x2.intoArray(blk, 9 * L);
        c2x2.intoArray(blk, 10 * L);
        c3x2.intoArray(blk, 11 * L);
        c0x3.intoArray(blk, 12 * L);
        c1x3.intoArray(blk, 13 * L);
        c2x3.intoArray(blk, 14 * L);
        c3x3.intoArray(blk, 15 * L);
    }

    /** 2 rows x 4 chains (see {@link #gemmRows}): blk[(c 2 + r) L + l] = the block sum of row r, chain c. */
    private static void rows2x4(float[] at, int ao0, int ao1, int ao2, int ao3, float[] panel, int po0, int po1, int po2, int po3, int n, float[] blk) {
        FloatVector c0x0 = FloatVector.zero(F), c1x0 = FloatVector.zero(F);
        FloatVector c0x1 = FloatVector.zero(F), c1x1 = FloatVector.zero(F);
        FloatVector c0x2 = FloatVector.zero(F), c1x2 = FloatVector.zero(F);
        FloatVector c0x3 = FloatVector.zero(F), c1x3 = FloatVector.zero(F);
        for (int k = 0; k < n; k++) {
            FloatVector w0 = FloatVector.fromArray(F, panel, po0 + k * L);
            int a0 = ao0 + k * 2;
            FloatVector w1 = FloatVector.fromArray(F, panel, po1 + k * L);
            int a1 = ao1 + k * 2;
            FloatVector w2 = FloatVector.fromArray(F, panel, po2 + k * L);
            int a2 = ao2 + k * 2;
            FloatVector w3 = FloatVector.fromArray(F, panel, po3 + k * L);
            int a3 = ao3 + k * 2;
            c0x0 = FloatVector.broadcast(F, at[a0 + 0]).fma(w0, c0x0);
            c0x1 = FloatVector.broadcast(F, at[a1 + 0]).fma(w1, c0x1);
            c0x2 = FloatVector.broadcast(F, at[a2 + 0]).fma(w2, c0x2);
            c0x3 = FloatVector.broadcast(F, at[a3 + 0]).fma(w3, c0x3);
            c1x0 = FloatVector.broadcast(F, at[a0 + 1]).fma(w0, c1x0);
            c1x1 = FloatVector.broadcast(F, at[a1 + 1]).fma(w1, c1x1);
            c1x2 = FloatVector.broadcast(F, at[a2 + 1]).fma(w2, c1x2);
            c1x3 = FloatVector.broadcast(F, at[a3 + 1]).fma(w3, c1x3);
        }
        c0x0.intoArray(blk, 0 * L);
        c1x0.intoArray(blk, 1 * L);
        c0x1.intoArray(blk, 2 * L);
        c1x1.intoArray(blk, 3 * L);
        c0x2.intoArray(blk, 4 * L);
        c1x2.intoArray(blk, 5 * L);
        c0x3.intoArray(blk, 6 * L);
        c1x3.intoArray(blk, 7 * L);
    }


    // ---------------------------------------------------------------- GEMV

    @Override
    public void gemv(SimdGemmProblem p, SimdGemvRows rows, int m0, int m1, int n0, int n1, SimdGemmScratch s) {
        if (F == null) {
            scalar(p, m0, m1, n0, n1, s);
            return;
        }
        float[] acc = s.laneFloats;
        boolean chunked = p.kind == SimdGemmProblem.FP8 && p.blockCols % CHUNK == 0 && p.k % CHUNK == 0;
        boolean fast = chunked && p.k % p.blockCols == 0 && rows != null;
        for (int i = m0; i < m1; i++) {
            int count = fast ? fastRows(rows.shift, i, m1) : 1;
            if (count > 1) {
                // several rows of x against each decoded W vector: W read once for all of them
                int R = count > 8 ? 16 : count > 4 ? 8 : count > 2 ? 4 : 2, g = n0;
                for (int groups; (groups = Math.min((n1 - g) / L, s.totals.length / L)) > 0; g += groups * L) {
                    gemvFast(p, i, count, R, g, groups, rows.scaled, rows.shift, rows.packed, s);
                }
                for (int r = 0; r < count; r++) gemvTail(p, i + r, g, n1, acc, s);
                i += count - 1;
                continue;
            }
            int g = n0;
            if (fast && rows.shift[i] != SimdGemvRows.GENERAL) {
                for (int groups; (groups = Math.min((n1 - g) / L, s.totals.length / L)) > 0; g += groups * L) {
                    gemvFast(p, i, 1, 1, g, groups, rows.scaled, rows.shift, rows.packed, s);
                }
            } else if (chunked) {
                // four groups of L rows at once: four independent FMA chains instead of one latency-bound chain
                for (; g + 4 * L <= n1; g += 4 * L) {
                    if (gemvFp8x4(p, i, g, p.y, i * p.n + g, s)) continue;
                    for (int h = g; h < g + 4 * L; h += L) {
                        laneRows(p, h, 0, s.laneOffsets);
                        gemvFp8(p, i, h, acc, s);
                        System.arraycopy(acc, 0, p.y, i * p.n + h, L);
                    }
                }
            } else if (p.kind == SimdGemmProblem.BF16 && p.k % (CHUNK / 2) == 0 && p.blockCols % (CHUNK / 2) == 0) {
                // bf16 (the router, the indexer's head weights, the LM head): four groups of L rows, four FMA chains
                for (; g + 4 * L <= n1; g += 4 * L) gemvBf16x4(p, i, g, p.y, i * p.n + g, s);
            }
            gemvTail(p, i, g, n1, acc, s);
        }
    }

    /** y[i][c] for W rows c in [g, n1), one group of L rows at a time (the rows the multi-group paths leave). */
    private static void gemvTail(SimdGemmProblem p, int i, int g, int n1, float[] acc, SimdGemmScratch s) {
        for (; g < n1; g += L) {
            laneRows(p, g, 0, s.laneOffsets);
            if (p.kind == SimdGemmProblem.FP8) gemvFp8(p, i, g, acc, s);
            else gemvDense(p, i, g, acc, s);
            System.arraycopy(acc, 0, p.y, i * p.n + g, Math.min(L, n1 - g));
        }
    }

    /**
     * How many rows from i (at most 16 and m1 - i) the fast GEMV runs together: the consecutive rows that have a
     * shift ({@link SimdGemvRows}), at least 1 (a row without one goes the one-row way).
     */
    private static int fastRows(int[] shift, int i, int m1) {
        int fastRun = 0;
        while (fastRun < 16 && i + fastRun < m1 && shift[i + fastRun] != SimdGemvRows.GENERAL) fastRun++;
        return Math.max(1, fastRun);
    }

    /**
     * y[i][g .. g + groups L) for the {@code count} rows i of x from i0 (each with a shift, shifts[i]), rescaled
     * ({@link SimdGemvRows}: as = a 2^(shift + 120)), against the groups L FP8 W rows from g, their codes decoded
     * without the 2^120 multiply; the weight has no NaN code, K is a multiple of the block and the block of CHUNK.
     * Bitwise the canonical result.
     *
     * <p>Several rows run at once by a kernel of R = 2, 4, 8 or 16 rows (count <= R; rows past count repeat the last
     * one and are not written; R = 1 for one row): every decoded W vector feeds the R rows' FMA chains in registers,
     * so W is read and decoded once for all of them; four chains per row for R <= 4, for R = 8 two at a time, for
     * R = 16 one (at most 16 accumulators). Each row's block sums are its own FMA chains in the same order, promoted
     * the same way, whatever R.
     *
     * <p>The work is the list of (group of L rows, k-block) items, group-major; four consecutive items run at once as
     * four independent FMA chains (which hide the FMA latency), and their block sums are promoted in list order,
     * which is block order within each group. Consecutive items are mostly blocks of the same L rows, so the
     * transposing path streams L rows at a time, which the hardware prefetchers follow (four groups of 16 rows, 64
     * streams, they did not); rows shorter than a page are {@link #laneStride} rows apart, so that no two read together
     * share a page;
     * a repacked weight holds each run of four items interleaved, one stream. A short K (two
     * blocks in a tiny model) still fills the four chains, with items of the next group.
     */
    private static void gemvFast(SimdGemmProblem p, int i0, int count, int R, int g, int groups, float[] as, int[] shifts, int[] packed, SimdGemmScratch s) {
        long[] off = s.laneOffsets;
        float[] sc = s.laneFloats;
        float[] blk = s.rowBlockSums(4 * R * L);
        float[] total = s.zeroTile(count * groups * L);
        int bc = p.blockCols, kb = p.kBlocks, items = groups * kb, ar = i0 * p.k;
        // row r's x at as[ar + ro[r] ..]; rows past count repeat the last real row
        int[] ro = s.rowOffsets;
        for (int r = 0; r < 16; r++) ro[r] = Math.min(r, count - 1) * p.k;
        int[] grp = s.chainGroups, blkOf = s.chainBlocks;
        if (packed != null && (g / L * kb) % 4 != 0) packed = null;
        int ls = packed == null ? laneStride(p.k, groups) : 1;
        int lsLog = Integer.numberOfTrailingZeros(ls), lsMask = ls - 1, lsL = lsLog + Integer.numberOfTrailingZeros(L);
        // chain j's 4L lane offsets depend only on its group, which stays for kb / 4 steps: recomputed only when it
        // changes (computed every step, they took about a fifth of a call on an L2-resident 128x4096 weight)
        java.util.Arrays.fill(grp, -1);
        for (int w = 0; w < items; w += 4) {
            for (int j = 0; j < 4; j++) {
                int item = Math.min(w + j, items - 1), G = item / kb;
                blkOf[j] = item % kb;
                if (G == grp[j]) continue;
                grp[j] = G;
                if (packed == null) for (int l = 0; l < L; l++) off[j * L + l] = (long) (g + (G >> lsLog << lsL) + (G & lsMask) + (l << lsLog)) * p.k;
            }
            java.util.Arrays.fill(blk, 0, 4 * R * L, 0f);
            long[] kOff = s.chainOffsets;
            for (int j = 0; j < 4; j++) kOff[j] = (long) blkOf[j] * bc;
            int a0 = ar + (int) kOff[0], a1 = ar + (int) kOff[1], a2 = ar + (int) kOff[2], a3 = ar + (int) kOff[3];
            if (packed != null) {
                int base = (g / L * kb + w) * (bc / 4) * L;
                if (R == 1) {
                    decodeRun4(packed, base, bc, as, a0, a1, a2, a3, blk);
                } else if (R == 16) {
                    for (int j = 0; j < 4; j++) decodeRun1x16(packed, base + j * L, bc, as, ar + (int) kOff[j], ro[1], ro[2], ro[3], ro[4], ro[5], ro[6], ro[7], ro[8], ro[9], ro[10], ro[11], ro[12], ro[13], ro[14], ro[15], blk, j * 16 * L);
                } else if (R == 8) {
                    decodeRun2x8(packed, base, bc, as, a0, a1, ro[1], ro[2], ro[3], ro[4], ro[5], ro[6], ro[7], blk, 0);
                    decodeRun2x8(packed, base + 2 * L, bc, as, a2, a3, ro[1], ro[2], ro[3], ro[4], ro[5], ro[6], ro[7], blk, 16 * L);
                } else if (R == 4) {
                    decodeRun4x4(packed, base, bc, as, a0, a1, a2, a3, ro[1], ro[2], ro[3], blk, 0);
                } else {
                    decodeRun4x2(packed, base, bc, as, a0, a1, a2, a3, ro[1], blk, 0);
                }
            } else {
                // the four chains' whole blocks transposed first, chain j's at cols[j q ..], then decoded in one pass
                // per chain: one loop of bc / 4 steps rather than one per chunk, and each row's four blocks read
                // in ascending address order
                int q = bc / 4 * L;
                if (s.staged.length < 4 * q) s.staged = new int[4 * q];
                int[] cols = s.staged;
                transposeBlocks4(p.data, off, kOff, bc, cols);
                if (R == 1) {
                    decodeChunks4(cols, 0, q, 2 * q, 3 * q, bc, as, a0, a1, a2, a3, blk);
                } else if (R == 16) {
                    for (int j = 0; j < 4; j++) decodeChunks1x16(cols, j * q, bc, as, ar + (int) kOff[j], ro[1], ro[2], ro[3], ro[4], ro[5], ro[6], ro[7], ro[8], ro[9], ro[10], ro[11], ro[12], ro[13], ro[14], ro[15], blk, j * 16 * L);
                } else if (R == 8) {
                    decodeChunks2x8(cols, 0, q, bc, as, a0, a1, ro[1], ro[2], ro[3], ro[4], ro[5], ro[6], ro[7], blk, 0);
                    decodeChunks2x8(cols, 2 * q, 3 * q, bc, as, a2, a3, ro[1], ro[2], ro[3], ro[4], ro[5], ro[6], ro[7], blk, 16 * L);
                } else if (R == 4) {
                    decodeChunks4x4(cols, 0, q, 2 * q, 3 * q, bc, as, a0, a1, a2, a3, ro[1], ro[2], ro[3], blk, 0);
                } else {
                    decodeChunks4x2(cols, 0, q, 2 * q, 3 * q, bc, as, a0, a1, a2, a3, ro[1], blk, 0);
                }
            }
            for (int j = 0; j < 4 && w + j < items; j++) {
                int row0 = g + (grp[j] >> lsLog << lsL) + (grp[j] & lsMask), t = grp[j] * L;
                boolean oneBlockRow = row0 / p.blockRows == (row0 + ((L - 1) << lsLog)) / p.blockRows;
                if (!oneBlockRow) for (int l = 0; l < L; l++) sc[l] = p.weightScale(row0 + (l << lsLog), blkOf[j]);
                float sw = oneBlockRow ? p.weightScale(row0, blkOf[j]) : 0f;
                for (int r = 0; r < count; r++) {
                    // (sw * sa) * up, per lane
                    float sa = p.activationScale(i0 + r, blkOf[j]);
                    float up = SimdGemvRows.promotion(shifts[i0 + r]);
                    FloatVector scale = oneBlockRow ? FloatVector.broadcast(F, sw * sa * up) : FloatVector.fromArray(F, sc, 0).mul(sa).mul(up);
                    int to = r * groups * L + t;
                    FloatVector.fromArray(F, blk, (j * R + r) * L).fma(scale, FloatVector.fromArray(F, total, to)).intoArray(total, to);
                }
            }
        }
        for (int r = 0; r < count; r++) {
            int yo = (i0 + r) * p.n + g;
            if (ls == 1) System.arraycopy(total, r * groups * L, p.y, yo, groups * L);
            else for (int G = 0; G < groups; G++) for (int l = 0; l < L; l++) p.y[yo + (G >> lsLog << lsL) + (G & lsMask) + (l << lsLog)] = total[r * groups * L + G * L + l];
        }
    }

    /**
     * The row distance of the lanes of a group that the transposing fast GEMV reads: 1 for rows of a page or more
     * (two rows read together then meet in at most one page, at the end of one and the start of the other, which
     * are read at different times), else the smallest power of two ls (dividing groups) with (ls - 1) K >= 4096,
     * so that no two rows read together share a 4 KiB page. The hardware prefetchers work within a page and follow
     * about one stream per page: with consecutive rows, a page of a short-row weight (1536 codes: 2.7 rows per page)
     * holds two or three streams read together, most of which were not prefetched (one thread, cold weights:
     * 24576x1536 5.4-6.0 GB/s against 8.1-8.4 with ls = 4, 7168x2048 6.0 against 7.8). Rows of 7168 gained nothing
     * cold from ls = 2 and lost 10% with the weight in L2. Which rows share a group changes no row's order of
     * operations.
     */
    static int laneStride(int k, int groups) {
        int ls = 1;
        while (k < PAGE && (long) (ls - 1) * k < PAGE && ls * 2 <= groups && groups % (ls * 2) == 0) ls *= 2;
        return ls;
    }

    /** The page size the hardware prefetchers stay within (4 KiB on x86 and arm64 alike). */
    static final int PAGE = 4096;

    /**
     * Transposes the L rows at off[j L ..] from byte offset k[j], bc codes each (a whole k-block), into cols[j][bc /
     * 4][L], j < 4, a chunk at a time ({@link #transpose}): cols[j bc/4 L + cc L + l] = the 4 codes at off[j L + l] +
     * k[j] + 4 cc. One call site in a loop, not four: four inlined copies of a small transpose make one very large
     * compilation for no gain.
     */
    private static void transposeBlocks4(MemorySegment data, long[] off, long[] k, int bc, int[] cols) {
        for (int j = 0; j < 4; j++) {
            for (int c = 0; c < bc; c += CHUNK) transpose(data, off, j * L, k[j] + c, cols, (j * bc + c) / 4 * L, false);
        }
    }

    /**
     * The FMAs of n codes (a multiple of 4) of each of four chains of the fast GEMV, on codes in lane-per-row order
     * (those {@link #transposeBlocks4} left in cols, or a repacked weight), chain j from cols[cj]: for chain j,
     * blk[j * L + l] = fma(as[aj + kk], code kk of lane l times 2^-120, blk[..]), kk ascending.
     *
     * <p>No call of a method of ours in the loop (see the class comment): with one, this loop ran in the Vector
     * API's fallback whenever the cutoff was reached, which the unrolled body always did. Unrolled by the four
     * codes of an int, the shifts are constants and the loop index is linear, so the array bounds checks leave the
     * loop: 0.38 ns per 16 codes on one Zen 5 core, against 0.78 for a rolled loop with a variable shift.
     */
    private static void decodeChunks4(int[] cols, int c0, int c1, int c2, int c3, int n, float[] as, int a0, int a1, int a2, int a3, float[] blk) {
        FloatVector blk0 = FloatVector.fromArray(F, blk, 0), blk1 = FloatVector.fromArray(F, blk, L);
        FloatVector blk2 = FloatVector.fromArray(F, blk, 2 * L), blk3 = FloatVector.fromArray(F, blk, 3 * L);
        for (int q = 0; q < n / 4; q++) {
            // one int per lane holds codes kq .. kq + 3 of its row, code kq + j in byte j: shifted to the top, then decoded
            int o = q * L, kq = 4 * q;
            IntVector w0 = IntVector.fromArray(I, cols, c0 + o), w1 = IntVector.fromArray(I, cols, c1 + o);
            IntVector w2 = IntVector.fromArray(I, cols, c2 + o), w3 = IntVector.fromArray(I, cols, c3 + o);
            blk0 = FloatVector.broadcast(F, as[a0 + kq]).fma(w0.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk0);
            blk1 = FloatVector.broadcast(F, as[a1 + kq]).fma(w1.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk1);
            blk2 = FloatVector.broadcast(F, as[a2 + kq]).fma(w2.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk2);
            blk3 = FloatVector.broadcast(F, as[a3 + kq]).fma(w3.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk3);
            blk0 = FloatVector.broadcast(F, as[a0 + kq + 1]).fma(w0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk0);
            blk1 = FloatVector.broadcast(F, as[a1 + kq + 1]).fma(w1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk1);
            blk2 = FloatVector.broadcast(F, as[a2 + kq + 1]).fma(w2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk2);
            blk3 = FloatVector.broadcast(F, as[a3 + kq + 1]).fma(w3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk3);
            blk0 = FloatVector.broadcast(F, as[a0 + kq + 2]).fma(w0.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk0);
            blk1 = FloatVector.broadcast(F, as[a1 + kq + 2]).fma(w1.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk1);
            blk2 = FloatVector.broadcast(F, as[a2 + kq + 2]).fma(w2.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk2);
            blk3 = FloatVector.broadcast(F, as[a3 + kq + 2]).fma(w3.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk3);
            blk0 = FloatVector.broadcast(F, as[a0 + kq + 3]).fma(w0.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk0);
            blk1 = FloatVector.broadcast(F, as[a1 + kq + 3]).fma(w1.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk1);
            blk2 = FloatVector.broadcast(F, as[a2 + kq + 3]).fma(w2.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk2);
            blk3 = FloatVector.broadcast(F, as[a3 + kq + 3]).fma(w3.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk3);
        }
        blk0.intoArray(blk, 0);
        blk1.intoArray(blk, L);
        blk2.intoArray(blk, 2 * L);
        blk3.intoArray(blk, 3 * L);
    }

    /**
     * {@link #decodeChunks4} on a run of a repacked weight ({@link SimdWeightCache#packedCodes}): the four chains'
     * codes interleaved from cols[base], L ints of chain 0, of chain 1, 2 and 3 per step of four codes, so the run
     * is one sequential stream (four streams 2 KB apart, the layout before, reached about 65% of its speed on
     * weights not in cache). A copy of decodeChunks4's body with the constant stride 4L rather than a stride
     * argument: C2 removes the array bounds checks only for an index linear in the loop counter by a constant.
     */
    private static void decodeRun4(int[] cols, int base, int n, float[] as, int a0, int a1, int a2, int a3, float[] blk) {
        FloatVector blk0 = FloatVector.fromArray(F, blk, 0), blk1 = FloatVector.fromArray(F, blk, L);
        FloatVector blk2 = FloatVector.fromArray(F, blk, 2 * L), blk3 = FloatVector.fromArray(F, blk, 3 * L);
        for (int q = 0; q < n / 4; q++) {
            // one int per lane holds codes kq .. kq + 3 of its row, code kq + j in byte j: shifted to the top, then decoded
            int o = base + q * 4 * L, kq = 4 * q;
            IntVector w0 = IntVector.fromArray(I, cols, o), w1 = IntVector.fromArray(I, cols, o + L);
            IntVector w2 = IntVector.fromArray(I, cols, o + 2 * L), w3 = IntVector.fromArray(I, cols, o + 3 * L);
            blk0 = FloatVector.broadcast(F, as[a0 + kq]).fma(w0.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk0);
            blk1 = FloatVector.broadcast(F, as[a1 + kq]).fma(w1.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk1);
            blk2 = FloatVector.broadcast(F, as[a2 + kq]).fma(w2.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk2);
            blk3 = FloatVector.broadcast(F, as[a3 + kq]).fma(w3.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk3);
            blk0 = FloatVector.broadcast(F, as[a0 + kq + 1]).fma(w0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk0);
            blk1 = FloatVector.broadcast(F, as[a1 + kq + 1]).fma(w1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk1);
            blk2 = FloatVector.broadcast(F, as[a2 + kq + 1]).fma(w2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk2);
            blk3 = FloatVector.broadcast(F, as[a3 + kq + 1]).fma(w3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk3);
            blk0 = FloatVector.broadcast(F, as[a0 + kq + 2]).fma(w0.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk0);
            blk1 = FloatVector.broadcast(F, as[a1 + kq + 2]).fma(w1.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk1);
            blk2 = FloatVector.broadcast(F, as[a2 + kq + 2]).fma(w2.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk2);
            blk3 = FloatVector.broadcast(F, as[a3 + kq + 2]).fma(w3.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk3);
            blk0 = FloatVector.broadcast(F, as[a0 + kq + 3]).fma(w0.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk0);
            blk1 = FloatVector.broadcast(F, as[a1 + kq + 3]).fma(w1.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk1);
            blk2 = FloatVector.broadcast(F, as[a2 + kq + 3]).fma(w2.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk2);
            blk3 = FloatVector.broadcast(F, as[a3 + kq + 3]).fma(w3.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats(), blk3);
        }
        blk0.intoArray(blk, 0);
        blk1.intoArray(blk, L);
        blk2.intoArray(blk, 2 * L);
        blk3.intoArray(blk, 3 * L);
    }

    /*
     * decodeChunks{C}x{R} and decodeRun{C}x{R}: decodeChunks4 and decodeRun4 for C chains (the first C of a run of
     * four items) and R rows of x, row r of chain j at as[aj + rr ..] (r0 = 0), into blk[bo + (j R + r) L ..];
     * written out (generated: one local per register, see the class comment).
     */
    private static void decodeChunks4x2(int[] cols, int c0, int c1, int c2, int c3, int n, float[] as, int a0, int a1, int a2, int a3, int r1, float[] blk, int bo) {
        FloatVector b00 = FloatVector.fromArray(F, blk, bo + 0), b01 = FloatVector.fromArray(F, blk, bo + L);
        FloatVector b10 = FloatVector.fromArray(F, blk, bo + 2 * L), b11 = FloatVector.fromArray(F, blk, bo + 3 * L);
        FloatVector b20 = FloatVector.fromArray(F, blk, bo + 4 * L), b21 = FloatVector.fromArray(F, blk, bo + 5 * L);
        FloatVector b30 = FloatVector.fromArray(F, blk, bo + 6 * L), b31 = FloatVector.fromArray(F, blk, bo + 7 * L);
        for (int q = 0; q < n / 4; q++) {
            int o = q * L, kq = 4 * q;
            IntVector w0 = IntVector.fromArray(I, cols, c0 + o), w1 = IntVector.fromArray(I, cols, c1 + o), w2 = IntVector.fromArray(I, cols, c2 + o), w3 = IntVector.fromArray(I, cols, c3 + o);
            FloatVector d00 = w0.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq]).fma(d00, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq]).fma(d00, b01);
            FloatVector d10 = w1.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq]).fma(d10, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq]).fma(d10, b11);
            FloatVector d20 = w2.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b20 = FloatVector.broadcast(F, as[a2 + kq]).fma(d20, b20);
            b21 = FloatVector.broadcast(F, as[a2 + r1 + kq]).fma(d20, b21);
            FloatVector d30 = w3.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b30 = FloatVector.broadcast(F, as[a3 + kq]).fma(d30, b30);
            b31 = FloatVector.broadcast(F, as[a3 + r1 + kq]).fma(d30, b31);
            FloatVector d01 = w0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 1]).fma(d01, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 1]).fma(d01, b01);
            FloatVector d11 = w1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq + 1]).fma(d11, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq + 1]).fma(d11, b11);
            FloatVector d21 = w2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b20 = FloatVector.broadcast(F, as[a2 + kq + 1]).fma(d21, b20);
            b21 = FloatVector.broadcast(F, as[a2 + r1 + kq + 1]).fma(d21, b21);
            FloatVector d31 = w3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b30 = FloatVector.broadcast(F, as[a3 + kq + 1]).fma(d31, b30);
            b31 = FloatVector.broadcast(F, as[a3 + r1 + kq + 1]).fma(d31, b31);
            FloatVector d02 = w0.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 2]).fma(d02, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 2]).fma(d02, b01);
            FloatVector d12 = w1.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq + 2]).fma(d12, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq + 2]).fma(d12, b11);
            FloatVector d22 = w2.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b20 = FloatVector.broadcast(F, as[a2 + kq + 2]).fma(d22, b20);
            b21 = FloatVector.broadcast(F, as[a2 + r1 + kq + 2]).fma(d22, b21);
            FloatVector d32 = w3.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b30 = FloatVector.broadcast(F, as[a3 + kq + 2]).fma(d32, b30);
            b31 = FloatVector.broadcast(F, as[a3 + r1 + kq + 2]).fma(d32, b31);
            FloatVector d03 = w0.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 3]).fma(d03, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 3]).fma(d03, b01);
            FloatVector d13 = w1.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq + 3]).fma(d13, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq + 3]).fma(d13, b11);
            FloatVector d23 = w2.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b20 = FloatVector.broadcast(F, as[a2 + kq + 3]).fma(d23, b20);
            b21 = FloatVector.broadcast(F, as[a2 + r1 + kq + 3]).fma(d23, b21);
            FloatVector d33 = w3.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b30 = FloatVector.broadcast(F, as[a3 + kq + 3]).fma(d33, b30);
            b31 = FloatVector.broadcast(F, as[a3 + r1 + kq + 3]).fma(d33, b31);
        }
        b00.intoArray(blk, bo + 0);
        b01.intoArray(blk, bo + L);
        b10.intoArray(blk, bo + 2 * L);
        b11.intoArray(blk, bo + 3 * L);
        b20.intoArray(blk, bo + 4 * L);
        b21.intoArray(blk, bo + 5 * L);
        b30.intoArray(blk, bo + 6 * L);
        b31.intoArray(blk, bo + 7 * L);
    }

    private static void decodeRun4x2(int[] cols, int base, int n, float[] as, int a0, int a1, int a2, int a3, int r1, float[] blk, int bo) {
        FloatVector b00 = FloatVector.fromArray(F, blk, bo + 0), b01 = FloatVector.fromArray(F, blk, bo + L);
        FloatVector b10 = FloatVector.fromArray(F, blk, bo + 2 * L), b11 = FloatVector.fromArray(F, blk, bo + 3 * L);
        FloatVector b20 = FloatVector.fromArray(F, blk, bo + 4 * L), b21 = FloatVector.fromArray(F, blk, bo + 5 * L);
        FloatVector b30 = FloatVector.fromArray(F, blk, bo + 6 * L), b31 = FloatVector.fromArray(F, blk, bo + 7 * L);
        for (int q = 0; q < n / 4; q++) {
            int o = base + q * 4 * L, kq = 4 * q;
            IntVector w0 = IntVector.fromArray(I, cols, o), w1 = IntVector.fromArray(I, cols, o + L), w2 = IntVector.fromArray(I, cols, o + 2 * L), w3 = IntVector.fromArray(I, cols, o + 3 * L);
            FloatVector d00 = w0.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq]).fma(d00, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq]).fma(d00, b01);
            FloatVector d10 = w1.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq]).fma(d10, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq]).fma(d10, b11);
            FloatVector d20 = w2.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b20 = FloatVector.broadcast(F, as[a2 + kq]).fma(d20, b20);
            b21 = FloatVector.broadcast(F, as[a2 + r1 + kq]).fma(d20, b21);
            FloatVector d30 = w3.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b30 = FloatVector.broadcast(F, as[a3 + kq]).fma(d30, b30);
            b31 = FloatVector.broadcast(F, as[a3 + r1 + kq]).fma(d30, b31);
            FloatVector d01 = w0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 1]).fma(d01, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 1]).fma(d01, b01);
            FloatVector d11 = w1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq + 1]).fma(d11, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq + 1]).fma(d11, b11);
            FloatVector d21 = w2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b20 = FloatVector.broadcast(F, as[a2 + kq + 1]).fma(d21, b20);
            b21 = FloatVector.broadcast(F, as[a2 + r1 + kq + 1]).fma(d21, b21);
            FloatVector d31 = w3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b30 = FloatVector.broadcast(F, as[a3 + kq + 1]).fma(d31, b30);
            b31 = FloatVector.broadcast(F, as[a3 + r1 + kq + 1]).fma(d31, b31);
            FloatVector d02 = w0.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 2]).fma(d02, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 2]).fma(d02, b01);
            FloatVector d12 = w1.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq + 2]).fma(d12, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq + 2]).fma(d12, b11);
            FloatVector d22 = w2.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b20 = FloatVector.broadcast(F, as[a2 + kq + 2]).fma(d22, b20);
            b21 = FloatVector.broadcast(F, as[a2 + r1 + kq + 2]).fma(d22, b21);
            FloatVector d32 = w3.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b30 = FloatVector.broadcast(F, as[a3 + kq + 2]).fma(d32, b30);
            b31 = FloatVector.broadcast(F, as[a3 + r1 + kq + 2]).fma(d32, b31);
            FloatVector d03 = w0.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 3]).fma(d03, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 3]).fma(d03, b01);
            FloatVector d13 = w1.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq + 3]).fma(d13, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq + 3]).fma(d13, b11);
            FloatVector d23 = w2.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b20 = FloatVector.broadcast(F, as[a2 + kq + 3]).fma(d23, b20);
            b21 = FloatVector.broadcast(F, as[a2 + r1 + kq + 3]).fma(d23, b21);
            FloatVector d33 = w3.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b30 = FloatVector.broadcast(F, as[a3 + kq + 3]).fma(d33, b30);
            b31 = FloatVector.broadcast(F, as[a3 + r1 + kq + 3]).fma(d33, b31);
        }
        b00.intoArray(blk, bo + 0);
        b01.intoArray(blk, bo + L);
        b10.intoArray(blk, bo + 2 * L);
        b11.intoArray(blk, bo + 3 * L);
        b20.intoArray(blk, bo + 4 * L);
        b21.intoArray(blk, bo + 5 * L);
        b30.intoArray(blk, bo + 6 * L);
        b31.intoArray(blk, bo + 7 * L);
    }

    private static void decodeChunks4x4(int[] cols, int c0, int c1, int c2, int c3, int n, float[] as, int a0, int a1, int a2, int a3, int r1, int r2, int r3, float[] blk, int bo) {
        FloatVector b00 = FloatVector.fromArray(F, blk, bo + 0), b01 = FloatVector.fromArray(F, blk, bo + L), b02 = FloatVector.fromArray(F, blk, bo + 2 * L), b03 = FloatVector.fromArray(F, blk, bo + 3 * L);
        FloatVector b10 = FloatVector.fromArray(F, blk, bo + 4 * L), b11 = FloatVector.fromArray(F, blk, bo + 5 * L), b12 = FloatVector.fromArray(F, blk, bo + 6 * L), b13 = FloatVector.fromArray(F, blk, bo + 7 * L);
        FloatVector b20 = FloatVector.fromArray(F, blk, bo + 8 * L), b21 = FloatVector.fromArray(F, blk, bo + 9 * L), b22 = FloatVector.fromArray(F, blk, bo + 10 * L), b23 = FloatVector.fromArray(F, blk, bo + 11 * L);
        FloatVector b30 = FloatVector.fromArray(F, blk, bo + 12 * L), b31 = FloatVector.fromArray(F, blk, bo + 13 * L), b32 = FloatVector.fromArray(F, blk, bo + 14 * L), b33 = FloatVector.fromArray(F, blk, bo + 15 * L);
        for (int q = 0; q < n / 4; q++) {
            int o = q * L, kq = 4 * q;
            IntVector w0 = IntVector.fromArray(I, cols, c0 + o), w1 = IntVector.fromArray(I, cols, c1 + o), w2 = IntVector.fromArray(I, cols, c2 + o), w3 = IntVector.fromArray(I, cols, c3 + o);
            FloatVector d00 = w0.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq]).fma(d00, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq]).fma(d00, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq]).fma(d00, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq]).fma(d00, b03);
            FloatVector d10 = w1.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq]).fma(d10, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq]).fma(d10, b11);
            b12 = FloatVector.broadcast(F, as[a1 + r2 + kq]).fma(d10, b12);
            b13 = FloatVector.broadcast(F, as[a1 + r3 + kq]).fma(d10, b13);
            FloatVector d20 = w2.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b20 = FloatVector.broadcast(F, as[a2 + kq]).fma(d20, b20);
            b21 = FloatVector.broadcast(F, as[a2 + r1 + kq]).fma(d20, b21);
            b22 = FloatVector.broadcast(F, as[a2 + r2 + kq]).fma(d20, b22);
            b23 = FloatVector.broadcast(F, as[a2 + r3 + kq]).fma(d20, b23);
            FloatVector d30 = w3.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b30 = FloatVector.broadcast(F, as[a3 + kq]).fma(d30, b30);
            b31 = FloatVector.broadcast(F, as[a3 + r1 + kq]).fma(d30, b31);
            b32 = FloatVector.broadcast(F, as[a3 + r2 + kq]).fma(d30, b32);
            b33 = FloatVector.broadcast(F, as[a3 + r3 + kq]).fma(d30, b33);
            FloatVector d01 = w0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 1]).fma(d01, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 1]).fma(d01, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq + 1]).fma(d01, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq + 1]).fma(d01, b03);
            FloatVector d11 = w1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq + 1]).fma(d11, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq + 1]).fma(d11, b11);
            b12 = FloatVector.broadcast(F, as[a1 + r2 + kq + 1]).fma(d11, b12);
            b13 = FloatVector.broadcast(F, as[a1 + r3 + kq + 1]).fma(d11, b13);
            FloatVector d21 = w2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b20 = FloatVector.broadcast(F, as[a2 + kq + 1]).fma(d21, b20);
            b21 = FloatVector.broadcast(F, as[a2 + r1 + kq + 1]).fma(d21, b21);
            b22 = FloatVector.broadcast(F, as[a2 + r2 + kq + 1]).fma(d21, b22);
            b23 = FloatVector.broadcast(F, as[a2 + r3 + kq + 1]).fma(d21, b23);
            FloatVector d31 = w3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b30 = FloatVector.broadcast(F, as[a3 + kq + 1]).fma(d31, b30);
            b31 = FloatVector.broadcast(F, as[a3 + r1 + kq + 1]).fma(d31, b31);
            b32 = FloatVector.broadcast(F, as[a3 + r2 + kq + 1]).fma(d31, b32);
            b33 = FloatVector.broadcast(F, as[a3 + r3 + kq + 1]).fma(d31, b33);
            FloatVector d02 = w0.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 2]).fma(d02, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 2]).fma(d02, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq + 2]).fma(d02, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq + 2]).fma(d02, b03);
            FloatVector d12 = w1.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq + 2]).fma(d12, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq + 2]).fma(d12, b11);
            b12 = FloatVector.broadcast(F, as[a1 + r2 + kq + 2]).fma(d12, b12);
            b13 = FloatVector.broadcast(F, as[a1 + r3 + kq + 2]).fma(d12, b13);
            FloatVector d22 = w2.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b20 = FloatVector.broadcast(F, as[a2 + kq + 2]).fma(d22, b20);
            b21 = FloatVector.broadcast(F, as[a2 + r1 + kq + 2]).fma(d22, b21);
            b22 = FloatVector.broadcast(F, as[a2 + r2 + kq + 2]).fma(d22, b22);
            b23 = FloatVector.broadcast(F, as[a2 + r3 + kq + 2]).fma(d22, b23);
            FloatVector d32 = w3.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b30 = FloatVector.broadcast(F, as[a3 + kq + 2]).fma(d32, b30);
            b31 = FloatVector.broadcast(F, as[a3 + r1 + kq + 2]).fma(d32, b31);
            b32 = FloatVector.broadcast(F, as[a3 + r2 + kq + 2]).fma(d32, b32);
            b33 = FloatVector.broadcast(F, as[a3 + r3 + kq + 2]).fma(d32, b33);
            FloatVector d03 = w0.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 3]).fma(d03, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 3]).fma(d03, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq + 3]).fma(d03, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq + 3]).fma(d03, b03);
            FloatVector d13 = w1.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq + 3]).fma(d13, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq + 3]).fma(d13, b11);
            b12 = FloatVector.broadcast(F, as[a1 + r2 + kq + 3]).fma(d13, b12);
            b13 = FloatVector.broadcast(F, as[a1 + r3 + kq + 3]).fma(d13, b13);
            FloatVector d23 = w2.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b20 = FloatVector.broadcast(F, as[a2 + kq + 3]).fma(d23, b20);
            b21 = FloatVector.broadcast(F, as[a2 + r1 + kq + 3]).fma(d23, b21);
            b22 = FloatVector.broadcast(F, as[a2 + r2 + kq + 3]).fma(d23, b22);
            b23 = FloatVector.broadcast(F, as[a2 + r3 + kq + 3]).fma(d23, b23);
            FloatVector d33 = w3.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b30 = FloatVector.broadcast(F, as[a3 + kq + 3]).fma(d33, b30);
            b31 = FloatVector.broadcast(F, as[a3 + r1 + kq + 3]).fma(d33, b31);
            b32 = FloatVector.broadcast(F, as[a3 + r2 + kq + 3]).fma(d33, b32);
            b33 = FloatVector.broadcast(F, as[a3 + r3 + kq + 3]).fma(d33, b33);
        }
        b00.intoArray(blk, bo + 0);
        b01.intoArray(blk, bo + L);
        b02.intoArray(blk, bo + 2 * L);
        b03.intoArray(blk, bo + 3 * L);
        b10.intoArray(blk, bo + 4 * L);
        b11.intoArray(blk, bo + 5 * L);
        b12.intoArray(blk, bo + 6 * L);
        b13.intoArray(blk, bo + 7 * L);
        b20.intoArray(blk, bo + 8 * L);
        b21.intoArray(blk, bo + 9 * L);
        b22.intoArray(blk, bo + 10 * L);
        b23.intoArray(blk, bo + 11 * L);
        b30.intoArray(blk, bo + 12 * L);
        b31.intoArray(blk, bo + 13 * L);
        b32.intoArray(blk, bo + 14 * L);
        b33.intoArray(blk, bo + 15 * L);
    }

    private static void decodeRun4x4(int[] cols, int base, int n, float[] as, int a0, int a1, int a2, int a3, int r1, int r2, int r3, float[] blk, int bo) {
        FloatVector b00 = FloatVector.fromArray(F, blk, bo + 0), b01 = FloatVector.fromArray(F, blk, bo + L), b02 = FloatVector.fromArray(F, blk, bo + 2 * L), b03 = FloatVector.fromArray(F, blk, bo + 3 * L);
        FloatVector b10 = FloatVector.fromArray(F, blk, bo + 4 * L), b11 = FloatVector.fromArray(F, blk, bo + 5 * L), b12 = FloatVector.fromArray(F, blk, bo + 6 * L), b13 = FloatVector.fromArray(F, blk, bo + 7 * L);
        FloatVector b20 = FloatVector.fromArray(F, blk, bo + 8 * L), b21 = FloatVector.fromArray(F, blk, bo + 9 * L), b22 = FloatVector.fromArray(F, blk, bo + 10 * L), b23 = FloatVector.fromArray(F, blk, bo + 11 * L);
        FloatVector b30 = FloatVector.fromArray(F, blk, bo + 12 * L), b31 = FloatVector.fromArray(F, blk, bo + 13 * L), b32 = FloatVector.fromArray(F, blk, bo + 14 * L), b33 = FloatVector.fromArray(F, blk, bo + 15 * L);
        for (int q = 0; q < n / 4; q++) {
            int o = base + q * 4 * L, kq = 4 * q;
            IntVector w0 = IntVector.fromArray(I, cols, o), w1 = IntVector.fromArray(I, cols, o + L), w2 = IntVector.fromArray(I, cols, o + 2 * L), w3 = IntVector.fromArray(I, cols, o + 3 * L);
            FloatVector d00 = w0.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq]).fma(d00, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq]).fma(d00, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq]).fma(d00, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq]).fma(d00, b03);
            FloatVector d10 = w1.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq]).fma(d10, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq]).fma(d10, b11);
            b12 = FloatVector.broadcast(F, as[a1 + r2 + kq]).fma(d10, b12);
            b13 = FloatVector.broadcast(F, as[a1 + r3 + kq]).fma(d10, b13);
            FloatVector d20 = w2.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b20 = FloatVector.broadcast(F, as[a2 + kq]).fma(d20, b20);
            b21 = FloatVector.broadcast(F, as[a2 + r1 + kq]).fma(d20, b21);
            b22 = FloatVector.broadcast(F, as[a2 + r2 + kq]).fma(d20, b22);
            b23 = FloatVector.broadcast(F, as[a2 + r3 + kq]).fma(d20, b23);
            FloatVector d30 = w3.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b30 = FloatVector.broadcast(F, as[a3 + kq]).fma(d30, b30);
            b31 = FloatVector.broadcast(F, as[a3 + r1 + kq]).fma(d30, b31);
            b32 = FloatVector.broadcast(F, as[a3 + r2 + kq]).fma(d30, b32);
            b33 = FloatVector.broadcast(F, as[a3 + r3 + kq]).fma(d30, b33);
            FloatVector d01 = w0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 1]).fma(d01, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 1]).fma(d01, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq + 1]).fma(d01, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq + 1]).fma(d01, b03);
            FloatVector d11 = w1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq + 1]).fma(d11, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq + 1]).fma(d11, b11);
            b12 = FloatVector.broadcast(F, as[a1 + r2 + kq + 1]).fma(d11, b12);
            b13 = FloatVector.broadcast(F, as[a1 + r3 + kq + 1]).fma(d11, b13);
            FloatVector d21 = w2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b20 = FloatVector.broadcast(F, as[a2 + kq + 1]).fma(d21, b20);
            b21 = FloatVector.broadcast(F, as[a2 + r1 + kq + 1]).fma(d21, b21);
            b22 = FloatVector.broadcast(F, as[a2 + r2 + kq + 1]).fma(d21, b22);
            b23 = FloatVector.broadcast(F, as[a2 + r3 + kq + 1]).fma(d21, b23);
            FloatVector d31 = w3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b30 = FloatVector.broadcast(F, as[a3 + kq + 1]).fma(d31, b30);
            b31 = FloatVector.broadcast(F, as[a3 + r1 + kq + 1]).fma(d31, b31);
            b32 = FloatVector.broadcast(F, as[a3 + r2 + kq + 1]).fma(d31, b32);
            b33 = FloatVector.broadcast(F, as[a3 + r3 + kq + 1]).fma(d31, b33);
            FloatVector d02 = w0.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 2]).fma(d02, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 2]).fma(d02, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq + 2]).fma(d02, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq + 2]).fma(d02, b03);
            FloatVector d12 = w1.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq + 2]).fma(d12, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq + 2]).fma(d12, b11);
            b12 = FloatVector.broadcast(F, as[a1 + r2 + kq + 2]).fma(d12, b12);
            b13 = FloatVector.broadcast(F, as[a1 + r3 + kq + 2]).fma(d12, b13);
            FloatVector d22 = w2.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b20 = FloatVector.broadcast(F, as[a2 + kq + 2]).fma(d22, b20);
            b21 = FloatVector.broadcast(F, as[a2 + r1 + kq + 2]).fma(d22, b21);
            b22 = FloatVector.broadcast(F, as[a2 + r2 + kq + 2]).fma(d22, b22);
            b23 = FloatVector.broadcast(F, as[a2 + r3 + kq + 2]).fma(d22, b23);
            FloatVector d32 = w3.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b30 = FloatVector.broadcast(F, as[a3 + kq + 2]).fma(d32, b30);
            b31 = FloatVector.broadcast(F, as[a3 + r1 + kq + 2]).fma(d32, b31);
            b32 = FloatVector.broadcast(F, as[a3 + r2 + kq + 2]).fma(d32, b32);
            b33 = FloatVector.broadcast(F, as[a3 + r3 + kq + 2]).fma(d32, b33);
            FloatVector d03 = w0.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 3]).fma(d03, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 3]).fma(d03, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq + 3]).fma(d03, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq + 3]).fma(d03, b03);
            FloatVector d13 = w1.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq + 3]).fma(d13, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq + 3]).fma(d13, b11);
            b12 = FloatVector.broadcast(F, as[a1 + r2 + kq + 3]).fma(d13, b12);
            b13 = FloatVector.broadcast(F, as[a1 + r3 + kq + 3]).fma(d13, b13);
            FloatVector d23 = w2.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b20 = FloatVector.broadcast(F, as[a2 + kq + 3]).fma(d23, b20);
            b21 = FloatVector.broadcast(F, as[a2 + r1 + kq + 3]).fma(d23, b21);
            b22 = FloatVector.broadcast(F, as[a2 + r2 + kq + 3]).fma(d23, b22);
            b23 = FloatVector.broadcast(F, as[a2 + r3 + kq + 3]).fma(d23, b23);
            FloatVector d33 = w3.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b30 = FloatVector.broadcast(F, as[a3 + kq + 3]).fma(d33, b30);
            b31 = FloatVector.broadcast(F, as[a3 + r1 + kq + 3]).fma(d33, b31);
            b32 = FloatVector.broadcast(F, as[a3 + r2 + kq + 3]).fma(d33, b32);
            b33 = FloatVector.broadcast(F, as[a3 + r3 + kq + 3]).fma(d33, b33);
        }
        b00.intoArray(blk, bo + 0);
        b01.intoArray(blk, bo + L);
        b02.intoArray(blk, bo + 2 * L);
        b03.intoArray(blk, bo + 3 * L);
        b10.intoArray(blk, bo + 4 * L);
        b11.intoArray(blk, bo + 5 * L);
        b12.intoArray(blk, bo + 6 * L);
        b13.intoArray(blk, bo + 7 * L);
        b20.intoArray(blk, bo + 8 * L);
        b21.intoArray(blk, bo + 9 * L);
        b22.intoArray(blk, bo + 10 * L);
        b23.intoArray(blk, bo + 11 * L);
        b30.intoArray(blk, bo + 12 * L);
        b31.intoArray(blk, bo + 13 * L);
        b32.intoArray(blk, bo + 14 * L);
        b33.intoArray(blk, bo + 15 * L);
    }

    private static void decodeChunks2x8(int[] cols, int c0, int c1, int n, float[] as, int a0, int a1, int r1, int r2, int r3, int r4, int r5, int r6, int r7, float[] blk, int bo) {
        FloatVector b00 = FloatVector.fromArray(F, blk, bo + 0), b01 = FloatVector.fromArray(F, blk, bo + L), b02 = FloatVector.fromArray(F, blk, bo + 2 * L), b03 = FloatVector.fromArray(F, blk, bo + 3 * L);
        FloatVector b04 = FloatVector.fromArray(F, blk, bo + 4 * L), b05 = FloatVector.fromArray(F, blk, bo + 5 * L), b06 = FloatVector.fromArray(F, blk, bo + 6 * L), b07 = FloatVector.fromArray(F, blk, bo + 7 * L);
        FloatVector b10 = FloatVector.fromArray(F, blk, bo + 8 * L), b11 = FloatVector.fromArray(F, blk, bo + 9 * L), b12 = FloatVector.fromArray(F, blk, bo + 10 * L), b13 = FloatVector.fromArray(F, blk, bo + 11 * L);
        FloatVector b14 = FloatVector.fromArray(F, blk, bo + 12 * L), b15 = FloatVector.fromArray(F, blk, bo + 13 * L), b16 = FloatVector.fromArray(F, blk, bo + 14 * L), b17 = FloatVector.fromArray(F, blk, bo + 15 * L);
        for (int q = 0; q < n / 4; q++) {
            int o = q * L, kq = 4 * q;
            IntVector w0 = IntVector.fromArray(I, cols, c0 + o), w1 = IntVector.fromArray(I, cols, c1 + o);
            FloatVector d00 = w0.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq]).fma(d00, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq]).fma(d00, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq]).fma(d00, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq]).fma(d00, b03);
            b04 = FloatVector.broadcast(F, as[a0 + r4 + kq]).fma(d00, b04);
            b05 = FloatVector.broadcast(F, as[a0 + r5 + kq]).fma(d00, b05);
            b06 = FloatVector.broadcast(F, as[a0 + r6 + kq]).fma(d00, b06);
            b07 = FloatVector.broadcast(F, as[a0 + r7 + kq]).fma(d00, b07);
            FloatVector d10 = w1.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq]).fma(d10, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq]).fma(d10, b11);
            b12 = FloatVector.broadcast(F, as[a1 + r2 + kq]).fma(d10, b12);
            b13 = FloatVector.broadcast(F, as[a1 + r3 + kq]).fma(d10, b13);
            b14 = FloatVector.broadcast(F, as[a1 + r4 + kq]).fma(d10, b14);
            b15 = FloatVector.broadcast(F, as[a1 + r5 + kq]).fma(d10, b15);
            b16 = FloatVector.broadcast(F, as[a1 + r6 + kq]).fma(d10, b16);
            b17 = FloatVector.broadcast(F, as[a1 + r7 + kq]).fma(d10, b17);
            FloatVector d01 = w0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 1]).fma(d01, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 1]).fma(d01, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq + 1]).fma(d01, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq + 1]).fma(d01, b03);
            b04 = FloatVector.broadcast(F, as[a0 + r4 + kq + 1]).fma(d01, b04);
            b05 = FloatVector.broadcast(F, as[a0 + r5 + kq + 1]).fma(d01, b05);
            b06 = FloatVector.broadcast(F, as[a0 + r6 + kq + 1]).fma(d01, b06);
            b07 = FloatVector.broadcast(F, as[a0 + r7 + kq + 1]).fma(d01, b07);
            FloatVector d11 = w1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq + 1]).fma(d11, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq + 1]).fma(d11, b11);
            b12 = FloatVector.broadcast(F, as[a1 + r2 + kq + 1]).fma(d11, b12);
            b13 = FloatVector.broadcast(F, as[a1 + r3 + kq + 1]).fma(d11, b13);
            b14 = FloatVector.broadcast(F, as[a1 + r4 + kq + 1]).fma(d11, b14);
            b15 = FloatVector.broadcast(F, as[a1 + r5 + kq + 1]).fma(d11, b15);
            b16 = FloatVector.broadcast(F, as[a1 + r6 + kq + 1]).fma(d11, b16);
            b17 = FloatVector.broadcast(F, as[a1 + r7 + kq + 1]).fma(d11, b17);
            FloatVector d02 = w0.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 2]).fma(d02, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 2]).fma(d02, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq + 2]).fma(d02, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq + 2]).fma(d02, b03);
            b04 = FloatVector.broadcast(F, as[a0 + r4 + kq + 2]).fma(d02, b04);
            b05 = FloatVector.broadcast(F, as[a0 + r5 + kq + 2]).fma(d02, b05);
            b06 = FloatVector.broadcast(F, as[a0 + r6 + kq + 2]).fma(d02, b06);
            b07 = FloatVector.broadcast(F, as[a0 + r7 + kq + 2]).fma(d02, b07);
            FloatVector d12 = w1.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq + 2]).fma(d12, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq + 2]).fma(d12, b11);
            b12 = FloatVector.broadcast(F, as[a1 + r2 + kq + 2]).fma(d12, b12);
            b13 = FloatVector.broadcast(F, as[a1 + r3 + kq + 2]).fma(d12, b13);
            b14 = FloatVector.broadcast(F, as[a1 + r4 + kq + 2]).fma(d12, b14);
            b15 = FloatVector.broadcast(F, as[a1 + r5 + kq + 2]).fma(d12, b15);
            b16 = FloatVector.broadcast(F, as[a1 + r6 + kq + 2]).fma(d12, b16);
            b17 = FloatVector.broadcast(F, as[a1 + r7 + kq + 2]).fma(d12, b17);
            FloatVector d03 = w0.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 3]).fma(d03, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 3]).fma(d03, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq + 3]).fma(d03, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq + 3]).fma(d03, b03);
            b04 = FloatVector.broadcast(F, as[a0 + r4 + kq + 3]).fma(d03, b04);
            b05 = FloatVector.broadcast(F, as[a0 + r5 + kq + 3]).fma(d03, b05);
            b06 = FloatVector.broadcast(F, as[a0 + r6 + kq + 3]).fma(d03, b06);
            b07 = FloatVector.broadcast(F, as[a0 + r7 + kq + 3]).fma(d03, b07);
            FloatVector d13 = w1.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq + 3]).fma(d13, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq + 3]).fma(d13, b11);
            b12 = FloatVector.broadcast(F, as[a1 + r2 + kq + 3]).fma(d13, b12);
            b13 = FloatVector.broadcast(F, as[a1 + r3 + kq + 3]).fma(d13, b13);
            b14 = FloatVector.broadcast(F, as[a1 + r4 + kq + 3]).fma(d13, b14);
            b15 = FloatVector.broadcast(F, as[a1 + r5 + kq + 3]).fma(d13, b15);
            b16 = FloatVector.broadcast(F, as[a1 + r6 + kq + 3]).fma(d13, b16);
            b17 = FloatVector.broadcast(F, as[a1 + r7 + kq + 3]).fma(d13, b17);
        }
        b00.intoArray(blk, bo + 0);
        b01.intoArray(blk, bo + L);
        b02.intoArray(blk, bo + 2 * L);
        b03.intoArray(blk, bo + 3 * L);
        b04.intoArray(blk, bo + 4 * L);
        b05.intoArray(blk, bo + 5 * L);
        b06.intoArray(blk, bo + 6 * L);
        b07.intoArray(blk, bo + 7 * L);
        b10.intoArray(blk, bo + 8 * L);
        b11.intoArray(blk, bo + 9 * L);
        b12.intoArray(blk, bo + 10 * L);
        b13.intoArray(blk, bo + 11 * L);
        b14.intoArray(blk, bo + 12 * L);
        b15.intoArray(blk, bo + 13 * L);
        b16.intoArray(blk, bo + 14 * L);
        b17.intoArray(blk, bo + 15 * L);
    }

    private static void decodeRun2x8(int[] cols, int base, int n, float[] as, int a0, int a1, int r1, int r2, int r3, int r4, int r5, int r6, int r7, float[] blk, int bo) {
        FloatVector b00 = FloatVector.fromArray(F, blk, bo + 0), b01 = FloatVector.fromArray(F, blk, bo + L), b02 = FloatVector.fromArray(F, blk, bo + 2 * L), b03 = FloatVector.fromArray(F, blk, bo + 3 * L);
        FloatVector b04 = FloatVector.fromArray(F, blk, bo + 4 * L), b05 = FloatVector.fromArray(F, blk, bo + 5 * L), b06 = FloatVector.fromArray(F, blk, bo + 6 * L), b07 = FloatVector.fromArray(F, blk, bo + 7 * L);
        FloatVector b10 = FloatVector.fromArray(F, blk, bo + 8 * L), b11 = FloatVector.fromArray(F, blk, bo + 9 * L), b12 = FloatVector.fromArray(F, blk, bo + 10 * L), b13 = FloatVector.fromArray(F, blk, bo + 11 * L);
        FloatVector b14 = FloatVector.fromArray(F, blk, bo + 12 * L), b15 = FloatVector.fromArray(F, blk, bo + 13 * L), b16 = FloatVector.fromArray(F, blk, bo + 14 * L), b17 = FloatVector.fromArray(F, blk, bo + 15 * L);
        for (int q = 0; q < n / 4; q++) {
            int o = base + q * 4 * L, kq = 4 * q;
            IntVector w0 = IntVector.fromArray(I, cols, o), w1 = IntVector.fromArray(I, cols, o + L);
            FloatVector d00 = w0.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq]).fma(d00, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq]).fma(d00, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq]).fma(d00, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq]).fma(d00, b03);
            b04 = FloatVector.broadcast(F, as[a0 + r4 + kq]).fma(d00, b04);
            b05 = FloatVector.broadcast(F, as[a0 + r5 + kq]).fma(d00, b05);
            b06 = FloatVector.broadcast(F, as[a0 + r6 + kq]).fma(d00, b06);
            b07 = FloatVector.broadcast(F, as[a0 + r7 + kq]).fma(d00, b07);
            FloatVector d10 = w1.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq]).fma(d10, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq]).fma(d10, b11);
            b12 = FloatVector.broadcast(F, as[a1 + r2 + kq]).fma(d10, b12);
            b13 = FloatVector.broadcast(F, as[a1 + r3 + kq]).fma(d10, b13);
            b14 = FloatVector.broadcast(F, as[a1 + r4 + kq]).fma(d10, b14);
            b15 = FloatVector.broadcast(F, as[a1 + r5 + kq]).fma(d10, b15);
            b16 = FloatVector.broadcast(F, as[a1 + r6 + kq]).fma(d10, b16);
            b17 = FloatVector.broadcast(F, as[a1 + r7 + kq]).fma(d10, b17);
            FloatVector d01 = w0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 1]).fma(d01, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 1]).fma(d01, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq + 1]).fma(d01, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq + 1]).fma(d01, b03);
            b04 = FloatVector.broadcast(F, as[a0 + r4 + kq + 1]).fma(d01, b04);
            b05 = FloatVector.broadcast(F, as[a0 + r5 + kq + 1]).fma(d01, b05);
            b06 = FloatVector.broadcast(F, as[a0 + r6 + kq + 1]).fma(d01, b06);
            b07 = FloatVector.broadcast(F, as[a0 + r7 + kq + 1]).fma(d01, b07);
            FloatVector d11 = w1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq + 1]).fma(d11, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq + 1]).fma(d11, b11);
            b12 = FloatVector.broadcast(F, as[a1 + r2 + kq + 1]).fma(d11, b12);
            b13 = FloatVector.broadcast(F, as[a1 + r3 + kq + 1]).fma(d11, b13);
            b14 = FloatVector.broadcast(F, as[a1 + r4 + kq + 1]).fma(d11, b14);
            b15 = FloatVector.broadcast(F, as[a1 + r5 + kq + 1]).fma(d11, b15);
            b16 = FloatVector.broadcast(F, as[a1 + r6 + kq + 1]).fma(d11, b16);
            b17 = FloatVector.broadcast(F, as[a1 + r7 + kq + 1]).fma(d11, b17);
            FloatVector d02 = w0.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 2]).fma(d02, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 2]).fma(d02, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq + 2]).fma(d02, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq + 2]).fma(d02, b03);
            b04 = FloatVector.broadcast(F, as[a0 + r4 + kq + 2]).fma(d02, b04);
            b05 = FloatVector.broadcast(F, as[a0 + r5 + kq + 2]).fma(d02, b05);
            b06 = FloatVector.broadcast(F, as[a0 + r6 + kq + 2]).fma(d02, b06);
            b07 = FloatVector.broadcast(F, as[a0 + r7 + kq + 2]).fma(d02, b07);
            FloatVector d12 = w1.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq + 2]).fma(d12, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq + 2]).fma(d12, b11);
            b12 = FloatVector.broadcast(F, as[a1 + r2 + kq + 2]).fma(d12, b12);
            b13 = FloatVector.broadcast(F, as[a1 + r3 + kq + 2]).fma(d12, b13);
            b14 = FloatVector.broadcast(F, as[a1 + r4 + kq + 2]).fma(d12, b14);
            b15 = FloatVector.broadcast(F, as[a1 + r5 + kq + 2]).fma(d12, b15);
            b16 = FloatVector.broadcast(F, as[a1 + r6 + kq + 2]).fma(d12, b16);
            b17 = FloatVector.broadcast(F, as[a1 + r7 + kq + 2]).fma(d12, b17);
            FloatVector d03 = w0.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 3]).fma(d03, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 3]).fma(d03, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq + 3]).fma(d03, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq + 3]).fma(d03, b03);
            b04 = FloatVector.broadcast(F, as[a0 + r4 + kq + 3]).fma(d03, b04);
            b05 = FloatVector.broadcast(F, as[a0 + r5 + kq + 3]).fma(d03, b05);
            b06 = FloatVector.broadcast(F, as[a0 + r6 + kq + 3]).fma(d03, b06);
            b07 = FloatVector.broadcast(F, as[a0 + r7 + kq + 3]).fma(d03, b07);
            FloatVector d13 = w1.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b10 = FloatVector.broadcast(F, as[a1 + kq + 3]).fma(d13, b10);
            b11 = FloatVector.broadcast(F, as[a1 + r1 + kq + 3]).fma(d13, b11);
            b12 = FloatVector.broadcast(F, as[a1 + r2 + kq + 3]).fma(d13, b12);
            b13 = FloatVector.broadcast(F, as[a1 + r3 + kq + 3]).fma(d13, b13);
            b14 = FloatVector.broadcast(F, as[a1 + r4 + kq + 3]).fma(d13, b14);
            b15 = FloatVector.broadcast(F, as[a1 + r5 + kq + 3]).fma(d13, b15);
            b16 = FloatVector.broadcast(F, as[a1 + r6 + kq + 3]).fma(d13, b16);
            b17 = FloatVector.broadcast(F, as[a1 + r7 + kq + 3]).fma(d13, b17);
        }
        b00.intoArray(blk, bo + 0);
        b01.intoArray(blk, bo + L);
        b02.intoArray(blk, bo + 2 * L);
        b03.intoArray(blk, bo + 3 * L);
        b04.intoArray(blk, bo + 4 * L);
        b05.intoArray(blk, bo + 5 * L);
        b06.intoArray(blk, bo + 6 * L);
        b07.intoArray(blk, bo + 7 * L);
        b10.intoArray(blk, bo + 8 * L);
        b11.intoArray(blk, bo + 9 * L);
        b12.intoArray(blk, bo + 10 * L);
        b13.intoArray(blk, bo + 11 * L);
        b14.intoArray(blk, bo + 12 * L);
        b15.intoArray(blk, bo + 13 * L);
        b16.intoArray(blk, bo + 14 * L);
        b17.intoArray(blk, bo + 15 * L);
    }

    private static void decodeChunks1x16(int[] cols, int c0, int n, float[] as, int a0, int r1, int r2, int r3, int r4, int r5, int r6, int r7, int r8, int r9, int r10, int r11, int r12, int r13, int r14, int r15, float[] blk, int bo) {
        FloatVector b00 = FloatVector.fromArray(F, blk, bo + 0), b01 = FloatVector.fromArray(F, blk, bo + L), b02 = FloatVector.fromArray(F, blk, bo + 2 * L), b03 = FloatVector.fromArray(F, blk, bo + 3 * L);
        FloatVector b04 = FloatVector.fromArray(F, blk, bo + 4 * L), b05 = FloatVector.fromArray(F, blk, bo + 5 * L), b06 = FloatVector.fromArray(F, blk, bo + 6 * L), b07 = FloatVector.fromArray(F, blk, bo + 7 * L);
        FloatVector b08 = FloatVector.fromArray(F, blk, bo + 8 * L), b09 = FloatVector.fromArray(F, blk, bo + 9 * L), b010 = FloatVector.fromArray(F, blk, bo + 10 * L), b011 = FloatVector.fromArray(F, blk, bo + 11 * L);
        FloatVector b012 = FloatVector.fromArray(F, blk, bo + 12 * L), b013 = FloatVector.fromArray(F, blk, bo + 13 * L), b014 = FloatVector.fromArray(F, blk, bo + 14 * L), b015 = FloatVector.fromArray(F, blk, bo + 15 * L);
        for (int q = 0; q < n / 4; q++) {
            int o = q * L, kq = 4 * q;
            IntVector w0 = IntVector.fromArray(I, cols, c0 + o);
            FloatVector d00 = w0.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq]).fma(d00, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq]).fma(d00, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq]).fma(d00, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq]).fma(d00, b03);
            b04 = FloatVector.broadcast(F, as[a0 + r4 + kq]).fma(d00, b04);
            b05 = FloatVector.broadcast(F, as[a0 + r5 + kq]).fma(d00, b05);
            b06 = FloatVector.broadcast(F, as[a0 + r6 + kq]).fma(d00, b06);
            b07 = FloatVector.broadcast(F, as[a0 + r7 + kq]).fma(d00, b07);
            b08 = FloatVector.broadcast(F, as[a0 + r8 + kq]).fma(d00, b08);
            b09 = FloatVector.broadcast(F, as[a0 + r9 + kq]).fma(d00, b09);
            b010 = FloatVector.broadcast(F, as[a0 + r10 + kq]).fma(d00, b010);
            b011 = FloatVector.broadcast(F, as[a0 + r11 + kq]).fma(d00, b011);
            b012 = FloatVector.broadcast(F, as[a0 + r12 + kq]).fma(d00, b012);
            b013 = FloatVector.broadcast(F, as[a0 + r13 + kq]).fma(d00, b013);
            b014 = FloatVector.broadcast(F, as[a0 + r14 + kq]).fma(d00, b014);
            b015 = FloatVector.broadcast(F, as[a0 + r15 + kq]).fma(d00, b015);
            FloatVector d01 = w0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 1]).fma(d01, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 1]).fma(d01, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq + 1]).fma(d01, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq + 1]).fma(d01, b03);
            b04 = FloatVector.broadcast(F, as[a0 + r4 + kq + 1]).fma(d01, b04);
            b05 = FloatVector.broadcast(F, as[a0 + r5 + kq + 1]).fma(d01, b05);
            b06 = FloatVector.broadcast(F, as[a0 + r6 + kq + 1]).fma(d01, b06);
            b07 = FloatVector.broadcast(F, as[a0 + r7 + kq + 1]).fma(d01, b07);
            b08 = FloatVector.broadcast(F, as[a0 + r8 + kq + 1]).fma(d01, b08);
            b09 = FloatVector.broadcast(F, as[a0 + r9 + kq + 1]).fma(d01, b09);
            b010 = FloatVector.broadcast(F, as[a0 + r10 + kq + 1]).fma(d01, b010);
            b011 = FloatVector.broadcast(F, as[a0 + r11 + kq + 1]).fma(d01, b011);
            b012 = FloatVector.broadcast(F, as[a0 + r12 + kq + 1]).fma(d01, b012);
            b013 = FloatVector.broadcast(F, as[a0 + r13 + kq + 1]).fma(d01, b013);
            b014 = FloatVector.broadcast(F, as[a0 + r14 + kq + 1]).fma(d01, b014);
            b015 = FloatVector.broadcast(F, as[a0 + r15 + kq + 1]).fma(d01, b015);
            FloatVector d02 = w0.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 2]).fma(d02, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 2]).fma(d02, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq + 2]).fma(d02, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq + 2]).fma(d02, b03);
            b04 = FloatVector.broadcast(F, as[a0 + r4 + kq + 2]).fma(d02, b04);
            b05 = FloatVector.broadcast(F, as[a0 + r5 + kq + 2]).fma(d02, b05);
            b06 = FloatVector.broadcast(F, as[a0 + r6 + kq + 2]).fma(d02, b06);
            b07 = FloatVector.broadcast(F, as[a0 + r7 + kq + 2]).fma(d02, b07);
            b08 = FloatVector.broadcast(F, as[a0 + r8 + kq + 2]).fma(d02, b08);
            b09 = FloatVector.broadcast(F, as[a0 + r9 + kq + 2]).fma(d02, b09);
            b010 = FloatVector.broadcast(F, as[a0 + r10 + kq + 2]).fma(d02, b010);
            b011 = FloatVector.broadcast(F, as[a0 + r11 + kq + 2]).fma(d02, b011);
            b012 = FloatVector.broadcast(F, as[a0 + r12 + kq + 2]).fma(d02, b012);
            b013 = FloatVector.broadcast(F, as[a0 + r13 + kq + 2]).fma(d02, b013);
            b014 = FloatVector.broadcast(F, as[a0 + r14 + kq + 2]).fma(d02, b014);
            b015 = FloatVector.broadcast(F, as[a0 + r15 + kq + 2]).fma(d02, b015);
            FloatVector d03 = w0.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 3]).fma(d03, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 3]).fma(d03, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq + 3]).fma(d03, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq + 3]).fma(d03, b03);
            b04 = FloatVector.broadcast(F, as[a0 + r4 + kq + 3]).fma(d03, b04);
            b05 = FloatVector.broadcast(F, as[a0 + r5 + kq + 3]).fma(d03, b05);
            b06 = FloatVector.broadcast(F, as[a0 + r6 + kq + 3]).fma(d03, b06);
            b07 = FloatVector.broadcast(F, as[a0 + r7 + kq + 3]).fma(d03, b07);
            b08 = FloatVector.broadcast(F, as[a0 + r8 + kq + 3]).fma(d03, b08);
            b09 = FloatVector.broadcast(F, as[a0 + r9 + kq + 3]).fma(d03, b09);
            b010 = FloatVector.broadcast(F, as[a0 + r10 + kq + 3]).fma(d03, b010);
            b011 = FloatVector.broadcast(F, as[a0 + r11 + kq + 3]).fma(d03, b011);
            b012 = FloatVector.broadcast(F, as[a0 + r12 + kq + 3]).fma(d03, b012);
            b013 = FloatVector.broadcast(F, as[a0 + r13 + kq + 3]).fma(d03, b013);
            b014 = FloatVector.broadcast(F, as[a0 + r14 + kq + 3]).fma(d03, b014);
            b015 = FloatVector.broadcast(F, as[a0 + r15 + kq + 3]).fma(d03, b015);
        }
        b00.intoArray(blk, bo + 0);
        b01.intoArray(blk, bo + L);
        b02.intoArray(blk, bo + 2 * L);
        b03.intoArray(blk, bo + 3 * L);
        b04.intoArray(blk, bo + 4 * L);
        b05.intoArray(blk, bo + 5 * L);
        b06.intoArray(blk, bo + 6 * L);
        b07.intoArray(blk, bo + 7 * L);
        b08.intoArray(blk, bo + 8 * L);
        b09.intoArray(blk, bo + 9 * L);
        b010.intoArray(blk, bo + 10 * L);
        b011.intoArray(blk, bo + 11 * L);
        b012.intoArray(blk, bo + 12 * L);
        b013.intoArray(blk, bo + 13 * L);
        b014.intoArray(blk, bo + 14 * L);
        b015.intoArray(blk, bo + 15 * L);
    }

    private static void decodeRun1x16(int[] cols, int base, int n, float[] as, int a0, int r1, int r2, int r3, int r4, int r5, int r6, int r7, int r8, int r9, int r10, int r11, int r12, int r13, int r14, int r15, float[] blk, int bo) {
        FloatVector b00 = FloatVector.fromArray(F, blk, bo + 0), b01 = FloatVector.fromArray(F, blk, bo + L), b02 = FloatVector.fromArray(F, blk, bo + 2 * L), b03 = FloatVector.fromArray(F, blk, bo + 3 * L);
        FloatVector b04 = FloatVector.fromArray(F, blk, bo + 4 * L), b05 = FloatVector.fromArray(F, blk, bo + 5 * L), b06 = FloatVector.fromArray(F, blk, bo + 6 * L), b07 = FloatVector.fromArray(F, blk, bo + 7 * L);
        FloatVector b08 = FloatVector.fromArray(F, blk, bo + 8 * L), b09 = FloatVector.fromArray(F, blk, bo + 9 * L), b010 = FloatVector.fromArray(F, blk, bo + 10 * L), b011 = FloatVector.fromArray(F, blk, bo + 11 * L);
        FloatVector b012 = FloatVector.fromArray(F, blk, bo + 12 * L), b013 = FloatVector.fromArray(F, blk, bo + 13 * L), b014 = FloatVector.fromArray(F, blk, bo + 14 * L), b015 = FloatVector.fromArray(F, blk, bo + 15 * L);
        for (int q = 0; q < n / 4; q++) {
            int o = base + q * 4 * L, kq = 4 * q;
            IntVector w0 = IntVector.fromArray(I, cols, o);
            FloatVector d00 = w0.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq]).fma(d00, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq]).fma(d00, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq]).fma(d00, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq]).fma(d00, b03);
            b04 = FloatVector.broadcast(F, as[a0 + r4 + kq]).fma(d00, b04);
            b05 = FloatVector.broadcast(F, as[a0 + r5 + kq]).fma(d00, b05);
            b06 = FloatVector.broadcast(F, as[a0 + r6 + kq]).fma(d00, b06);
            b07 = FloatVector.broadcast(F, as[a0 + r7 + kq]).fma(d00, b07);
            b08 = FloatVector.broadcast(F, as[a0 + r8 + kq]).fma(d00, b08);
            b09 = FloatVector.broadcast(F, as[a0 + r9 + kq]).fma(d00, b09);
            b010 = FloatVector.broadcast(F, as[a0 + r10 + kq]).fma(d00, b010);
            b011 = FloatVector.broadcast(F, as[a0 + r11 + kq]).fma(d00, b011);
            b012 = FloatVector.broadcast(F, as[a0 + r12 + kq]).fma(d00, b012);
            b013 = FloatVector.broadcast(F, as[a0 + r13 + kq]).fma(d00, b013);
            b014 = FloatVector.broadcast(F, as[a0 + r14 + kq]).fma(d00, b014);
            b015 = FloatVector.broadcast(F, as[a0 + r15 + kq]).fma(d00, b015);
            FloatVector d01 = w0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 1]).fma(d01, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 1]).fma(d01, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq + 1]).fma(d01, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq + 1]).fma(d01, b03);
            b04 = FloatVector.broadcast(F, as[a0 + r4 + kq + 1]).fma(d01, b04);
            b05 = FloatVector.broadcast(F, as[a0 + r5 + kq + 1]).fma(d01, b05);
            b06 = FloatVector.broadcast(F, as[a0 + r6 + kq + 1]).fma(d01, b06);
            b07 = FloatVector.broadcast(F, as[a0 + r7 + kq + 1]).fma(d01, b07);
            b08 = FloatVector.broadcast(F, as[a0 + r8 + kq + 1]).fma(d01, b08);
            b09 = FloatVector.broadcast(F, as[a0 + r9 + kq + 1]).fma(d01, b09);
            b010 = FloatVector.broadcast(F, as[a0 + r10 + kq + 1]).fma(d01, b010);
            b011 = FloatVector.broadcast(F, as[a0 + r11 + kq + 1]).fma(d01, b011);
            b012 = FloatVector.broadcast(F, as[a0 + r12 + kq + 1]).fma(d01, b012);
            b013 = FloatVector.broadcast(F, as[a0 + r13 + kq + 1]).fma(d01, b013);
            b014 = FloatVector.broadcast(F, as[a0 + r14 + kq + 1]).fma(d01, b014);
            b015 = FloatVector.broadcast(F, as[a0 + r15 + kq + 1]).fma(d01, b015);
            FloatVector d02 = w0.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 2]).fma(d02, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 2]).fma(d02, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq + 2]).fma(d02, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq + 2]).fma(d02, b03);
            b04 = FloatVector.broadcast(F, as[a0 + r4 + kq + 2]).fma(d02, b04);
            b05 = FloatVector.broadcast(F, as[a0 + r5 + kq + 2]).fma(d02, b05);
            b06 = FloatVector.broadcast(F, as[a0 + r6 + kq + 2]).fma(d02, b06);
            b07 = FloatVector.broadcast(F, as[a0 + r7 + kq + 2]).fma(d02, b07);
            b08 = FloatVector.broadcast(F, as[a0 + r8 + kq + 2]).fma(d02, b08);
            b09 = FloatVector.broadcast(F, as[a0 + r9 + kq + 2]).fma(d02, b09);
            b010 = FloatVector.broadcast(F, as[a0 + r10 + kq + 2]).fma(d02, b010);
            b011 = FloatVector.broadcast(F, as[a0 + r11 + kq + 2]).fma(d02, b011);
            b012 = FloatVector.broadcast(F, as[a0 + r12 + kq + 2]).fma(d02, b012);
            b013 = FloatVector.broadcast(F, as[a0 + r13 + kq + 2]).fma(d02, b013);
            b014 = FloatVector.broadcast(F, as[a0 + r14 + kq + 2]).fma(d02, b014);
            b015 = FloatVector.broadcast(F, as[a0 + r15 + kq + 2]).fma(d02, b015);
            FloatVector d03 = w0.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats();
            b00 = FloatVector.broadcast(F, as[a0 + kq + 3]).fma(d03, b00);
            b01 = FloatVector.broadcast(F, as[a0 + r1 + kq + 3]).fma(d03, b01);
            b02 = FloatVector.broadcast(F, as[a0 + r2 + kq + 3]).fma(d03, b02);
            b03 = FloatVector.broadcast(F, as[a0 + r3 + kq + 3]).fma(d03, b03);
            b04 = FloatVector.broadcast(F, as[a0 + r4 + kq + 3]).fma(d03, b04);
            b05 = FloatVector.broadcast(F, as[a0 + r5 + kq + 3]).fma(d03, b05);
            b06 = FloatVector.broadcast(F, as[a0 + r6 + kq + 3]).fma(d03, b06);
            b07 = FloatVector.broadcast(F, as[a0 + r7 + kq + 3]).fma(d03, b07);
            b08 = FloatVector.broadcast(F, as[a0 + r8 + kq + 3]).fma(d03, b08);
            b09 = FloatVector.broadcast(F, as[a0 + r9 + kq + 3]).fma(d03, b09);
            b010 = FloatVector.broadcast(F, as[a0 + r10 + kq + 3]).fma(d03, b010);
            b011 = FloatVector.broadcast(F, as[a0 + r11 + kq + 3]).fma(d03, b011);
            b012 = FloatVector.broadcast(F, as[a0 + r12 + kq + 3]).fma(d03, b012);
            b013 = FloatVector.broadcast(F, as[a0 + r13 + kq + 3]).fma(d03, b013);
            b014 = FloatVector.broadcast(F, as[a0 + r14 + kq + 3]).fma(d03, b014);
            b015 = FloatVector.broadcast(F, as[a0 + r15 + kq + 3]).fma(d03, b015);
        }
        b00.intoArray(blk, bo + 0);
        b01.intoArray(blk, bo + L);
        b02.intoArray(blk, bo + 2 * L);
        b03.intoArray(blk, bo + 3 * L);
        b04.intoArray(blk, bo + 4 * L);
        b05.intoArray(blk, bo + 5 * L);
        b06.intoArray(blk, bo + 6 * L);
        b07.intoArray(blk, bo + 7 * L);
        b08.intoArray(blk, bo + 8 * L);
        b09.intoArray(blk, bo + 9 * L);
        b010.intoArray(blk, bo + 10 * L);
        b011.intoArray(blk, bo + 11 * L);
        b012.intoArray(blk, bo + 12 * L);
        b013.intoArray(blk, bo + 13 * L);
        b014.intoArray(blk, bo + 14 * L);
        b015.intoArray(blk, bo + 15 * L);
    }

    /**
     * y[yo .. yo + 4L) = one row of a against the 4L FP8 W rows from g (all valid; blocks and K multiples of
     * CHUNK), decoded in registers, as four independent FMA chains; returns false, having written nothing, if it
     * meets a NaN code (the caller then uses the single-group path, which handles them).
     */
    private static boolean gemvFp8x4(SimdGemmProblem p, int i, int g, float[] y, int yo, SimdGemmScratch s) {
        long[] off = s.laneOffsets;
        float[] sc = s.laneFloats;
        float[] blk = s.blockSums;
        float[] total = s.totals;
        for (int l = 0; l < 4 * L; l++) off[l] = (long) (g + l) * p.k;
        java.util.Arrays.fill(total, 0, 4 * L, 0f);
        int ar = i * p.k;
        for (int b = 0; b < p.kBlocks; b++) {
            int k0 = b * p.blockCols;
            int k1 = Math.min(p.k, k0 + p.blockCols);
            java.util.Arrays.fill(blk, 0, 4 * L, 0f);
            for (int k = k0; k < k1; k += CHUNK) {
                if (!gemvChunk4(p.data, off, k, s.staged, p.a, ar + k, blk)) return false;
            }
            float sa = p.activationScale(i, b);
            for (int l = 0; l < 4 * L; l++) sc[l] = p.weightScale(g + l, b);
            promote(blk, sc, sa, total, 4 * L);
        }
        System.arraycopy(total, 0, y, yo, 4 * L);
        return true;
    }

    /** total[l] = fma(blk[l], sc[l] * sa, total[l]) for l < n (a multiple of L). */
    private static void promote(float[] blk, float[] sc, float sa, float[] total, int n) {
        for (int l = 0; l < n; l += L) {
            FloatVector.fromArray(F, blk, l).fma(FloatVector.fromArray(F, sc, l).mul(sa), FloatVector.fromArray(F, total, l))
                    .intoArray(total, l);
        }
    }

    /**
     * One chunk of the four-group GEMV: transposes the 4L rows at off (4L codes each, from k), then
     * blk[group * L + l] = fma(a[ak0 + kk], code kk of row group * L + l, blk[..]) for kk ascending. Returns false
     * on a NaN code.
     */
    private static boolean gemvChunk4(MemorySegment data, long[] off, long k, int[] cols, float[] a, int ak0, float[] blk) {
        int q = L * L;
        boolean nan = transpose(data, off, 0, k, cols, 0, true);
        nan |= transpose(data, off, L, k, cols, q, true);
        nan |= transpose(data, off, 2 * L, k, cols, 2 * q, true);
        nan |= transpose(data, off, 3 * L, k, cols, 3 * q, true);
        if (nan) return false;
        FloatVector blk0 = FloatVector.fromArray(F, blk, 0), blk1 = FloatVector.fromArray(F, blk, L);
        FloatVector blk2 = FloatVector.fromArray(F, blk, 2 * L), blk3 = FloatVector.fromArray(F, blk, 3 * L);
        for (int kk = 0; kk < CHUNK; kk++) {
            // code kk of each lane's row: byte kk % 4 of int kk / 4, shifted to the top
            int o = (kk >> 2) * L, shift = 24 - 8 * (kk & 3);
            FloatVector x = FloatVector.broadcast(F, a[ak0 + kk]);
            blk0 = x.fma(IntVector.fromArray(I, cols, o).lanewise(VectorOperators.LSHL, shift).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats().mul(FP8_SCALE), blk0);
            blk1 = x.fma(IntVector.fromArray(I, cols, q + o).lanewise(VectorOperators.LSHL, shift).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats().mul(FP8_SCALE), blk1);
            blk2 = x.fma(IntVector.fromArray(I, cols, 2 * q + o).lanewise(VectorOperators.LSHL, shift).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats().mul(FP8_SCALE), blk2);
            blk3 = x.fma(IntVector.fromArray(I, cols, 3 * q + o).lanewise(VectorOperators.LSHL, shift).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats().mul(FP8_SCALE), blk3);
        }
        blk0.intoArray(blk, 0);
        blk1.intoArray(blk, L);
        blk2.intoArray(blk, 2 * L);
        blk3.intoArray(blk, 3 * L);
        return true;
    }

    /** acc = one row of a against the L FP8 W rows at s.laneOffsets, decoded in registers. */
    private static void gemvFp8(SimdGemmProblem p, int i, int g, float[] acc, SimdGemmScratch s) {
        long[] off = s.laneOffsets;
        int[] cols = s.staged;
        float[] a = p.a;
        MemorySegment data = p.data;
        FloatVector total = FloatVector.zero(F);
        int ar = i * p.k;
        for (int b = 0; b < p.kBlocks; b++) {
            int k0 = b * p.blockCols;
            int k1 = Math.min(p.k, k0 + p.blockCols);
            FloatVector blk = FloatVector.zero(F);
            int k = k0;
            for (; k + CHUNK <= k1; k += CHUNK) {
                boolean nan = transpose(data, off, k, cols, true);
                for (int kk = 0; kk < CHUNK; kk++) {
                    IntVector t = IntVector.fromArray(I, cols, (kk >> 2) * L).lanewise(VectorOperators.LSHL, 24 - 8 * (kk & 3));
                    FloatVector w = t.lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats().mul(FP8_SCALE);
                    if (nan) w = w.blend(Float.NaN, w.abs().compare(VectorOperators.EQ, 480f));
                    blk = FloatVector.broadcast(F, a[ar + k + kk]).fma(w, blk);
                }
            }
            for (; k < k1; k++) {
                gatherBytes(data, off, k, s.laneInts);
                FloatVector w = IntVector.fromArray(I, s.laneInts, 0).lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 4).and(FP8_MASK).reinterpretAsFloats().mul(FP8_SCALE);
                blk = FloatVector.broadcast(F, a[ar + k]).fma(w.blend(Float.NaN, w.abs().compare(VectorOperators.EQ, 480f)), blk);
            }
            for (int l = 0; l < L; l++) acc[l] = p.weightScale(Math.min(g + l, p.n - 1), b);
            total = blk.fma(FloatVector.fromArray(F, acc, 0).mul(p.activationScale(i, b)), total);
        }
        total.intoArray(acc, 0);
    }

    /**
     * y[yo .. yo + 4L) = one row of a against the 4L bf16 W rows from g (all valid; blocks and K whole chunks of 2L
     * values), as four independent FMA chains: per row the canonical order of {@link #gemvDense} (values in
     * ascending k within a block, block sums added in block order), so the same bits.
     */
    private static void gemvBf16x4(SimdGemmProblem p, int i, int g, float[] y, int yo, SimdGemmScratch s) {
        long[] off = s.laneOffsets;
        float[] blk = s.blockSums;
        float[] total = s.totals;
        for (int l = 0; l < 4 * L; l++) off[l] = 2L * (g + l) * p.k;
        java.util.Arrays.fill(total, 0, 4 * L, 0f);
        int ar = i * p.k;
        for (int b = 0; b < p.kBlocks; b++) {
            int k0 = b * p.blockCols;
            int k1 = Math.min(p.k, k0 + p.blockCols);
            java.util.Arrays.fill(blk, 0, 4 * L, 0f);
            for (int k = k0; k < k1; k += CHUNK / 2) bf16Chunk4(p.data, off, 2L * k, s.staged, p.a, ar + k, blk);
            for (int l = 0; l < 4 * L; l += L) {
                FloatVector.fromArray(F, blk, l).fma(FloatVector.broadcast(F, 1f), FloatVector.fromArray(F, total, l)).intoArray(total, l);
            }
        }
        System.arraycopy(total, 0, y, yo, 4 * L);
    }

    /**
     * One chunk of {@link #gemvBf16x4}: transposes the 4L rows at off (2L values each, from byte delta), then
     * blk[group * L + l] = fma(a[ak0 + kk], value kk of row group * L + l, blk[..]) for kk ascending: int c of a row
     * holds values 2c (low half) and 2c + 1 (high half).
     */
    private static void bf16Chunk4(MemorySegment data, long[] off, long delta, int[] cols, float[] a, int ak0, float[] blk) {
        int q = L * L;
        transpose(data, off, 0, delta, cols, 0, false);
        transpose(data, off, L, delta, cols, q, false);
        transpose(data, off, 2 * L, delta, cols, 2 * q, false);
        transpose(data, off, 3 * L, delta, cols, 3 * q, false);
        FloatVector blk0 = FloatVector.fromArray(F, blk, 0), blk1 = FloatVector.fromArray(F, blk, L);
        FloatVector blk2 = FloatVector.fromArray(F, blk, 2 * L), blk3 = FloatVector.fromArray(F, blk, 3 * L);
        for (int c = 0; c < L; c++) {
            int o = c * L;
            FloatVector lo = FloatVector.broadcast(F, a[ak0 + 2 * c]), hi = FloatVector.broadcast(F, a[ak0 + 2 * c + 1]);
            IntVector t0 = IntVector.fromArray(I, cols, o), t1 = IntVector.fromArray(I, cols, q + o);
            IntVector t2 = IntVector.fromArray(I, cols, 2 * q + o), t3 = IntVector.fromArray(I, cols, 3 * q + o);
            blk0 = lo.fma(t0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), blk0);
            blk1 = lo.fma(t1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), blk1);
            blk2 = lo.fma(t2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), blk2);
            blk3 = lo.fma(t3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), blk3);
            blk0 = hi.fma(t0.and(0xFFFF0000).reinterpretAsFloats(), blk0);
            blk1 = hi.fma(t1.and(0xFFFF0000).reinterpretAsFloats(), blk1);
            blk2 = hi.fma(t2.and(0xFFFF0000).reinterpretAsFloats(), blk2);
            blk3 = hi.fma(t3.and(0xFFFF0000).reinterpretAsFloats(), blk3);
        }
        blk0.intoArray(blk, 0);
        blk1.intoArray(blk, L);
        blk2.intoArray(blk, 2 * L);
        blk3.intoArray(blk, 3 * L);
    }

    /** acc = one row of a against the L dense W rows at s.laneOffsets (blocks of 128, scale 1). */
    private static void gemvDense(SimdGemmProblem p, int i, int g, float[] acc, SimdGemmScratch s) {
        long[] off = s.laneOffsets;
        int[] cols = s.staged;
        float[] a = p.a;
        MemorySegment data = p.data;
        FloatVector total = FloatVector.zero(F);
        int ar = i * p.k;
        for (int b = 0; b < p.kBlocks; b++) {
            int k0 = b * p.blockCols;
            int k1 = Math.min(p.k, k0 + p.blockCols);
            FloatVector blk = FloatVector.zero(F);
            int k = k0;
            switch (p.kind) {
                case SimdGemmProblem.BF16 -> {
                    for (; k + CHUNK / 2 <= k1; k += CHUNK / 2) {
                        transpose(data, off, 2L * k, cols, false);
                        for (int c = 0; c < L; c++) {
                            IntVector t = IntVector.fromArray(I, cols, c * L);
                            int ak = ar + k + 2 * c;
                            blk = FloatVector.broadcast(F, a[ak]).fma(t.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), blk);
                            blk = FloatVector.broadcast(F, a[ak + 1]).fma(t.and(0xFFFF0000).reinterpretAsFloats(), blk);
                        }
                    }
                    for (; k < k1; k++) {
                        gatherShorts(data, off, 2L * k, s.laneInts);
                        blk = FloatVector.broadcast(F, a[ar + k]).fma(IntVector.fromArray(I, s.laneInts, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), blk);
                    }
                }
                case SimdGemmProblem.F32 -> {
                    for (; k + CHUNK / 4 <= k1; k += CHUNK / 4) {
                        transpose(data, off, 4L * k, cols, false);
                        for (int c = 0; c < L; c++) {
                            FloatVector w = IntVector.fromArray(I, cols, c * L).reinterpretAsFloats();
                            blk = FloatVector.broadcast(F, a[ar + k + c]).fma(w, blk);
                        }
                    }
                    for (; k < k1; k++) {
                        gatherFloats(data, off, 4L * k, s.laneFloats);
                        blk = FloatVector.broadcast(F, a[ar + k]).fma(FloatVector.fromArray(F, s.laneFloats, 0), blk);
                    }
                }
                default -> {
                    for (; k < k1; k++) {
                        gatherGeneric(p, g, k, s.laneFloats);
                        blk = FloatVector.broadcast(F, a[ar + k]).fma(FloatVector.fromArray(F, s.laneFloats, 0), blk);
                    }
                }
            }
            total = blk.fma(FloatVector.broadcast(F, 1f), total);
        }
        total.intoArray(acc, 0);
    }

    // ---------------------------------------------------------------- transposed loads and decoders

    /** Byte offsets of element (row, k0) of the L rows from row0, clamped to the last row (unused for the generic dtype). */
    private static void laneRows(SimdGemmProblem p, int row0, int k0, long[] off) {
        long bytes = switch (p.kind) {
            case SimdGemmProblem.FP8 -> 1;
            case SimdGemmProblem.BF16 -> 2;
            case SimdGemmProblem.F32 -> 4;
            default -> 0;
        };
        for (int l = 0; l < L; l++) off[l] = ((long) Math.min(row0 + l, p.n - 1) * p.k + k0) * bytes;
    }

    /** L rows x 4L bytes at off[l] + delta, transposed: cols[c * L + l] = the 4 bytes at off[l] + delta + 4c; for fp8, whether any is a NaN code. */
    private static boolean transpose(MemorySegment data, long[] off, long delta, int[] cols, boolean fp8) {
        return transpose(data, off, 0, delta, cols, 0, fp8);
    }

    /** The same for the L rows at off[o ..], into cols[co ..]. */
    private static boolean transpose(MemorySegment data, long[] off, int o, long delta, int[] cols, int co, boolean fp8) {
        if (L == 16) return transpose16(data, off, o, delta, cols, co, fp8);
        if (L == 8) return transpose8(data, off, o, delta, cols, co, fp8);
        return transpose4(data, off, o, delta, cols, co, fp8);
    }

    /** 16 rows x 64 bytes from off[o + l] + delta, transposed in registers into cols[co + c * L + l] (the 4 bytes at off[l] + delta + 4c). */
    private static boolean transpose16(MemorySegment data, long[] off, int o, long delta, int[] cols, int co, boolean fp8) {
        IntVector r0 = IntVector.fromMemorySegment(I, data, off[o + 0] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r1 = IntVector.fromMemorySegment(I, data, off[o + 1] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r2 = IntVector.fromMemorySegment(I, data, off[o + 2] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r3 = IntVector.fromMemorySegment(I, data, off[o + 3] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r4 = IntVector.fromMemorySegment(I, data, off[o + 4] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r5 = IntVector.fromMemorySegment(I, data, off[o + 5] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r6 = IntVector.fromMemorySegment(I, data, off[o + 6] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r7 = IntVector.fromMemorySegment(I, data, off[o + 7] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r8 = IntVector.fromMemorySegment(I, data, off[o + 8] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r9 = IntVector.fromMemorySegment(I, data, off[o + 9] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r10 = IntVector.fromMemorySegment(I, data, off[o + 10] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r11 = IntVector.fromMemorySegment(I, data, off[o + 11] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r12 = IntVector.fromMemorySegment(I, data, off[o + 12] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r13 = IntVector.fromMemorySegment(I, data, off[o + 13] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r14 = IntVector.fromMemorySegment(I, data, off[o + 14] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r15 = IntVector.fromMemorySegment(I, data, off[o + 15] + delta, ByteOrder.LITTLE_ENDIAN);
        boolean nan = false;
        if (fp8) {
            ByteVector m = r0.reinterpretAsBytes().and((byte) 0x7F);
            m = m.max(r1.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r2.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r3.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r4.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r5.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r6.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r7.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r8.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r9.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r10.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r11.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r12.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r13.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r14.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r15.reinterpretAsBytes().and((byte) 0x7F));
            nan = m.compare(VectorOperators.EQ, (byte) 0x7F).anyTrue();
        }
        IntVector s0x0 = LO8.selectFrom(r0, r8), s0x8 = HI8.selectFrom(r0, r8);
        IntVector s0x1 = LO8.selectFrom(r1, r9), s0x9 = HI8.selectFrom(r1, r9);
        IntVector s0x2 = LO8.selectFrom(r2, r10), s0x10 = HI8.selectFrom(r2, r10);
        IntVector s0x3 = LO8.selectFrom(r3, r11), s0x11 = HI8.selectFrom(r3, r11);
        IntVector s0x4 = LO8.selectFrom(r4, r12), s0x12 = HI8.selectFrom(r4, r12);
        IntVector s0x5 = LO8.selectFrom(r5, r13), s0x13 = HI8.selectFrom(r5, r13);
        IntVector s0x6 = LO8.selectFrom(r6, r14), s0x14 = HI8.selectFrom(r6, r14);
        IntVector s0x7 = LO8.selectFrom(r7, r15), s0x15 = HI8.selectFrom(r7, r15);
        IntVector s1x0 = LO4.selectFrom(s0x0, s0x4), s1x4 = HI4.selectFrom(s0x0, s0x4);
        IntVector s1x1 = LO4.selectFrom(s0x1, s0x5), s1x5 = HI4.selectFrom(s0x1, s0x5);
        IntVector s1x2 = LO4.selectFrom(s0x2, s0x6), s1x6 = HI4.selectFrom(s0x2, s0x6);
        IntVector s1x3 = LO4.selectFrom(s0x3, s0x7), s1x7 = HI4.selectFrom(s0x3, s0x7);
        IntVector s1x8 = LO4.selectFrom(s0x8, s0x12), s1x12 = HI4.selectFrom(s0x8, s0x12);
        IntVector s1x9 = LO4.selectFrom(s0x9, s0x13), s1x13 = HI4.selectFrom(s0x9, s0x13);
        IntVector s1x10 = LO4.selectFrom(s0x10, s0x14), s1x14 = HI4.selectFrom(s0x10, s0x14);
        IntVector s1x11 = LO4.selectFrom(s0x11, s0x15), s1x15 = HI4.selectFrom(s0x11, s0x15);
        IntVector s2x0 = LO2.selectFrom(s1x0, s1x2), s2x2 = HI2.selectFrom(s1x0, s1x2);
        IntVector s2x1 = LO2.selectFrom(s1x1, s1x3), s2x3 = HI2.selectFrom(s1x1, s1x3);
        IntVector s2x4 = LO2.selectFrom(s1x4, s1x6), s2x6 = HI2.selectFrom(s1x4, s1x6);
        IntVector s2x5 = LO2.selectFrom(s1x5, s1x7), s2x7 = HI2.selectFrom(s1x5, s1x7);
        IntVector s2x8 = LO2.selectFrom(s1x8, s1x10), s2x10 = HI2.selectFrom(s1x8, s1x10);
        IntVector s2x9 = LO2.selectFrom(s1x9, s1x11), s2x11 = HI2.selectFrom(s1x9, s1x11);
        IntVector s2x12 = LO2.selectFrom(s1x12, s1x14), s2x14 = HI2.selectFrom(s1x12, s1x14);
        IntVector s2x13 = LO2.selectFrom(s1x13, s1x15), s2x15 = HI2.selectFrom(s1x13, s1x15);
        IntVector s3x0 = LO1.selectFrom(s2x0, s2x1), s3x1 = HI1.selectFrom(s2x0, s2x1);
        IntVector s3x2 = LO1.selectFrom(s2x2, s2x3), s3x3 = HI1.selectFrom(s2x2, s2x3);
        IntVector s3x4 = LO1.selectFrom(s2x4, s2x5), s3x5 = HI1.selectFrom(s2x4, s2x5);
        IntVector s3x6 = LO1.selectFrom(s2x6, s2x7), s3x7 = HI1.selectFrom(s2x6, s2x7);
        IntVector s3x8 = LO1.selectFrom(s2x8, s2x9), s3x9 = HI1.selectFrom(s2x8, s2x9);
        IntVector s3x10 = LO1.selectFrom(s2x10, s2x11), s3x11 = HI1.selectFrom(s2x10, s2x11);
        IntVector s3x12 = LO1.selectFrom(s2x12, s2x13), s3x13 = HI1.selectFrom(s2x12, s2x13);
        IntVector s3x14 = LO1.selectFrom(s2x14, s2x15), s3x15 = HI1.selectFrom(s2x14, s2x15);
        s3x0.intoArray(cols, co + 0);
        s3x1.intoArray(cols, co + 16);
        s3x2.intoArray(cols, co + 32);
        s3x3.intoArray(cols, co + 48);
        s3x4.intoArray(cols, co + 64);
        s3x5.intoArray(cols, co + 80);
        s3x6.intoArray(cols, co + 96);
        s3x7.intoArray(cols, co + 112);
        s3x8.intoArray(cols, co + 128);
        s3x9.intoArray(cols, co + 144);
        s3x10.intoArray(cols, co + 160);
        s3x11.intoArray(cols, co + 176);
        s3x12.intoArray(cols, co + 192);
        s3x13.intoArray(cols, co + 208);
        s3x14.intoArray(cols, co + 224);
        s3x15.intoArray(cols, co + 240);
        return nan;
    }

    /** 8 rows x 32 bytes from off[o + l] + delta, transposed in registers into cols[co + c * L + l] (the 4 bytes at off[l] + delta + 4c). */
    private static boolean transpose8(MemorySegment data, long[] off, int o, long delta, int[] cols, int co, boolean fp8) {
        IntVector r0 = IntVector.fromMemorySegment(I, data, off[o + 0] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r1 = IntVector.fromMemorySegment(I, data, off[o + 1] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r2 = IntVector.fromMemorySegment(I, data, off[o + 2] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r3 = IntVector.fromMemorySegment(I, data, off[o + 3] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r4 = IntVector.fromMemorySegment(I, data, off[o + 4] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r5 = IntVector.fromMemorySegment(I, data, off[o + 5] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r6 = IntVector.fromMemorySegment(I, data, off[o + 6] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r7 = IntVector.fromMemorySegment(I, data, off[o + 7] + delta, ByteOrder.LITTLE_ENDIAN);
        boolean nan = false;
        if (fp8) {
            ByteVector m = r0.reinterpretAsBytes().and((byte) 0x7F);
            m = m.max(r1.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r2.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r3.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r4.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r5.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r6.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r7.reinterpretAsBytes().and((byte) 0x7F));
            nan = m.compare(VectorOperators.EQ, (byte) 0x7F).anyTrue();
        }
        IntVector s0x0 = LO4.selectFrom(r0, r4), s0x4 = HI4.selectFrom(r0, r4);
        IntVector s0x1 = LO4.selectFrom(r1, r5), s0x5 = HI4.selectFrom(r1, r5);
        IntVector s0x2 = LO4.selectFrom(r2, r6), s0x6 = HI4.selectFrom(r2, r6);
        IntVector s0x3 = LO4.selectFrom(r3, r7), s0x7 = HI4.selectFrom(r3, r7);
        IntVector s1x0 = LO2.selectFrom(s0x0, s0x2), s1x2 = HI2.selectFrom(s0x0, s0x2);
        IntVector s1x1 = LO2.selectFrom(s0x1, s0x3), s1x3 = HI2.selectFrom(s0x1, s0x3);
        IntVector s1x4 = LO2.selectFrom(s0x4, s0x6), s1x6 = HI2.selectFrom(s0x4, s0x6);
        IntVector s1x5 = LO2.selectFrom(s0x5, s0x7), s1x7 = HI2.selectFrom(s0x5, s0x7);
        IntVector s2x0 = LO1.selectFrom(s1x0, s1x1), s2x1 = HI1.selectFrom(s1x0, s1x1);
        IntVector s2x2 = LO1.selectFrom(s1x2, s1x3), s2x3 = HI1.selectFrom(s1x2, s1x3);
        IntVector s2x4 = LO1.selectFrom(s1x4, s1x5), s2x5 = HI1.selectFrom(s1x4, s1x5);
        IntVector s2x6 = LO1.selectFrom(s1x6, s1x7), s2x7 = HI1.selectFrom(s1x6, s1x7);
        s2x0.intoArray(cols, co + 0);
        s2x1.intoArray(cols, co + 8);
        s2x2.intoArray(cols, co + 16);
        s2x3.intoArray(cols, co + 24);
        s2x4.intoArray(cols, co + 32);
        s2x5.intoArray(cols, co + 40);
        s2x6.intoArray(cols, co + 48);
        s2x7.intoArray(cols, co + 56);
        return nan;
    }

    /** 4 rows x 16 bytes from off[o + l] + delta, transposed in registers into cols[co + c * L + l] (the 4 bytes at off[l] + delta + 4c). */
    private static boolean transpose4(MemorySegment data, long[] off, int o, long delta, int[] cols, int co, boolean fp8) {
        IntVector r0 = IntVector.fromMemorySegment(I, data, off[o + 0] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r1 = IntVector.fromMemorySegment(I, data, off[o + 1] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r2 = IntVector.fromMemorySegment(I, data, off[o + 2] + delta, ByteOrder.LITTLE_ENDIAN);
        IntVector r3 = IntVector.fromMemorySegment(I, data, off[o + 3] + delta, ByteOrder.LITTLE_ENDIAN);
        boolean nan = false;
        if (fp8) {
            ByteVector m = r0.reinterpretAsBytes().and((byte) 0x7F);
            m = m.max(r1.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r2.reinterpretAsBytes().and((byte) 0x7F));
            m = m.max(r3.reinterpretAsBytes().and((byte) 0x7F));
            nan = m.compare(VectorOperators.EQ, (byte) 0x7F).anyTrue();
        }
        IntVector s0x0 = LO2.selectFrom(r0, r2), s0x2 = HI2.selectFrom(r0, r2);
        IntVector s0x1 = LO2.selectFrom(r1, r3), s0x3 = HI2.selectFrom(r1, r3);
        IntVector s1x0 = LO1.selectFrom(s0x0, s0x1), s1x1 = HI1.selectFrom(s0x0, s0x1);
        IntVector s1x2 = LO1.selectFrom(s0x2, s0x3), s1x3 = HI1.selectFrom(s0x2, s0x3);
        s1x0.intoArray(cols, co + 0);
        s1x1.intoArray(cols, co + 4);
        s1x2.intoArray(cols, co + 8);
        s1x3.intoArray(cols, co + 12);
        return nan;
    }


    /*
     * The gathers fill an array that the caller loads: a method returning a vector would box it whenever C2 does not
     * inline the method (see the class comment).
     */

    /** gi[l] = the 2 little-endian bytes at off[l] + delta, sign-extended. */
    private static void gatherShorts(MemorySegment data, long[] off, long delta, int[] gi) {
        for (int l = 0; l < L; l++) gi[l] = data.get(SimdLayouts.I16, off[l] + delta);
    }

    /** gi[l] = the byte at off[l] + delta, sign-extended. */
    private static void gatherBytes(MemorySegment data, long[] off, long delta, int[] gi) {
        for (int l = 0; l < L; l++) gi[l] = data.get(SimdLayouts.I8, off[l] + delta);
    }

    /** gf[l] = the fp32 at off[l] + delta. */
    private static void gatherFloats(MemorySegment data, long[] off, long delta, float[] gf) {
        for (int l = 0; l < L; l++) gf[l] = data.get(SimdLayouts.F32, off[l] + delta);
    }

    /** gf[l] = element (row0 + l, col) of a weight of any other dtype (rows clamped to the last). */
    private static void gatherGeneric(SimdGemmProblem p, int row0, int col, float[] gf) {
        DenseWeight w = (DenseWeight) p.weight;
        for (int l = 0; l < L; l++) gf[l] = w.getFloat((long) Math.min(row0 + l, p.n - 1) * p.k + col);
    }

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
