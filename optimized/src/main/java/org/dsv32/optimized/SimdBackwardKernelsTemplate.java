package org.dsv32.optimized;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * The one source of the backward GEMM kernels ({@link SimdBackwardProblem}); {@link SimdSpecies#kernels} makes a
 * copy per vector width. The same rules as {@link SimdGemmKernelsTemplate} (whose register tile this follows): no
 * nested classes or lambdas, no method of ours takes or returns a vector, the micro-kernel written out one local per
 * register (it is generated: micro{MR}x{NR} holds accumulator c{i}{j} for row i and column vector j).
 *
 * <p>Vectors run across output columns, never across the inner dimension, so each lane carries one element through
 * the canonical order and there is no lane reduction. B is read in its natural layout, inner position by inner
 * position: L consecutive e4m3 codes of one B row are loaded as bytes, sign-extended to int lanes and decoded in
 * registers (a left shift by 20 puts the sign in bits 27..31 and the 7 exponent/mantissa bits in 20..26; the mask
 * keeps bit 31 and 20..26, which is the value times 2^-120, made exact by one multiply by 2^120; the NaN code
 * comes out as +-480 and is mapped to NaN where the codes may hold it) into a float panel of one inner block
 * ([128][P], one contiguous [128][NR L] slab per register-tile column group, so a slab stays in L1). A is packed
 * by its quantiser (MR rows interleaved per inner position), so the tile reads one sequential run per block. Two
 * orders, the same sums in the same order per element: block by block over the unit ({@code longInner}), or, for
 * one or two blocks, register tile by register tile through all of them, along C's rows ({@code shortInner}).
 * A ragged last block is summed over its real positions only (no padded products).
 */
final class SimdBackwardKernelsTemplate implements SimdBackwardKernels {
    static final int BITS = SimdSpecies.templateBits(MethodHandles.lookup());
    static final VectorSpecies<Float> F = SimdSpecies.floatSpecies(BITS);
    static final int L = F == null ? 1 : F.length();
    static final VectorSpecies<Integer> I = F == null ? null : VectorSpecies.of(int.class, F.vectorShape());
    /** Bytes of L codes: the narrowest byte vector holding L lanes (64 bits for L = 4: only its first half is used). */
    static final VectorSpecies<Byte> B = F == null ? null : VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, 8 * L)));
    /** L codes as a byte vector, for storing them (null where no byte vector has L lanes: L = 4). */
    static final VectorSpecies<Byte> CODES = L >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * L)) : null;
    static final int MR = SimdBackwardProblem.MR, NR = 4, BLOCK = SimdBackwardProblem.BLOCK;
    static final IntVector FP8_MASK = F == null ? null : IntVector.broadcast(I, 0x87F00000);
    static final FloatVector FP8_SCALE = F == null ? null : FloatVector.broadcast(F, Fp8Codec.DECODE_SCALE);

    SimdBackwardKernelsTemplate() {}

    @Override public int bits() { return BITS; }

    @Override
    public void gemm(SimdBackwardProblem p, int r0, int r1, int c0, int c1, SimdBackwardScratch s) {
        if (F == null) {
            scalar(p, r0, r1, c0, c1);
            return;
        }
        if (p.innerBlocks == 0) {
            for (int i = r0; i < Math.min(r1, p.rows); i++) java.util.Arrays.fill(p.c, i * p.cols + c0, i * p.cols + c1, 0f);
        } else if (p.innerBlocks <= 2) {
            shortInner(p, r0, r1, c0, c1, s);
        } else {
            longInner(p, r0, r1, c0, c1, s);
        }
    }

    /**
     * Three or more inner blocks (a plain Dgrad or Wgrad): block after block, each decoded once into the panel, which
     * stays in L1 slab by slab while every row group of the unit passes over it; the block sums are promoted into
     * the unit's tile (onto +0 for block 0, so the tile needs no zeroing), copied into C at the end.
     */
    private static void longInner(SimdBackwardProblem p, int r0, int r1, int c0, int c1, SimdBackwardScratch s) {
        int cols = c1 - c0, w = NR * L, pw = (cols + w - 1) / w * w;
        int g0 = r0 / MR, g1 = (r1 + MR - 1) / MR, tileRows = (g1 - g0) * MR;
        float[] panel = s.panel(BLOCK * pw);
        float[] tile = s.tile(tileRows * pw);
        float[] ws = s.colScales(pw);
        for (int b = 0; b < p.innerBlocks; b++) {
            int t0 = b * BLOCK, tl = Math.min(BLOCK, p.inner - t0);
            pack(p, t0, tl, c0, c1, pw, panel, 0);
            for (int c = 0; c < pw; c++) ws[c] = c < cols ? p.scaleB(b, c0 + c) : 0f;
            for (int j = 0; j < pw; j += w) {
                int slab = j / w * BLOCK * w;
                for (int g = g0; g < g1; g++) {
                    int i = g * MR, a0 = (b * p.groups + g) * BLOCK * MR, at = (i - r0) * pw + j;
                    micro6x4(p.ap, a0, tl, panel, slab, w, tile, at, pw, b == 0, tile, at, pw, ws, j,
                            p.scaleA(i, b), p.scaleA(i + 1, b), p.scaleA(i + 2, b), p.scaleA(i + 3, b), p.scaleA(i + 4, b), p.scaleA(i + 5, b));
                }
            }
        }
        int last = Math.min(r1, p.rows);
        for (int i = r0; i < last; i++) System.arraycopy(tile, (i - r0) * pw, p.c, i * p.cols + c0, cols);
    }

    /**
     * One or two inner blocks (an MoE expert's Wgrad: 104..150 tokens per group), where C's size, not the products,
     * sets the pace: C is written once per 128 or so multiply-adds per element, so the order is chosen for its stores.
     * Both blocks are decoded into the panel first; then row group by row group, sweeping the unit's columns, each
     * register tile runs through both blocks in turn (block 1 reads block 0's promotion back from L1, however short
     * the ragged block 1 is) and, when it lies wholly inside C (all MR rows, all w columns), stores its final sums
     * straight into C: consecutive stores then run along C's rows, which the hardware streams, instead of 6 rows
     * at a time down the unit, and no tile is zeroed and copied out (single thread, 2048 x 7168 with 128 or 150
     * tokens: 5 to 25 % less time than the block-by-block order through a tile on a shared machine, 64-67 % against
     * 56 % of the FMA peak where C stays in cache). The ragged register tiles promote into the tile, copied out at
     * the end.
     */
    private static void shortInner(SimdBackwardProblem p, int r0, int r1, int c0, int c1, SimdBackwardScratch s) {
        int cols = c1 - c0, w = NR * L, pw = (cols + w - 1) / w * w, nb = p.innerBlocks;
        int g0 = r0 / MR, g1 = (r1 + MR - 1) / MR, tileRows = (g1 - g0) * MR;
        int last = Math.min(r1, p.rows), fullW = cols / w * w, fullEnd = r0 + (last - r0) / MR * MR;
        float[] panel = s.panel(nb * BLOCK * pw);
        float[] tile = s.tile(tileRows * pw);
        float[] ws = s.colScales(nb * pw);
        for (int b = 0; b < nb; b++) {
            int t0 = b * BLOCK;
            pack(p, t0, Math.min(BLOCK, p.inner - t0), c0, c1, pw, panel, b * BLOCK * pw);
            for (int c = 0; c < pw; c++) ws[b * pw + c] = c < cols ? p.scaleB(b, c0 + c) : 0f;
        }
        for (int g = g0; g < g1; g++) {
            int i = g * MR;
            for (int j = 0; j < pw; j += w) {
                int slab = j / w * BLOCK * w, at = (i - r0) * pw + j;
                boolean inside = j < fullW && i < fullEnd;
                for (int b = 0; b < nb; b++) {
                    boolean direct = inside && b == nb - 1;
                    micro6x4(p.ap, (b * p.groups + g) * BLOCK * MR, Math.min(BLOCK, p.inner - b * BLOCK), panel, b * BLOCK * pw + slab, w,
                            tile, at, pw, b == 0, direct ? p.c : tile, direct ? i * p.cols + c0 + j : at, direct ? p.cols : pw, ws, b * pw + j,
                            p.scaleA(i, b), p.scaleA(i + 1, b), p.scaleA(i + 2, b), p.scaleA(i + 3, b), p.scaleA(i + 4, b), p.scaleA(i + 5, b));
                }
            }
        }
        for (int i = r0; i < last; i++) {
            int from = i < fullEnd ? fullW : 0;
            if (from < cols) System.arraycopy(tile, (i - r0) * pw + from, p.c, i * p.cols + c0 + from, cols - from);
        }
    }

    /** Decodes B rows t0 .. t0 + tl - 1, columns c0 .. c0 + pw - 1 (zero from c1 on), into the slabs of the panel from po on. */
    private static void pack(SimdBackwardProblem p, int t0, int tl, int c0, int c1, int pw, float[] panel, int po) {
        int w = NR * L;
        boolean fp8 = p.kind == SimdBackwardProblem.FP8, nan = p.nanCodes;
        MemorySegment codes = p.codes;
        long size = fp8 ? codes.byteSize() : 0;
        for (int t = 0; t < tl; t++) {
            long row = (long) (t0 + t) * p.cols;
            for (int g = 0; g < pw; g += L) {
                int col = c0 + g, dst = po + g / w * BLOCK * w + t * w + g % w;
                if (col + L <= c1 && (!fp8 || row + col + B.length() <= size)) {
                    if (fp8) {
                        IntVector c = (IntVector) ByteVector.fromMemorySegment(B, codes, row + col, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                        FloatVector v = c.lanewise(VectorOperators.LSHL, 20).and(FP8_MASK).reinterpretAsFloats().mul(FP8_SCALE);
                        if (nan) v = v.blend(Float.NaN, v.abs().compare(VectorOperators.EQ, 480f));
                        v.intoArray(panel, dst);
                    } else {
                        FloatVector.fromArray(F, p.values, (int) (row + col)).intoArray(panel, dst);
                    }
                } else {
                    for (int l = 0; l < L; l++) panel[dst + l] = col + l < c1 ? p.b(t0 + t, col + l) : 0f;
                }
            }
        }
    }

    /**
     * 6 packed rows of A times 4 vectors of panel columns over one block, then the promotion: the block sums times
     * both scales added onto +0 for the first block ({@code first}: ct is not read), else onto ct (row stride ldc),
     * stored to dt (row stride ldd; the unit's tile, or C itself after the last block).
     */
    private static void micro6x4(float[] ap, int a0, int tl, float[] wt, int j, int w, float[] ct, int c0, int ldc, boolean first, float[] dt, int d0, int ldd, float[] ws, int jw, float s0, float s1, float s2, float s3, float s4, float s5) {
        FloatVector c00 = FloatVector.zero(F); FloatVector c01 = FloatVector.zero(F); FloatVector c02 = FloatVector.zero(F); FloatVector c03 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F); FloatVector c11 = FloatVector.zero(F); FloatVector c12 = FloatVector.zero(F); FloatVector c13 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F); FloatVector c21 = FloatVector.zero(F); FloatVector c22 = FloatVector.zero(F); FloatVector c23 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F); FloatVector c31 = FloatVector.zero(F); FloatVector c32 = FloatVector.zero(F); FloatVector c33 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F); FloatVector c41 = FloatVector.zero(F); FloatVector c42 = FloatVector.zero(F); FloatVector c43 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F); FloatVector c51 = FloatVector.zero(F); FloatVector c52 = FloatVector.zero(F); FloatVector c53 = FloatVector.zero(F);
        for (int t = 0; t < tl; t++) {
            int wo = j + t * w;
            FloatVector w0 = FloatVector.fromArray(F, wt, wo + 0 * L);
            FloatVector w1 = FloatVector.fromArray(F, wt, wo + 1 * L);
            FloatVector w2 = FloatVector.fromArray(F, wt, wo + 2 * L);
            FloatVector w3 = FloatVector.fromArray(F, wt, wo + 3 * L);
            int at = a0 + t * MR;
            FloatVector x0 = FloatVector.broadcast(F, ap[at + 0]);
            c00 = x0.fma(w0, c00); c01 = x0.fma(w1, c01); c02 = x0.fma(w2, c02); c03 = x0.fma(w3, c03);
            FloatVector x1 = FloatVector.broadcast(F, ap[at + 1]);
            c10 = x1.fma(w0, c10); c11 = x1.fma(w1, c11); c12 = x1.fma(w2, c12); c13 = x1.fma(w3, c13);
            FloatVector x2 = FloatVector.broadcast(F, ap[at + 2]);
            c20 = x2.fma(w0, c20); c21 = x2.fma(w1, c21); c22 = x2.fma(w2, c22); c23 = x2.fma(w3, c23);
            FloatVector x3 = FloatVector.broadcast(F, ap[at + 3]);
            c30 = x3.fma(w0, c30); c31 = x3.fma(w1, c31); c32 = x3.fma(w2, c32); c33 = x3.fma(w3, c33);
            FloatVector x4 = FloatVector.broadcast(F, ap[at + 4]);
            c40 = x4.fma(w0, c40); c41 = x4.fma(w1, c41); c42 = x4.fma(w2, c42); c43 = x4.fma(w3, c43);
            FloatVector x5 = FloatVector.broadcast(F, ap[at + 5]);
            c50 = x5.fma(w0, c50); c51 = x5.fma(w1, c51); c52 = x5.fma(w2, c52); c53 = x5.fma(w3, c53);
        }
        // the first block promotes onto +0 (never -0: fma(b, s, +0) is what the zeroed accumulator of the canonical order gives)
        FloatVector z = FloatVector.zero(F);
        FloatVector sw0 = FloatVector.fromArray(F, ws, jw + 0 * L);
        FloatVector sw1 = FloatVector.fromArray(F, ws, jw + 1 * L);
        FloatVector sw2 = FloatVector.fromArray(F, ws, jw + 2 * L);
        FloatVector sw3 = FloatVector.fromArray(F, ws, jw + 3 * L);
        c00.fma(sw0.mul(s0), first ? z : FloatVector.fromArray(F, ct, c0 + 0 * ldc + 0 * L)).intoArray(dt, d0 + 0 * ldd + 0 * L);
        c01.fma(sw1.mul(s0), first ? z : FloatVector.fromArray(F, ct, c0 + 0 * ldc + 1 * L)).intoArray(dt, d0 + 0 * ldd + 1 * L);
        c02.fma(sw2.mul(s0), first ? z : FloatVector.fromArray(F, ct, c0 + 0 * ldc + 2 * L)).intoArray(dt, d0 + 0 * ldd + 2 * L);
        c03.fma(sw3.mul(s0), first ? z : FloatVector.fromArray(F, ct, c0 + 0 * ldc + 3 * L)).intoArray(dt, d0 + 0 * ldd + 3 * L);
        c10.fma(sw0.mul(s1), first ? z : FloatVector.fromArray(F, ct, c0 + 1 * ldc + 0 * L)).intoArray(dt, d0 + 1 * ldd + 0 * L);
        c11.fma(sw1.mul(s1), first ? z : FloatVector.fromArray(F, ct, c0 + 1 * ldc + 1 * L)).intoArray(dt, d0 + 1 * ldd + 1 * L);
        c12.fma(sw2.mul(s1), first ? z : FloatVector.fromArray(F, ct, c0 + 1 * ldc + 2 * L)).intoArray(dt, d0 + 1 * ldd + 2 * L);
        c13.fma(sw3.mul(s1), first ? z : FloatVector.fromArray(F, ct, c0 + 1 * ldc + 3 * L)).intoArray(dt, d0 + 1 * ldd + 3 * L);
        c20.fma(sw0.mul(s2), first ? z : FloatVector.fromArray(F, ct, c0 + 2 * ldc + 0 * L)).intoArray(dt, d0 + 2 * ldd + 0 * L);
        c21.fma(sw1.mul(s2), first ? z : FloatVector.fromArray(F, ct, c0 + 2 * ldc + 1 * L)).intoArray(dt, d0 + 2 * ldd + 1 * L);
        c22.fma(sw2.mul(s2), first ? z : FloatVector.fromArray(F, ct, c0 + 2 * ldc + 2 * L)).intoArray(dt, d0 + 2 * ldd + 2 * L);
        c23.fma(sw3.mul(s2), first ? z : FloatVector.fromArray(F, ct, c0 + 2 * ldc + 3 * L)).intoArray(dt, d0 + 2 * ldd + 3 * L);
        c30.fma(sw0.mul(s3), first ? z : FloatVector.fromArray(F, ct, c0 + 3 * ldc + 0 * L)).intoArray(dt, d0 + 3 * ldd + 0 * L);
        c31.fma(sw1.mul(s3), first ? z : FloatVector.fromArray(F, ct, c0 + 3 * ldc + 1 * L)).intoArray(dt, d0 + 3 * ldd + 1 * L);
        c32.fma(sw2.mul(s3), first ? z : FloatVector.fromArray(F, ct, c0 + 3 * ldc + 2 * L)).intoArray(dt, d0 + 3 * ldd + 2 * L);
        c33.fma(sw3.mul(s3), first ? z : FloatVector.fromArray(F, ct, c0 + 3 * ldc + 3 * L)).intoArray(dt, d0 + 3 * ldd + 3 * L);
        c40.fma(sw0.mul(s4), first ? z : FloatVector.fromArray(F, ct, c0 + 4 * ldc + 0 * L)).intoArray(dt, d0 + 4 * ldd + 0 * L);
        c41.fma(sw1.mul(s4), first ? z : FloatVector.fromArray(F, ct, c0 + 4 * ldc + 1 * L)).intoArray(dt, d0 + 4 * ldd + 1 * L);
        c42.fma(sw2.mul(s4), first ? z : FloatVector.fromArray(F, ct, c0 + 4 * ldc + 2 * L)).intoArray(dt, d0 + 4 * ldd + 2 * L);
        c43.fma(sw3.mul(s4), first ? z : FloatVector.fromArray(F, ct, c0 + 4 * ldc + 3 * L)).intoArray(dt, d0 + 4 * ldd + 3 * L);
        c50.fma(sw0.mul(s5), first ? z : FloatVector.fromArray(F, ct, c0 + 5 * ldc + 0 * L)).intoArray(dt, d0 + 5 * ldd + 0 * L);
        c51.fma(sw1.mul(s5), first ? z : FloatVector.fromArray(F, ct, c0 + 5 * ldc + 1 * L)).intoArray(dt, d0 + 5 * ldd + 1 * L);
        c52.fma(sw2.mul(s5), first ? z : FloatVector.fromArray(F, ct, c0 + 5 * ldc + 2 * L)).intoArray(dt, d0 + 5 * ldd + 2 * L);
        c53.fma(sw3.mul(s5), first ? z : FloatVector.fromArray(F, ct, c0 + 5 * ldc + 3 * L)).intoArray(dt, d0 + 5 * ldd + 3 * L);
    }

    @Override
    public void columnTiles(float[] a, int[] rowMap, int cols, int r0, int len, int c0, int width, ScaleFormat format, float[] scales, float[] q, int qOff,
                            int qld, int[] qMap, byte[] codes, int cOff, int cld) {
        int vw = F == null ? 0 : width / L * L;
        // amax down each column: max is order-free (NaN wins, abs drops the zero's sign), so this is absMax's value
        for (int v = 0; v < vw; v += L) {
            FloatVector acc = FloatVector.zero(F);
            for (int r = 0; r < len; r++) acc = acc.max(FloatVector.fromArray(F, a, (rowMap == null ? r0 + r : rowMap[r0 + r]) * cols + c0 + v).abs());
            acc.intoArray(scales, v);
        }
        for (int c = vw; c < width; c++) {
            float m = 0f;
            for (int r = 0; r < len; r++) m = Math.max(m, Math.abs(a[(rowMap == null ? r0 + r : rowMap[r0 + r]) * cols + c0 + c]));
            scales[c] = m;
        }
        for (int c = 0; c < width; c++) scales[c] = Fp8Codec.actQuantScale(scales[c], format);
        for (int r = 0; r < len; r++) {
            int row = (rowMap == null ? r0 + r : rowMap[r0 + r]) * cols + c0;
            for (int v = 0; v < vw; v += L) {
                IntVector c = SimdE4m3Lanes.encode(FloatVector.fromArray(F, a, row + v).div(FloatVector.fromArray(F, scales, v)));
                if (q != null) {
                    FloatVector d = SimdE4m3Lanes.decode(c, F);
                    if (qMap == null) d.intoArray(q, qOff + r * qld + v);
                    else d.intoArray(q, qOff + r * qld, qMap, v);
                }
                if (codes != null) {
                    if (CODES != null) {
                        c.convertShape(VectorOperators.I2B, CODES, 0).reinterpretAsBytes().intoArray(codes, cOff + r * cld + v);
                    } else {
                        for (int l = 0; l < L; l++) codes[cOff + r * cld + v + l] = (byte) c.lane(l);
                    }
                }
            }
            for (int col = vw; col < width; col++) {
                byte code = Fp8Codec.encodeE4M3(a[row + col] / scales[col]);
                if (q != null) q[qOff + r * qld + (qMap == null ? col : qMap[col])] = Fp8Codec.decodeE4M3(code);
                if (codes != null) codes[cOff + r * cld + col] = code;
            }
        }
    }

    /** The canonical order element by element (no vectors). */
    private static void scalar(SimdBackwardProblem p, int r0, int r1, int c0, int c1) {
        float[] col = new float[p.inner];
        int last = Math.min(r1, p.rows);
        for (int j = c0; j < c1; j++) {
            for (int t = 0; t < p.inner; t++) col[t] = p.b(t, j);
            for (int i = r0; i < last; i++) {
                float acc = 0f;
                for (int b = 0; b < p.innerBlocks; b++) {
                    int t1 = Math.min(p.inner, (b + 1) * BLOCK);
                    float blk = 0f;
                    for (int t = b * BLOCK; t < t1; t++) blk = Math.fma(p.ap[SimdBackwardProblem.packedIndex(p.groups, i, t)], col[t], blk);
                    acc = Math.fma(blk, p.scaleB(b, j) * p.scaleA(i, b), acc);
                }
                p.c[i * p.cols + j] = acc;
            }
        }
    }
}
