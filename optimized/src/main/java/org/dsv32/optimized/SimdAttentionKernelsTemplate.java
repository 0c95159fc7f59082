package org.dsv32.optimized;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The one source of {@link SimdAttentionKernels}; {@link SimdSpecies#kernels} makes a copy per vector width, each
 * with its own constant species. No nested classes or lambdas here (see {@link SimdSpecies}).
 */
final class SimdAttentionKernelsTemplate implements SimdAttentionKernels {
    static final int BITS = SimdSpecies.templateBits(MethodHandles.lookup());
    static final VectorSpecies<Float> F = SimdSpecies.floatSpecies(BITS);
    static final int L = F == null ? 1 : F.length();

    /** Partner lanes i ^ h of the reduction steps (null where h >= the lane count). */
    static final VectorShuffle<Float> FX1 = xorF(1), FX2 = xorF(2), FX4 = xorF(4), FX8 = xorF(8);

    /** Bytes from one dim's row of a key tile to the next, and the byte order of the native key tiles. */
    private static final long ROW_BYTES = 4L * KEY_TILE;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    SimdAttentionKernelsTemplate() {}

    private static VectorShuffle<Float> xorF(int h) {
        if (F == null || h >= L) return null;
        int[] idx = new int[L];
        for (int i = 0; i < L; i++) idx[i] = i ^ h;
        return VectorShuffle.fromArray(F, idx, 0);
    }

    /*
     * Lane sums are folded in a fixed tree order (halves folded first, then quarters, ...), by lane-wise adds written
     * out at each use: "FOLD". Not reduceLanes(ADD): its order is unspecified, and the interpreted fallback
     * (sequential) and the compiled intrinsic (a tree) give different bits for the same input, so a result would
     * depend on whether, and on which thread, the JIT had compiled the method yet. Not a helper method taking the
     * vector: C2 inlines our own methods only up to its node count cutoff, and a vector passed to a method that was
     * not inlined is boxed and every operation on it runs the Java fallback (see SimdGemmKernelsTemplate).
     */

    @Override public int bits() { return BITS; }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        float s = 0f;
        if (F != null) {
            FloatVector acc = FloatVector.zero(F);
            for (int ub = F.loopBound(n); i < ub; i += L) {
                acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
            }
            if (L >= 16) acc = acc.add(acc.rearrange(FX8));
            if (L >= 8) acc = acc.add(acc.rearrange(FX4));
            if (L >= 4) acc = acc.add(acc.rearrange(FX2));
            if (L >= 2) acc = acc.add(acc.rearrange(FX1));
            s = acc.lane(0); // FOLD
        }
        for (; i < n; i++) s = Math.fma(a[aOff + i], b[bOff + i], s);
        return s;
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        if (F != null) {
            FloatVector va = FloatVector.broadcast(F, alpha);
            for (int ub = F.loopBound(n); i < ub; i += L) {
                FloatVector.fromArray(F, x, xOff + i).fma(va, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) y[yOff + i] = Math.fma(x[xOff + i], alpha, y[yOff + i]);
    }

    @Override
    public void axpyRows(float[] alpha, int aOff, int rows, float[] x, int xOff, int xStride, float[] y, int yOff, int n) {
        int i = 0;
        if (F != null) {
            int ub = F.loopBound(n);
            for (; i + 4 * L <= ub; i += 4 * L) axpyRows4(alpha, aOff, rows, x, xOff + i, xStride, y, yOff + i);
            for (; i < ub; i += L) axpyRows1(alpha, aOff, rows, x, xOff + i, xStride, y, yOff + i);
        }
        if (i < n) axpyRowsTail(alpha, aOff, rows, x, xOff, xStride, y, yOff, i, n);
    }

    /** {@link #axpyRows} on the L values from y[yOff]. */
    private static void axpyRows1(float[] alpha, int aOff, int rows, float[] x, int xOff, int xStride, float[] y, int yOff) {
        FloatVector acc = FloatVector.fromArray(F, y, yOff);
        for (int r = 0, xo = xOff; r < rows; r++, xo += xStride) {
            acc = FloatVector.fromArray(F, x, xo).fma(FloatVector.broadcast(F, alpha[aOff + r]), acc);
        }
        acc.intoArray(y, yOff);
    }

    /** {@link #axpyRows} on values [i0, n), scalar. */
    private static void axpyRowsTail(float[] alpha, int aOff, int rows, float[] x, int xOff, int xStride, float[] y, int yOff, int i0, int n) {
        for (int i = i0; i < n; i++) {
            float acc = y[yOff + i];
            for (int r = 0; r < rows; r++) acc = Math.fma(x[xOff + r * xStride + i], alpha[aOff + r], acc);
            y[yOff + i] = acc;
        }
    }

    /** {@link #axpyRows} on the 4L values from y[yOff], x from xOff (all in range). */
    private static void axpyRows4(float[] alpha, int aOff, int rows, float[] x, int xOff, int xStride, float[] y, int yOff) {
        FloatVector a0 = FloatVector.fromArray(F, y, yOff), a1 = FloatVector.fromArray(F, y, yOff + L);
        FloatVector a2 = FloatVector.fromArray(F, y, yOff + 2 * L), a3 = FloatVector.fromArray(F, y, yOff + 3 * L);
        for (int r = 0, xo = xOff; r < rows; r++, xo += xStride) {
            FloatVector va = FloatVector.broadcast(F, alpha[aOff + r]);
            a0 = FloatVector.fromArray(F, x, xo).fma(va, a0);
            a1 = FloatVector.fromArray(F, x, xo + L).fma(va, a1);
            a2 = FloatVector.fromArray(F, x, xo + 2 * L).fma(va, a2);
            a3 = FloatVector.fromArray(F, x, xo + 3 * L).fma(va, a3);
        }
        a0.intoArray(y, yOff);
        a1.intoArray(y, yOff + L);
        a2.intoArray(y, yOff + 2 * L);
        a3.intoArray(y, yOff + 3 * L);
    }

    @Override
    public void dots(float[] a, int aOff, int aStride, int rows, float[] b, int bOff, int n, float[] out, int outOff) {
        int r = 0;
        if (F != null) for (; r + 4 <= rows; r += 4) dots4(a, aOff + r * aStride, aStride, b, bOff, n, out, outOff + r);
        for (; r < rows; r++) out[outOff + r] = dot(a, aOff + r * aStride, b, bOff, n);
    }

    /** Four rows of {@link #dots}: each the lane accumulation, lane tree (FOLD) and scalar tail of {@link #dot}. */
    private static void dots4(float[] a, int aOff, int aStride, float[] b, int bOff, int n, float[] out, int outOff) {
        int o0 = aOff, o1 = aOff + aStride, o2 = aOff + 2 * aStride, o3 = aOff + 3 * aStride;
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
        int i = 0;
        for (int ub = F.loopBound(n); i < ub; i += L) {
            FloatVector vb = FloatVector.fromArray(F, b, bOff + i);
            c0 = FloatVector.fromArray(F, a, o0 + i).fma(vb, c0);
            c1 = FloatVector.fromArray(F, a, o1 + i).fma(vb, c1);
            c2 = FloatVector.fromArray(F, a, o2 + i).fma(vb, c2);
            c3 = FloatVector.fromArray(F, a, o3 + i).fma(vb, c3);
        }
        if (L >= 16) c0 = c0.add(c0.rearrange(FX8));
        if (L >= 8) c0 = c0.add(c0.rearrange(FX4));
        if (L >= 4) c0 = c0.add(c0.rearrange(FX2));
        if (L >= 2) c0 = c0.add(c0.rearrange(FX1));
        if (L >= 16) c1 = c1.add(c1.rearrange(FX8));
        if (L >= 8) c1 = c1.add(c1.rearrange(FX4));
        if (L >= 4) c1 = c1.add(c1.rearrange(FX2));
        if (L >= 2) c1 = c1.add(c1.rearrange(FX1));
        if (L >= 16) c2 = c2.add(c2.rearrange(FX8));
        if (L >= 8) c2 = c2.add(c2.rearrange(FX4));
        if (L >= 4) c2 = c2.add(c2.rearrange(FX2));
        if (L >= 2) c2 = c2.add(c2.rearrange(FX1));
        if (L >= 16) c3 = c3.add(c3.rearrange(FX8));
        if (L >= 8) c3 = c3.add(c3.rearrange(FX4));
        if (L >= 4) c3 = c3.add(c3.rearrange(FX2));
        if (L >= 2) c3 = c3.add(c3.rearrange(FX1));
        float s0 = c0.lane(0), s1 = c1.lane(0), s2 = c2.lane(0), s3 = c3.lane(0); // FOLD
        for (; i < n; i++) {
            float vb = b[bOff + i];
            s0 = Math.fma(a[o0 + i], vb, s0);
            s1 = Math.fma(a[o1 + i], vb, s1);
            s2 = Math.fma(a[o2 + i], vb, s2);
            s3 = Math.fma(a[o3 + i], vb, s3);
        }
        out[outOff] = s0;
        out[outOff + 1] = s1;
        out[outOff + 2] = s2;
        out[outOff + 3] = s3;
    }

    @Override
    public void dots2(float[] a, int aOff, int aStride, int rows, float[] b, int bOff, int bOff2, int n, float[] out, int outOff, int outOff2) {
        int r = 0;
        if (F != null) for (; r + 4 <= rows; r += 4) dots2x4(a, aOff + r * aStride, aStride, b, bOff, bOff2, n, out, outOff + r, outOff2 + r);
        for (; r < rows; r++) {
            out[outOff + r] = dot(a, aOff + r * aStride, b, bOff, n);
            out[outOff2 + r] = dot(a, aOff + r * aStride, b, bOff2, n);
        }
    }

    /** Four a rows against two b rows: eight chains of {@link #dot}'s lane accumulation, fold (FOLD) and tail. */
    private static void dots2x4(float[] a, int aOff, int aStride, float[] b, int bOff, int bOff2, int n, float[] out, int outOff, int outOff2) {
        int o0 = aOff, o1 = aOff + aStride, o2 = aOff + 2 * aStride, o3 = aOff + 3 * aStride;
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0, d0 = c0, d1 = c0, d2 = c0, d3 = c0;
        int i = 0;
        for (int ub = F.loopBound(n); i < ub; i += L) {
            FloatVector vb = FloatVector.fromArray(F, b, bOff + i), wb = FloatVector.fromArray(F, b, bOff2 + i);
            FloatVector a0 = FloatVector.fromArray(F, a, o0 + i), a1 = FloatVector.fromArray(F, a, o1 + i);
            FloatVector a2 = FloatVector.fromArray(F, a, o2 + i), a3 = FloatVector.fromArray(F, a, o3 + i);
            c0 = a0.fma(vb, c0);
            d0 = a0.fma(wb, d0);
            c1 = a1.fma(vb, c1);
            d1 = a1.fma(wb, d1);
            c2 = a2.fma(vb, c2);
            d2 = a2.fma(wb, d2);
            c3 = a3.fma(vb, c3);
            d3 = a3.fma(wb, d3);
        }
        if (L >= 16) c0 = c0.add(c0.rearrange(FX8));
        if (L >= 8) c0 = c0.add(c0.rearrange(FX4));
        if (L >= 4) c0 = c0.add(c0.rearrange(FX2));
        if (L >= 2) c0 = c0.add(c0.rearrange(FX1));
        if (L >= 16) c1 = c1.add(c1.rearrange(FX8));
        if (L >= 8) c1 = c1.add(c1.rearrange(FX4));
        if (L >= 4) c1 = c1.add(c1.rearrange(FX2));
        if (L >= 2) c1 = c1.add(c1.rearrange(FX1));
        if (L >= 16) c2 = c2.add(c2.rearrange(FX8));
        if (L >= 8) c2 = c2.add(c2.rearrange(FX4));
        if (L >= 4) c2 = c2.add(c2.rearrange(FX2));
        if (L >= 2) c2 = c2.add(c2.rearrange(FX1));
        if (L >= 16) c3 = c3.add(c3.rearrange(FX8));
        if (L >= 8) c3 = c3.add(c3.rearrange(FX4));
        if (L >= 4) c3 = c3.add(c3.rearrange(FX2));
        if (L >= 2) c3 = c3.add(c3.rearrange(FX1));
        if (L >= 16) d0 = d0.add(d0.rearrange(FX8));
        if (L >= 8) d0 = d0.add(d0.rearrange(FX4));
        if (L >= 4) d0 = d0.add(d0.rearrange(FX2));
        if (L >= 2) d0 = d0.add(d0.rearrange(FX1));
        if (L >= 16) d1 = d1.add(d1.rearrange(FX8));
        if (L >= 8) d1 = d1.add(d1.rearrange(FX4));
        if (L >= 4) d1 = d1.add(d1.rearrange(FX2));
        if (L >= 2) d1 = d1.add(d1.rearrange(FX1));
        if (L >= 16) d2 = d2.add(d2.rearrange(FX8));
        if (L >= 8) d2 = d2.add(d2.rearrange(FX4));
        if (L >= 4) d2 = d2.add(d2.rearrange(FX2));
        if (L >= 2) d2 = d2.add(d2.rearrange(FX1));
        if (L >= 16) d3 = d3.add(d3.rearrange(FX8));
        if (L >= 8) d3 = d3.add(d3.rearrange(FX4));
        if (L >= 4) d3 = d3.add(d3.rearrange(FX2));
        if (L >= 2) d3 = d3.add(d3.rearrange(FX1));
        float s0 = c0.lane(0), s1 = c1.lane(0), s2 = c2.lane(0), s3 = c3.lane(0); // FOLD
        float t0 = d0.lane(0), t1 = d1.lane(0), t2 = d2.lane(0), t3 = d3.lane(0); // FOLD
        for (; i < n; i++) {
            float vb = b[bOff + i], wb = b[bOff2 + i];
            s0 = Math.fma(a[o0 + i], vb, s0);
            s1 = Math.fma(a[o1 + i], vb, s1);
            s2 = Math.fma(a[o2 + i], vb, s2);
            s3 = Math.fma(a[o3 + i], vb, s3);
            t0 = Math.fma(a[o0 + i], wb, t0);
            t1 = Math.fma(a[o1 + i], wb, t1);
            t2 = Math.fma(a[o2 + i], wb, t2);
            t3 = Math.fma(a[o3 + i], wb, t3);
        }
        out[outOff] = s0;
        out[outOff + 1] = s1;
        out[outOff + 2] = s2;
        out[outOff + 3] = s3;
        out[outOff2] = t0;
        out[outOff2 + 1] = t1;
        out[outOff2 + 2] = t2;
        out[outOff2 + 3] = t3;
    }

    @Override
    public void gatherSums(float[] p, int pOff, int pStride, int rows, int[] idx, int idxOff, int m, float[] x, int xStride,
                           float[] y, int yOff, int yStride, int n, boolean accumulate) {
        int r = 0;
        if (F != null) {
            int ub = F.loopBound(n);
            for (; r + 4 <= rows; r += 4) {
                int i = 0;
                for (; i + 2 * L <= ub; i += 2 * L) {
                    gatherSums4x2(p, pOff + r * pStride, pStride, idx, idxOff, m, x, xStride, y, yOff + r * yStride + i, yStride, i, accumulate);
                }
                for (int q = 0; q < 4; q++) gatherSumsRow(p, pOff + (r + q) * pStride, idx, idxOff, m, x, xStride, y, yOff + (r + q) * yStride, i, n, accumulate);
            }
        }
        for (; r < rows; r++) gatherSumsRow(p, pOff + r * pStride, idx, idxOff, m, x, xStride, y, yOff + r * yStride, 0, n, accumulate);
    }

    /** {@link #gatherSums} of four rows on the 2L values from column i0 (y at yOff is row 0's column i0). */
    private static void gatherSums4x2(float[] p, int pOff, int pStride, int[] idx, int idxOff, int m, float[] x, int xStride,
                                      float[] y, int yOff, int yStride, int i0, boolean accumulate) {
        int y1 = yOff + yStride, y2 = y1 + yStride, y3 = y2 + yStride;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
        if (accumulate) {
            a0 = FloatVector.fromArray(F, y, yOff);
            a1 = FloatVector.fromArray(F, y, yOff + L);
            b0 = FloatVector.fromArray(F, y, y1);
            b1 = FloatVector.fromArray(F, y, y1 + L);
            c0 = FloatVector.fromArray(F, y, y2);
            c1 = FloatVector.fromArray(F, y, y2 + L);
            d0 = FloatVector.fromArray(F, y, y3);
            d1 = FloatVector.fromArray(F, y, y3 + L);
        }
        int p1 = pOff + pStride, p2 = p1 + pStride, p3 = p2 + pStride;
        for (int j = 0; j < m; j++) {
            int xo = idx[idxOff + j] * xStride + i0;
            FloatVector x0 = FloatVector.fromArray(F, x, xo), x1 = FloatVector.fromArray(F, x, xo + L);
            FloatVector w0 = FloatVector.broadcast(F, p[pOff + j]), w1 = FloatVector.broadcast(F, p[p1 + j]);
            FloatVector w2 = FloatVector.broadcast(F, p[p2 + j]), w3 = FloatVector.broadcast(F, p[p3 + j]);
            a0 = x0.fma(w0, a0);
            a1 = x1.fma(w0, a1);
            b0 = x0.fma(w1, b0);
            b1 = x1.fma(w1, b1);
            c0 = x0.fma(w2, c0);
            c1 = x1.fma(w2, c1);
            d0 = x0.fma(w3, d0);
            d1 = x1.fma(w3, d1);
        }
        a0.intoArray(y, yOff);
        a1.intoArray(y, yOff + L);
        b0.intoArray(y, y1);
        b1.intoArray(y, y1 + L);
        c0.intoArray(y, y2);
        c1.intoArray(y, y2 + L);
        d0.intoArray(y, y3);
        d1.intoArray(y, y3 + L);
    }

    /** {@link #gatherSums} of one row on columns [i0, n): whole vectors, then scalar. */
    private static void gatherSumsRow(float[] p, int pOff, int[] idx, int idxOff, int m, float[] x, int xStride, float[] y, int yOff,
                                      int i0, int n, boolean accumulate) {
        int i = i0;
        if (F != null) {
            for (int ub = F.loopBound(n); i < ub; i += L) {
                FloatVector acc = accumulate ? FloatVector.fromArray(F, y, yOff + i) : FloatVector.zero(F);
                for (int j = 0; j < m; j++) acc = FloatVector.fromArray(F, x, idx[idxOff + j] * xStride + i).fma(FloatVector.broadcast(F, p[pOff + j]), acc);
                acc.intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) {
            float acc = accumulate ? y[yOff + i] : 0f;
            for (int j = 0; j < m; j++) acc = Math.fma(x[idx[idxOff + j] * xStride + i], p[pOff + j], acc);
            y[yOff + i] = acc;
        }
    }

    @Override
    public void scale(float[] x, int off, int n, float s) {
        int i = 0;
        if (F != null) {
            for (int ub = F.loopBound(n); i < ub; i += L) FloatVector.fromArray(F, x, off + i).mul(s).intoArray(x, off + i);
        }
        for (; i < n; i++) x[off + i] *= s;
    }

    @Override
    public void indexScores(MemorySegment keys, int key0, int n, int dim, float[] q, int qOff, int heads, float[] w, int wOff, float[] out, int outOff) {
        if (F == null || L > KEY_TILE) {
            indexScoresScalar(keys, key0, n, dim, q, qOff, heads, w, wOff, out, outOff);
            return;
        }
        // the real model's 64 heads with 32 vector registers: eight per pass (sixteen chains), the running sums in registers
        int eights = L >= 16 ? heads / QUERY_GROUP * QUERY_GROUP : 0;
        float[] sums = new float[2 * L];
        for (int j = 0; j < n; j += 2 * L) {
            int kb = key0 + j, kb1 = kb + L;
            long o0 = 4L * ((kb / KEY_TILE) * KEY_TILE * dim + kb % KEY_TILE), o1 = 4L * ((kb1 / KEY_TILE) * KEY_TILE * dim + kb1 % KEY_TILE); // bytes
            if (eights > 0) indexHeads8(keys, o0, o1, dim, q, qOff, eights, w, wOff, sums);
            else java.util.Arrays.fill(sums, 0f);
            int h = eights; // then four heads per pass (eight chains), then one at a time
            for (; h + 4 <= heads; h += 4) indexHeads4(keys, o0, o1, dim, q, qOff + SimdAttentionKernels.packed(h, 0, dim), w, wOff + h, sums);
            for (; h < heads; h++) indexHeads1(keys, o0, o1, dim, q, qOff + SimdAttentionKernels.packed(h, 0, dim), w[wOff + h], sums);
            System.arraycopy(sums, 0, out, outOff + j, Math.min(2 * L, n - j)); // lanes past n dropped
        }
    }

    /**
     * Heads [0, heads) (a multiple of eight) of {@link #indexScores} on the two key vectors at byte offsets o0 and o1, eight per
     * pass: sixteen dot chains, then each head's ReLU term added to the sums in ascending head order, the sums kept
     * in registers across the passes and stored to sums[0, 2L) at the end. The query's eight values of one dim are
     * adjacent ({@link SimdAttentionKernels#QUERY_GROUP} layout) and both index strides are constants, so the loop
     * keeps one address per operand and no range check.
     */
    private static void indexHeads8(MemorySegment keys, long o0, long o1, int dim, float[] q, int qOff, int heads, float[] w, int wOff, float[] sums) {
        FloatVector z = FloatVector.zero(F), s0 = z, s1 = z;
        for (int h = 0; h < heads; h += 8) {
            int qh = qOff + h * dim, wh = wOff + h;
            FloatVector a0 = z, a1 = z, b0 = z, b1 = z, c0 = z, c1 = z, d0 = z, d1 = z;
            FloatVector e0 = z, e1 = z, f0 = z, f1 = z, g0 = z, g1 = z, i0 = z, i1 = z;
            for (int d = 0; d < dim; d++) {
                FloatVector k0 = FloatVector.fromMemorySegment(F, keys, o0 + d * ROW_BYTES, NATIVE), k1 = FloatVector.fromMemorySegment(F, keys, o1 + d * ROW_BYTES, NATIVE);
                int qd = qh + d * 8;
                FloatVector v = FloatVector.broadcast(F, q[qd]);
                a0 = k0.fma(v, a0);
                a1 = k1.fma(v, a1);
                v = FloatVector.broadcast(F, q[qd + 1]);
                b0 = k0.fma(v, b0);
                b1 = k1.fma(v, b1);
                v = FloatVector.broadcast(F, q[qd + 2]);
                c0 = k0.fma(v, c0);
                c1 = k1.fma(v, c1);
                v = FloatVector.broadcast(F, q[qd + 3]);
                d0 = k0.fma(v, d0);
                d1 = k1.fma(v, d1);
                v = FloatVector.broadcast(F, q[qd + 4]);
                e0 = k0.fma(v, e0);
                e1 = k1.fma(v, e1);
                v = FloatVector.broadcast(F, q[qd + 5]);
                f0 = k0.fma(v, f0);
                f1 = k1.fma(v, f1);
                v = FloatVector.broadcast(F, q[qd + 6]);
                g0 = k0.fma(v, g0);
                g1 = k1.fma(v, g1);
                v = FloatVector.broadcast(F, q[qd + 7]);
                i0 = k0.fma(v, i0);
                i1 = k1.fma(v, i1);
            }
            FloatVector wv = FloatVector.broadcast(F, w[wh]);
            s0 = a0.max(z).fma(wv, s0);
            s1 = a1.max(z).fma(wv, s1);
            wv = FloatVector.broadcast(F, w[wh + 1]);
            s0 = b0.max(z).fma(wv, s0);
            s1 = b1.max(z).fma(wv, s1);
            wv = FloatVector.broadcast(F, w[wh + 2]);
            s0 = c0.max(z).fma(wv, s0);
            s1 = c1.max(z).fma(wv, s1);
            wv = FloatVector.broadcast(F, w[wh + 3]);
            s0 = d0.max(z).fma(wv, s0);
            s1 = d1.max(z).fma(wv, s1);
            wv = FloatVector.broadcast(F, w[wh + 4]);
            s0 = e0.max(z).fma(wv, s0);
            s1 = e1.max(z).fma(wv, s1);
            wv = FloatVector.broadcast(F, w[wh + 5]);
            s0 = f0.max(z).fma(wv, s0);
            s1 = f1.max(z).fma(wv, s1);
            wv = FloatVector.broadcast(F, w[wh + 6]);
            s0 = g0.max(z).fma(wv, s0);
            s1 = g1.max(z).fma(wv, s1);
            wv = FloatVector.broadcast(F, w[wh + 7]);
            s0 = i0.max(z).fma(wv, s0);
            s1 = i1.max(z).fma(wv, s1);
        }
        s0.intoArray(sums, 0);
        s1.intoArray(sums, L);
    }

    /**
     * Four heads of {@link #indexScores} (q from qh, their values of one dim adjacent), on the two key vectors at o0
     * and o1: eight dot chains, then each head's ReLU term added to the running sums (sums[0, L) for o0's keys,
     * [L, 2L) for o1's), heads in ascending order.
     */
    private static void indexHeads4(MemorySegment keys, long o0, long o1, int dim, float[] q, int qh, float[] w, int wh, float[] sums) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, b0 = z, b1 = z, c0 = z, c1 = z, d0 = z, d1 = z;
        for (int d = 0; d < dim; d++) {
            FloatVector k0 = FloatVector.fromMemorySegment(F, keys, o0 + d * ROW_BYTES, NATIVE), k1 = FloatVector.fromMemorySegment(F, keys, o1 + d * ROW_BYTES, NATIVE);
            int qd = qh + d * QUERY_GROUP;
            FloatVector v = FloatVector.broadcast(F, q[qd]);
            a0 = k0.fma(v, a0);
            a1 = k1.fma(v, a1);
            v = FloatVector.broadcast(F, q[qd + 1]);
            b0 = k0.fma(v, b0);
            b1 = k1.fma(v, b1);
            v = FloatVector.broadcast(F, q[qd + 2]);
            c0 = k0.fma(v, c0);
            c1 = k1.fma(v, c1);
            v = FloatVector.broadcast(F, q[qd + 3]);
            d0 = k0.fma(v, d0);
            d1 = k1.fma(v, d1);
        }
        FloatVector s0 = FloatVector.fromArray(F, sums, 0), s1 = FloatVector.fromArray(F, sums, L);
        FloatVector wv = FloatVector.broadcast(F, w[wh]);
        s0 = a0.max(z).fma(wv, s0);
        s1 = a1.max(z).fma(wv, s1);
        wv = FloatVector.broadcast(F, w[wh + 1]);
        s0 = b0.max(z).fma(wv, s0);
        s1 = b1.max(z).fma(wv, s1);
        wv = FloatVector.broadcast(F, w[wh + 2]);
        s0 = c0.max(z).fma(wv, s0);
        s1 = c1.max(z).fma(wv, s1);
        wv = FloatVector.broadcast(F, w[wh + 3]);
        s0 = d0.max(z).fma(wv, s0);
        s1 = d1.max(z).fma(wv, s1);
        s0.intoArray(sums, 0);
        s1.intoArray(sums, L);
    }

    /** One head of {@link #indexScores} (q from qh in the packed layout), as {@link #indexHeads4}: two chains. */
    private static void indexHeads1(MemorySegment keys, long o0, long o1, int dim, float[] q, int qh, float wh, float[] sums) {
        FloatVector z = FloatVector.zero(F), a0 = z, a1 = z;
        for (int d = 0; d < dim; d++) {
            FloatVector v = FloatVector.broadcast(F, q[qh + d * QUERY_GROUP]);
            a0 = FloatVector.fromMemorySegment(F, keys, o0 + d * ROW_BYTES, NATIVE).fma(v, a0);
            a1 = FloatVector.fromMemorySegment(F, keys, o1 + d * ROW_BYTES, NATIVE).fma(v, a1);
        }
        FloatVector wv = FloatVector.broadcast(F, wh);
        a0.max(z).fma(wv, FloatVector.fromArray(F, sums, 0)).intoArray(sums, 0);
        a1.max(z).fma(wv, FloatVector.fromArray(F, sums, L)).intoArray(sums, L);
    }

    /** {@link #indexScores} one key at a time: the sequence each vector lane performs. */
    private static void indexScoresScalar(MemorySegment keys, int key0, int n, int dim, float[] q, int qOff, int heads, float[] w, int wOff, float[] out, int outOff) {
        for (int j = 0; j < n; j++) {
            int s = key0 + j, o = (s / KEY_TILE) * KEY_TILE * dim + s % KEY_TILE;
            float sum = 0f;
            for (int h = 0; h < heads; h++) {
                float dot = 0f;
                for (int d = 0; d < dim; d++) dot = Math.fma(keys.getAtIndex(ValueLayout.JAVA_FLOAT, o + d * KEY_TILE), q[qOff + SimdAttentionKernels.packed(h, d, dim)], dot);
                sum = Math.fma(Math.max(dot, 0f), w[wOff + h], sum);
            }
            out[outOff + j] = sum;
        }
    }
}
