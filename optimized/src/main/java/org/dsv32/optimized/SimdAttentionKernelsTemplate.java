package org.dsv32.optimized;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
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
    /** Int lanes of the float shape: four FP8 codes each. */
    static final VectorSpecies<Integer> I32 = F == null ? null : VectorSpecies.of(int.class, F.vectorShape());

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
    public void gatherSums(float[] p, int pOff, int pStride, int rows, int[] idx, int idxOff, int m, float[] x, int xOff, int xStride,
                           float[] y, int yOff, int yStride, int n, boolean accumulate) {
        int r = 0;
        if (F != null) {
            int ub = F.loopBound(n);
            if (L >= 16) { // 32 vector registers: eight rows per pass, each gathered x vector loaded once for eight FMAs
                for (; r + 8 <= rows; r += 8) {
                    int i = 0;
                    for (; i + 2 * L <= ub; i += 2 * L) {
                        gatherSums8x2(p, pOff + r * pStride, pStride, idx, idxOff, m, x, xOff + i, xStride, y, yOff + r * yStride + i, yStride, accumulate);
                    }
                    for (int q = 0; q < 8; q++) gatherSumsRow(p, pOff + (r + q) * pStride, idx, idxOff, m, x, xOff, xStride, y, yOff + (r + q) * yStride, i, n, accumulate);
                }
            }
            for (; r + 4 <= rows; r += 4) {
                int i = 0;
                for (; i + 2 * L <= ub; i += 2 * L) {
                    gatherSums4x2(p, pOff + r * pStride, pStride, idx, idxOff, m, x, xOff + i, xStride, y, yOff + r * yStride + i, yStride, accumulate);
                }
                for (int q = 0; q < 4; q++) gatherSumsRow(p, pOff + (r + q) * pStride, idx, idxOff, m, x, xOff, xStride, y, yOff + (r + q) * yStride, i, n, accumulate);
            }
        }
        for (; r < rows; r++) gatherSumsRow(p, pOff + r * pStride, idx, idxOff, m, x, xOff, xStride, y, yOff + r * yStride, 0, n, accumulate);
    }

    /** {@link #gatherSums} of eight rows on the 2L values from x column xOff (y at yOff is row 0's first): as {@link #gatherSums4x2}, 16 chains. */
    private static void gatherSums8x2(float[] p, int pOff, int pStride, int[] idx, int idxOff, int m, float[] x, int xOff, int xStride,
                                      float[] y, int yOff, int yStride, boolean accumulate) {
        int y1 = yOff + yStride, y2 = y1 + yStride, y3 = y2 + yStride, y4 = y3 + yStride, y5 = y4 + yStride, y6 = y5 + yStride, y7 = y6 + yStride;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
        FloatVector e0 = a0, e1 = a0, f0 = a0, f1 = a0, g0 = a0, g1 = a0, h0 = a0, h1 = a0;
        if (accumulate) {
            a0 = FloatVector.fromArray(F, y, yOff);
            a1 = FloatVector.fromArray(F, y, yOff + L);
            b0 = FloatVector.fromArray(F, y, y1);
            b1 = FloatVector.fromArray(F, y, y1 + L);
            c0 = FloatVector.fromArray(F, y, y2);
            c1 = FloatVector.fromArray(F, y, y2 + L);
            d0 = FloatVector.fromArray(F, y, y3);
            d1 = FloatVector.fromArray(F, y, y3 + L);
            e0 = FloatVector.fromArray(F, y, y4);
            e1 = FloatVector.fromArray(F, y, y4 + L);
            f0 = FloatVector.fromArray(F, y, y5);
            f1 = FloatVector.fromArray(F, y, y5 + L);
            g0 = FloatVector.fromArray(F, y, y6);
            g1 = FloatVector.fromArray(F, y, y6 + L);
            h0 = FloatVector.fromArray(F, y, y7);
            h1 = FloatVector.fromArray(F, y, y7 + L);
        }
        int p1 = pOff + pStride, p2 = p1 + pStride, p3 = p2 + pStride, p4 = p3 + pStride, p5 = p4 + pStride, p6 = p5 + pStride, p7 = p6 + pStride;
        for (int j = 0; j < m; j++) {
            int xo = xOff + idx[idxOff + j] * xStride;
            FloatVector x0 = FloatVector.fromArray(F, x, xo), x1 = FloatVector.fromArray(F, x, xo + L);
            FloatVector w = FloatVector.broadcast(F, p[pOff + j]);
            a0 = x0.fma(w, a0);
            a1 = x1.fma(w, a1);
            w = FloatVector.broadcast(F, p[p1 + j]);
            b0 = x0.fma(w, b0);
            b1 = x1.fma(w, b1);
            w = FloatVector.broadcast(F, p[p2 + j]);
            c0 = x0.fma(w, c0);
            c1 = x1.fma(w, c1);
            w = FloatVector.broadcast(F, p[p3 + j]);
            d0 = x0.fma(w, d0);
            d1 = x1.fma(w, d1);
            w = FloatVector.broadcast(F, p[p4 + j]);
            e0 = x0.fma(w, e0);
            e1 = x1.fma(w, e1);
            w = FloatVector.broadcast(F, p[p5 + j]);
            f0 = x0.fma(w, f0);
            f1 = x1.fma(w, f1);
            w = FloatVector.broadcast(F, p[p6 + j]);
            g0 = x0.fma(w, g0);
            g1 = x1.fma(w, g1);
            w = FloatVector.broadcast(F, p[p7 + j]);
            h0 = x0.fma(w, h0);
            h1 = x1.fma(w, h1);
        }
        a0.intoArray(y, yOff);
        a1.intoArray(y, yOff + L);
        b0.intoArray(y, y1);
        b1.intoArray(y, y1 + L);
        c0.intoArray(y, y2);
        c1.intoArray(y, y2 + L);
        d0.intoArray(y, y3);
        d1.intoArray(y, y3 + L);
        e0.intoArray(y, y4);
        e1.intoArray(y, y4 + L);
        f0.intoArray(y, y5);
        f1.intoArray(y, y5 + L);
        g0.intoArray(y, y6);
        g1.intoArray(y, y6 + L);
        h0.intoArray(y, y7);
        h1.intoArray(y, y7 + L);
    }

    /** {@link #gatherSums} of four rows on the 2L values from x column xOff (y at yOff is row 0's first). */
    private static void gatherSums4x2(float[] p, int pOff, int pStride, int[] idx, int idxOff, int m, float[] x, int xOff, int xStride,
                                      float[] y, int yOff, int yStride, boolean accumulate) {
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
            int xo = xOff + idx[idxOff + j] * xStride;
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
    private static void gatherSumsRow(float[] p, int pOff, int[] idx, int idxOff, int m, float[] x, int xOff, int xStride, float[] y, int yOff,
                                      int i0, int n, boolean accumulate) {
        int i = i0;
        if (F != null) {
            for (int ub = F.loopBound(n); i < ub; i += L) {
                FloatVector acc = accumulate ? FloatVector.fromArray(F, y, yOff + i) : FloatVector.zero(F);
                for (int j = 0; j < m; j++) acc = FloatVector.fromArray(F, x, xOff + idx[idxOff + j] * xStride + i).fma(FloatVector.broadcast(F, p[pOff + j]), acc);
                acc.intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) {
            float acc = accumulate ? y[yOff + i] : 0f;
            for (int j = 0; j < m; j++) acc = Math.fma(x[xOff + idx[idxOff + j] * xStride + i], p[pOff + j], acc);
            y[yOff + i] = acc;
        }
    }

    @Override public boolean fp8Rows(int blockCols) { return F != null && blockCols % (4 * L) == 0; }

    /*
     * The FP8 row kernels read codes four to an int (little-endian: byte k of int i is column 4i + k of its row), an
     * int vector at a time, straight from the weight's storage: L ints, a "run" of 4L columns, lane l holding columns 4l .. 4l + 3. A row is first
     * decoded into a float buffer in run order (decodeRun: for each run c, buf[c + k L + l] = column c + 4l + k), then
     * the FMAs read the buffer: one decode per loop keeps each method within what C2 inlines of the Vector API in one
     * compilation (NodeCountInliningCutoff; past it the remaining vector operations run boxed).
     */

    /**
     * fp32(decodeE4M3(code) * s) of the code in the top byte of each lane of x, for every code but the NaN codes, in
     * normal fp32 arithmetic only: the seven magnitude bits on their fp32 places with the exponent rebased by 120
     * give the value of a normal code exactly, and 2^-7 (1 + m/8) for a subnormal one (exponent 0), whose value
     * m/8 2^-6 is then 2 f - 2^-6, exact in one FMA; the sign bit or-ed in; times s, the one rounding. (Not the
     * magnitude bits as an fp32 subnormal times 2^120, as Fp8Codec's scalar decode might: a subnormal operand costs
     * a microcode assist of some hundred cycles per vector on the development machine, and random codes put one in
     * nearly every vector.)
     */
    private static FloatVector decodeTop(IntVector x, float s) {
        IntVector mag = x.lanewise(VectorOperators.LSHR, 4).and(0x07F00000);
        FloatVector f = mag.add(0x3C000000).reinterpretAsFloats();
        f = f.blend(f.fma(2f, -0x1p-6f), f.compare(VectorOperators.LT, 0x1p-6f)); // f < 2^-6 exactly for the exponent-0 codes
        return f.reinterpretAsInts().or(x.and(0x80000000)).reinterpretAsFloats().mul(s);
    }

    /**
     * The first {@code whole} columns (whole runs) of the row whose codes start at int {@code cOff}, dequantised
     * with the scales rs[rsOff + column / bc] (bc a multiple of 4L), into buf from bufOff in run order.
     */
    private static void decodeRun(MemorySegment codes, long cOff, float[] rs, int rsOff, int bc, int whole, float[] buf, int bufOff) {
        // the scale's index c / bc counted, not divided: an integer division per run cost about as much as its decode
        for (int c = 0, si = rsOff, left = bc; c < whole; c += 4 * L) {
            IntVector t = IntVector.fromMemorySegment(I32, codes, cOff + c, ByteOrder.LITTLE_ENDIAN);
            float s = rs[si];
            for (int k = 0; k < 4; k++) decodeTop(t.lanewise(VectorOperators.LSHL, 24 - 8 * k), s).intoArray(buf, bufOff + c + k * L);
            left -= 4 * L;
            if (left == 0) {
                si++;
                left = bc;
            }
        }
    }

    /** Code i of the row whose codes start at byte {@code rowOff}, decoded ({@link Fp8Codec#decodeE4M3}). */
    private static float codeValue(MemorySegment codes, long rowOff, int i) {
        return Fp8Codec.decodeE4M3(codes.get(ValueLayout.JAVA_BYTE, rowOff + i));
    }

    @Override
    public void axpyRowsFp8(float[] alpha, int aOff, int rows, MemorySegment codes, long cOff, long cStride, float[] rs, int rsOff, int scols,
                            int bc, float[] y, int yOff, int n) {
        int whole = fp8Rows(bc) ? n / (4 * L) * (4 * L) : 0;
        if (whole > 0) {
            float[] buf = new float[whole], acc = new float[whole]; // acc: y's first whole columns in run order
            for (int r = 0; r < rows; r++) {
                decodeRun(codes, cOff + r * cStride, rs, rsOff + r * scols, bc, whole, buf, 0);
                axpy(alpha[aOff + r], buf, 0, acc, 0, whole); // the chain of column i: fma(w_{r,i}, alpha_r, acc_i)
            }
            for (int c = 0; c < whole; c += 4 * L) {
                for (int l = 0; l < L; l++) for (int k = 0; k < 4; k++) y[yOff + c + 4 * l + k] = acc[c + k * L + l];
            }
        }
        for (int i = whole; i < n; i++) {
            float acc = 0f;
            for (int r = 0; r < rows; r++) acc = Math.fma(codeValue(codes, cOff + r * cStride, i) * rs[rsOff + r * scols + i / bc], alpha[aOff + r], acc);
            y[yOff + i] = acc;
        }
    }

    @Override
    public void dotsFp8(MemorySegment codes, long cOff, long cStride, int rows, float[] rs, int rsOff, int scols, int bc, float[] b, int bOff, int n,
                        float[] out, int outOff) {
        int whole = fp8Rows(bc) ? n / (4 * L) * (4 * L) : 0;
        float[] bl = whole > 0 ? runOrder(b, bOff, whole) : null, buf = whole > 0 ? new float[whole] : null;
        for (int r = 0; r < rows; r++) {
            long co = cOff + r * cStride;
            int so = rsOff + r * scols;
            float s = 0f;
            if (whole > 0) {
                decodeRun(codes, co, rs, so, bc, whole, buf, 0);
                s = dotRuns(buf, 0, bl, whole);
            }
            for (int i = whole; i < n; i++) s = Math.fma(codeValue(codes, co, i) * rs[so + i / bc], b[bOff + i], s);
            out[outOff + r] = s;
        }
    }

    /**
     * The vector part of {@link #dotsRuns} on a row and b both in run order: chain k of each run from a[c + k L],
     * the chains added (0 + 1) + (2 + 3) lane-wise, then the lane tree (FOLD).
     */
    private static float dotRuns(float[] a, int aOff, float[] bl, int whole) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
        for (int i = 0; i < whole; i += 4 * L) {
            c0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, bl, i), c0);
            c1 = FloatVector.fromArray(F, a, aOff + i + L).fma(FloatVector.fromArray(F, bl, i + L), c1);
            c2 = FloatVector.fromArray(F, a, aOff + i + 2 * L).fma(FloatVector.fromArray(F, bl, i + 2 * L), c2);
            c3 = FloatVector.fromArray(F, a, aOff + i + 3 * L).fma(FloatVector.fromArray(F, bl, i + 3 * L), c3);
        }
        FloatVector acc = c0.add(c1).add(c2.add(c3));
        if (L >= 16) acc = acc.add(acc.rearrange(FX8));
        if (L >= 8) acc = acc.add(acc.rearrange(FX4));
        if (L >= 4) acc = acc.add(acc.rearrange(FX2));
        if (L >= 2) acc = acc.add(acc.rearrange(FX1));
        return acc.lane(0); // FOLD
    }

    /** Lane l reads column 4l of a run (+ k for code k): the float rows read in the FP8 kernels' lane order. */
    private static final int[] RUN_LANES = runLanes();

    private static int[] runLanes() {
        int[] m = new int[L];
        for (int l = 0; l < L; l++) m[l] = 4 * l;
        return m;
    }

    @Override
    public void dotsRuns(float[] a, int aOff, int aStride, int rows, float[] b, int bOff, int n, float[] out, int outOff) {
        int whole = F != null ? n / (4 * L) * (4 * L) : 0;
        float[] bl = whole > 0 ? runOrder(b, bOff, whole) : null;
        for (int r = 0; r < rows; r++) {
            int ao = aOff + r * aStride;
            float s = 0f;
            if (whole > 0) {
                FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
                for (int i = 0; i < whole; i += 4 * L) {
                    c0 = FloatVector.fromArray(F, a, ao + i, RUN_LANES, 0).fma(FloatVector.fromArray(F, bl, i), c0);
                    c1 = FloatVector.fromArray(F, a, ao + i + 1, RUN_LANES, 0).fma(FloatVector.fromArray(F, bl, i + L), c1);
                    c2 = FloatVector.fromArray(F, a, ao + i + 2, RUN_LANES, 0).fma(FloatVector.fromArray(F, bl, i + 2 * L), c2);
                    c3 = FloatVector.fromArray(F, a, ao + i + 3, RUN_LANES, 0).fma(FloatVector.fromArray(F, bl, i + 3 * L), c3);
                }
                FloatVector acc = c0.add(c1).add(c2.add(c3));
                if (L >= 16) acc = acc.add(acc.rearrange(FX8));
                if (L >= 8) acc = acc.add(acc.rearrange(FX4));
                if (L >= 4) acc = acc.add(acc.rearrange(FX2));
                if (L >= 2) acc = acc.add(acc.rearrange(FX1));
                s = acc.lane(0); // FOLD
            }
            for (int i = whole; i < n; i++) s = Math.fma(a[ao + i], b[bOff + i], s);
            out[outOff + r] = s;
        }
    }

    @Override
    public void runOrderRows(float[] src, int srcOff, int rows, int n, float[] dst, int dstOff) {
        int whole = F != null ? n / (4 * L) * (4 * L) : 0;
        for (int r = 0; r < rows; r++) {
            int so = srcOff + r * n, d = dstOff + r * n;
            for (int c = 0; c < whole; c += 4 * L) {
                for (int l = 0; l < L; l++) for (int k = 0; k < 4; k++) dst[d + c + k * L + l] = src[so + c + 4 * l + k];
            }
            System.arraycopy(src, so + whole, dst, d + whole, n - whole);
        }
    }

    @Override
    public void dotsRunOrdered(float[] a, int aOff, int aStride, int rows, float[] b, int bOff, int n, float[] out, int outOff) {
        int whole = F != null ? n / (4 * L) * (4 * L) : 0;
        float[] bl = whole > 0 ? runOrder(b, bOff, whole) : null;
        for (int r = 0; r < rows; r++) {
            int ao = aOff + r * aStride;
            float s = whole > 0 ? dotRuns(a, ao, bl, whole) : 0f;
            for (int i = whole; i < n; i++) s = Math.fma(a[ao + i], b[bOff + i], s);
            out[outOff + r] = s;
        }
    }

    @Override
    public void packBf16Pairs(float[] src, int srcOff, int rows, int n, int[] dst, int dstOff) {
        if (F == null || n % (2 * L) != 0) throw new IllegalArgumentException("bf16 pairs need vectors and whole pairs of them, got " + n + " columns at " + BITS + " bits");
        for (int r = 0; r < rows; r++) {
            int so = srcOff + r * n, d = dstOff + r * (n / 2);
            for (int c = 0; c < n; c += 2 * L) {
                for (int l = 0; l < L; l++) {
                    dst[d + c / 2 + l] = (Float.floatToRawIntBits(src[so + c + l]) & 0xFFFF0000) | (Float.floatToRawIntBits(src[so + c + L + l]) >>> 16);
                }
            }
        }
    }

    /** The high halves of x's lanes as floats (bf16 widened exactly). */
    private static FloatVector highBf16(IntVector x) { return x.and(0xFFFF0000).reinterpretAsFloats(); }

    /** The low halves of x's lanes as floats (bf16 widened exactly). */
    private static FloatVector lowBf16(IntVector x) { return x.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(); }

    @Override
    public void axpyRowsPacked(float[] alpha, int aOff, int rows, int[] x, int xOff, int xStride, float[] y, int yOff, int n) {
        if (F == null || n % (2 * L) != 0) throw new IllegalArgumentException("bf16 pairs need vectors and whole pairs of them, got " + n + " columns at " + BITS + " bits");
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) { // four y vectors in registers across the rows
            FloatVector a0 = FloatVector.fromArray(F, y, yOff + i), a1 = FloatVector.fromArray(F, y, yOff + i + L);
            FloatVector a2 = FloatVector.fromArray(F, y, yOff + i + 2 * L), a3 = FloatVector.fromArray(F, y, yOff + i + 3 * L);
            for (int r = 0, xo = xOff + i / 2; r < rows; r++, xo += xStride) {
                FloatVector va = FloatVector.broadcast(F, alpha[aOff + r]);
                IntVector v0 = IntVector.fromArray(I32, x, xo), v1 = IntVector.fromArray(I32, x, xo + L);
                a0 = highBf16(v0).fma(va, a0);
                a1 = lowBf16(v0).fma(va, a1);
                a2 = highBf16(v1).fma(va, a2);
                a3 = lowBf16(v1).fma(va, a3);
            }
            a0.intoArray(y, yOff + i);
            a1.intoArray(y, yOff + i + L);
            a2.intoArray(y, yOff + i + 2 * L);
            a3.intoArray(y, yOff + i + 3 * L);
        }
        for (; i < n; i += 2 * L) {
            FloatVector a0 = FloatVector.fromArray(F, y, yOff + i), a1 = FloatVector.fromArray(F, y, yOff + i + L);
            for (int r = 0, xo = xOff + i / 2; r < rows; r++, xo += xStride) {
                FloatVector va = FloatVector.broadcast(F, alpha[aOff + r]);
                IntVector v0 = IntVector.fromArray(I32, x, xo);
                a0 = highBf16(v0).fma(va, a0);
                a1 = lowBf16(v0).fma(va, a1);
            }
            a0.intoArray(y, yOff + i);
            a1.intoArray(y, yOff + i + L);
        }
    }

    @Override
    public void dotsRunPacked(int[] a, int aOff, int aStride, int rows, float[] b, int bOff, int n, float[] out, int outOff) {
        if (F == null || n % (4 * L) != 0) throw new IllegalArgumentException("packed runs need vectors and whole runs, got " + n + " columns at " + BITS + " bits");
        float[] bl = runOrder(b, bOff, n);
        for (int r = 0; r < rows; r++) {
            int ao = aOff + r * aStride;
            FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
            for (int i = 0; i < n; i += 4 * L) { // as dotRuns, chain k from the run's vector k
                IntVector v0 = IntVector.fromArray(I32, a, ao + i / 2), v1 = IntVector.fromArray(I32, a, ao + i / 2 + L);
                c0 = highBf16(v0).fma(FloatVector.fromArray(F, bl, i), c0);
                c1 = lowBf16(v0).fma(FloatVector.fromArray(F, bl, i + L), c1);
                c2 = highBf16(v1).fma(FloatVector.fromArray(F, bl, i + 2 * L), c2);
                c3 = lowBf16(v1).fma(FloatVector.fromArray(F, bl, i + 3 * L), c3);
            }
            FloatVector acc = c0.add(c1).add(c2.add(c3));
            if (L >= 16) acc = acc.add(acc.rearrange(FX8));
            if (L >= 8) acc = acc.add(acc.rearrange(FX4));
            if (L >= 4) acc = acc.add(acc.rearrange(FX2));
            if (L >= 2) acc = acc.add(acc.rearrange(FX1));
            out[outOff + r] = acc.lane(0); // FOLD
        }
    }

    /** b's first {@code whole} values (a multiple of 4L) in the lanes' order: bl[c + k L + l] = b[bOff + c + 4l + k] for each run c. */
    private static float[] runOrder(float[] b, int bOff, int whole) {
        float[] bl = new float[whole];
        for (int c = 0; c < whole; c += 4 * L) {
            for (int l = 0; l < L; l++) for (int k = 0; k < 4; k++) bl[c + k * L + l] = b[bOff + c + 4 * l + k];
        }
        return bl;
    }

    @Override
    public void keyLaneScores(float[] q, int qOff, int qStride, int rows, float[] kt, int width, int keys, int dims, float scale,
                              float[] out, int outOff, int outStride) {
        int jv = F == null ? 0 : keys - keys % (2 * L); // keys in whole pairs of vectors; the rest one at a time
        if (jv > 0) {
            int r = 0;
            if (L >= 16) { // 32 vector registers: eight rows by two key vectors, sixteen chains
                for (; r + 8 <= rows; r += 8) {
                    for (int j = 0; j < jv; j += 2 * L) keyLaneScores8x2(q, qOff + r * qStride, qStride, kt, width, j, dims, scale, out, outOff + r * outStride + j, outStride);
                }
            }
            for (; r + 4 <= rows; r += 4) {
                for (int j = 0; j < jv; j += 2 * L) keyLaneScores4x2(q, qOff + r * qStride, qStride, kt, width, j, dims, scale, out, outOff + r * outStride + j, outStride);
            }
            for (; r < rows; r++) { // two key vectors per pass: two independent chains
                int qr = qOff + r * qStride, or = outOff + r * outStride;
                for (int j = 0; j < jv; j += 2 * L) {
                    FloatVector a0 = FloatVector.zero(F), a1 = a0;
                    for (int c = 0, ko = j; c < dims; c++, ko += width) {
                        FloatVector w = FloatVector.broadcast(F, q[qr + c]);
                        a0 = FloatVector.fromArray(F, kt, ko).fma(w, a0);
                        a1 = FloatVector.fromArray(F, kt, ko + L).fma(w, a1);
                    }
                    a0.mul(scale).intoArray(out, or + j);
                    a1.mul(scale).intoArray(out, or + j + L);
                }
            }
        }
        for (int r = 0; r < rows; r++) keyLaneScoresTail(q, qOff + r * qStride, kt, width, jv, keys, dims, scale, out, outOff + r * outStride);
    }

    @Override
    public void gatherColumns(float[] src, int[] rowStarts, int rowsOff, int n, int dims, float[] dst, int dstOff, int width) {
        int j = 0;
        if (F != null) {
            for (; j + L <= n; j += L) {
                for (int c = 0; c < dims; c++) FloatVector.fromArray(F, src, c, rowStarts, rowsOff + j).intoArray(dst, dstOff + c * width + j);
            }
        }
        for (; j < n; j++) {
            int s0 = rowStarts[rowsOff + j];
            for (int c = 0; c < dims; c++) dst[dstOff + c * width + j] = src[s0 + c];
        }
    }

    /** {@link #keyLaneScores} of one row on keys [j0, keys), one at a time: the sequence of each lane. */
    private static void keyLaneScoresTail(float[] q, int qOff, float[] kt, int width, int j0, int keys, int dims, float scale, float[] out, int outOff) {
        for (int j = j0; j < keys; j++) {
            float acc = 0f;
            for (int c = 0; c < dims; c++) acc = Math.fma(kt[c * width + j], q[qOff + c], acc);
            out[outOff + j] = acc * scale;
        }
    }

    /** Four rows by the 2L keys from j of {@link #keyLaneScores}: eight chains over the dims. */
    private static void keyLaneScores4x2(float[] q, int qOff, int qStride, float[] kt, int width, int j, int dims, float scale,
                                         float[] out, int outOff, int outStride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
        int q1 = qOff + qStride, q2 = q1 + qStride, q3 = q2 + qStride;
        for (int c = 0, ko = j; c < dims; c++, ko += width) {
            FloatVector k0 = FloatVector.fromArray(F, kt, ko), k1 = FloatVector.fromArray(F, kt, ko + L);
            FloatVector w = FloatVector.broadcast(F, q[qOff + c]);
            a0 = k0.fma(w, a0);
            a1 = k1.fma(w, a1);
            w = FloatVector.broadcast(F, q[q1 + c]);
            b0 = k0.fma(w, b0);
            b1 = k1.fma(w, b1);
            w = FloatVector.broadcast(F, q[q2 + c]);
            c0 = k0.fma(w, c0);
            c1 = k1.fma(w, c1);
            w = FloatVector.broadcast(F, q[q3 + c]);
            d0 = k0.fma(w, d0);
            d1 = k1.fma(w, d1);
        }
        a0.mul(scale).intoArray(out, outOff);
        a1.mul(scale).intoArray(out, outOff + L);
        b0.mul(scale).intoArray(out, outOff + outStride);
        b1.mul(scale).intoArray(out, outOff + outStride + L);
        c0.mul(scale).intoArray(out, outOff + 2 * outStride);
        c1.mul(scale).intoArray(out, outOff + 2 * outStride + L);
        d0.mul(scale).intoArray(out, outOff + 3 * outStride);
        d1.mul(scale).intoArray(out, outOff + 3 * outStride + L);
    }

    /** Eight rows by the 2L keys from j of {@link #keyLaneScores}: sixteen chains over the dims. */
    private static void keyLaneScores8x2(float[] q, int qOff, int qStride, float[] kt, int width, int j, int dims, float scale,
                                         float[] out, int outOff, int outStride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
        FloatVector e0 = a0, e1 = a0, f0 = a0, f1 = a0, g0 = a0, g1 = a0, h0 = a0, h1 = a0;
        int q1 = qOff + qStride, q2 = q1 + qStride, q3 = q2 + qStride, q4 = q3 + qStride, q5 = q4 + qStride, q6 = q5 + qStride, q7 = q6 + qStride;
        for (int c = 0, ko = j; c < dims; c++, ko += width) {
            FloatVector k0 = FloatVector.fromArray(F, kt, ko), k1 = FloatVector.fromArray(F, kt, ko + L);
            FloatVector w = FloatVector.broadcast(F, q[qOff + c]);
            a0 = k0.fma(w, a0);
            a1 = k1.fma(w, a1);
            w = FloatVector.broadcast(F, q[q1 + c]);
            b0 = k0.fma(w, b0);
            b1 = k1.fma(w, b1);
            w = FloatVector.broadcast(F, q[q2 + c]);
            c0 = k0.fma(w, c0);
            c1 = k1.fma(w, c1);
            w = FloatVector.broadcast(F, q[q3 + c]);
            d0 = k0.fma(w, d0);
            d1 = k1.fma(w, d1);
            w = FloatVector.broadcast(F, q[q4 + c]);
            e0 = k0.fma(w, e0);
            e1 = k1.fma(w, e1);
            w = FloatVector.broadcast(F, q[q5 + c]);
            f0 = k0.fma(w, f0);
            f1 = k1.fma(w, f1);
            w = FloatVector.broadcast(F, q[q6 + c]);
            g0 = k0.fma(w, g0);
            g1 = k1.fma(w, g1);
            w = FloatVector.broadcast(F, q[q7 + c]);
            h0 = k0.fma(w, h0);
            h1 = k1.fma(w, h1);
        }
        a0.mul(scale).intoArray(out, outOff);
        a1.mul(scale).intoArray(out, outOff + L);
        b0.mul(scale).intoArray(out, outOff + outStride);
        b1.mul(scale).intoArray(out, outOff + outStride + L);
        c0.mul(scale).intoArray(out, outOff + 2 * outStride);
        c1.mul(scale).intoArray(out, outOff + 2 * outStride + L);
        d0.mul(scale).intoArray(out, outOff + 3 * outStride);
        d1.mul(scale).intoArray(out, outOff + 3 * outStride + L);
        e0.mul(scale).intoArray(out, outOff + 4 * outStride);
        e1.mul(scale).intoArray(out, outOff + 4 * outStride + L);
        f0.mul(scale).intoArray(out, outOff + 5 * outStride);
        f1.mul(scale).intoArray(out, outOff + 5 * outStride + L);
        g0.mul(scale).intoArray(out, outOff + 6 * outStride);
        g1.mul(scale).intoArray(out, outOff + 6 * outStride + L);
        h0.mul(scale).intoArray(out, outOff + 7 * outStride);
        h1.mul(scale).intoArray(out, outOff + 7 * outStride + L);
    }

    /*
     * exp for the softmax: x clamped to [-104, 0] (below, exp rounds to 0 in float32), n = round(x / ln 2) by the
     * 1.5 * 2^23 rounding trick, r = x - n ln 2 in two FMAs (ln 2 split in a short high part and the rest), e^r by
     * a degree-7 polynomial (Cephes' expf coefficients, about one ulp), then times 2^(n >> 1) (exact) and times
     * 2^(n - (n >> 1)) (the one rounding, into the subnormals for the smallest). Only FMA, multiply, add and exact
     * conversions: the scalar expF and every vector lane compute the same bits, interpreted or compiled. "EXP" marks
     * the vector copy of expF.
     */
    private static final float EXP_LOW = -104f, LOG2E = 1.44269504f, ROUND = 0x1.8p23f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
            P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /** e^x for x &lt;= 0 (NaN for NaN), the scalar form of every lane of {@link #softmax}'s exp. */
    static float expF(float x) {
        x = Math.max(x, EXP_LOW);
        float nf = (x * LOG2E + ROUND) - ROUND;
        float r = Math.fma(nf, -LN2_HI, x);
        r = Math.fma(nf, -LN2_LO, r);
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(P0, r, P1), r, P2), r, P3), r, P4), r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        int n = (int) nf, n1 = n >> 1;
        return y * Float.intBitsToFloat((n1 + 127) << 23) * Float.intBitsToFloat((n - n1 + 127) << 23);
    }

    @Override
    public void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = off; j < off + n; j++) max = Math.max(max, x[j]);
        int j = 0;
        if (F != null) {
            FloatVector vmax = FloatVector.broadcast(F, max);
            for (int ub = F.loopBound(n); j < ub; j += L) { // EXP
                FloatVector v = FloatVector.fromArray(F, x, off + j).sub(vmax).max(EXP_LOW);
                FloatVector nf = v.mul(LOG2E).add(ROUND).sub(ROUND);
                FloatVector r = nf.fma(FloatVector.broadcast(F, -LN2_HI), v);
                r = nf.fma(FloatVector.broadcast(F, -LN2_LO), r);
                FloatVector p = FloatVector.broadcast(F, P0).fma(r, FloatVector.broadcast(F, P1)).fma(r, FloatVector.broadcast(F, P2))
                        .fma(r, FloatVector.broadcast(F, P3)).fma(r, FloatVector.broadcast(F, P4)).fma(r, FloatVector.broadcast(F, P5));
                FloatVector y = p.fma(r.mul(r), r).add(1f);
                IntVector ni = (IntVector) nf.convert(VectorOperators.F2I, 0), n1 = ni.lanewise(VectorOperators.ASHR, 1);
                y.mul(n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                        .mul(ni.sub(n1).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats()).intoArray(x, off + j);
            }
        }
        for (; j < n; j++) x[off + j] = expF(x[off + j] - max);
        float sum = 0f;
        for (int i = off; i < off + n; i++) sum += x[i];
        j = 0;
        if (F != null) {
            FloatVector vs = FloatVector.broadcast(F, sum);
            for (int ub = F.loopBound(n); j < ub; j += L) FloatVector.fromArray(F, x, off + j).div(vs).intoArray(x, off + j);
        }
        for (; j < n; j++) x[off + j] /= sum;
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

    /** Heads per group of the head-lane layout: four vectors' lanes, a constant stride from row to row. */
    private static final int G = 4 * L;

    @Override public int headGroup() { return G; }

    @Override
    public void headLaneScores(float[] qt, int groups, int dims1, float[] x1, int[] starts1, int dims2, float[] x2, int[] starts2, int sOff, int keys,
                               int m, float scale, float[] out) {
        int dims = dims1 + dims2;
        for (int g = 0; g < groups; g++) {
            int qb = g * dims * G, ob = g * m * G;
            if (F == null) { // one lane's sequence per head
                for (int j = sOff; j < sOff + keys; j++) {
                    for (int h = 0; h < G; h++) {
                        float acc = 0f;
                        for (int c = 0; c < dims1; c++) acc = Math.fma(x1[starts1[j] + c], qt[qb + c * G + h], acc);
                        for (int c = 0; c < dims2; c++) acc = Math.fma(x2[starts2[j] + c], qt[qb + (dims1 + c) * G + h], acc);
                        out[ob + j * G + h] = acc * scale;
                    }
                }
                continue;
            }
            int j1 = sOff + keys - keys % 6;
            for (int j = sOff; j < j1; j += 6) headScores4x6(qt, qb, dims1, x1, starts1, dims2, x2, starts2, j, scale, out, ob);
            for (int j = j1; j < sOff + keys; j++) headScores4x1(qt, qb, dims1, x1, starts1, dims2, x2, starts2, j, scale, out, ob);
        }
    }

    /** Four head vectors (a group from qt's qb) by one key (j, an index of the starts) of {@link #headLaneScores}: four chains. */
    private static void headScores4x1(float[] qt, int qb, int dims1, float[] x1, int[] starts1, int dims2, float[] x2, int[] starts2, int j,
                                      float scale, float[] out, int ob) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int o1 = starts1[j], o2 = starts2[j];
        for (int c = 0; c < dims1; c++) {
            FloatVector w = FloatVector.broadcast(F, x1[o1 + c]);
            int q = qb + c * G;
            a0 = FloatVector.fromArray(F, qt, q).fma(w, a0); a1 = FloatVector.fromArray(F, qt, q + L).fma(w, a1);
            a2 = FloatVector.fromArray(F, qt, q + 2 * L).fma(w, a2); a3 = FloatVector.fromArray(F, qt, q + 3 * L).fma(w, a3);
        }
        for (int c = 0; c < dims2; c++) {
            FloatVector w = FloatVector.broadcast(F, x2[o2 + c]);
            int q = qb + (dims1 + c) * G;
            a0 = FloatVector.fromArray(F, qt, q).fma(w, a0); a1 = FloatVector.fromArray(F, qt, q + L).fma(w, a1);
            a2 = FloatVector.fromArray(F, qt, q + 2 * L).fma(w, a2); a3 = FloatVector.fromArray(F, qt, q + 3 * L).fma(w, a3);
        }
        int r = ob + j * G;
        a0.mul(scale).intoArray(out, r); a1.mul(scale).intoArray(out, r + L); a2.mul(scale).intoArray(out, r + 2 * L); a3.mul(scale).intoArray(out, r + 3 * L);
    }

    /**
     * Four head vectors (a group from qt's qb) by six keys (from j, an index of the starts) of {@link #headLaneScores}:
     * 24 chains, each key value broadcast once for the four. (Measured: the dims in L1-sized chunks, the chains
     * continued through out, were no faster in a decode step, whose keys come from memory.)
     */
    private static void headScores4x6(float[] qt, int qb, int dims1, float[] x1, int[] starts1, int dims2, float[] x2, int[] starts2, int j,
                                      float scale, float[] out, int ob) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0, d0 = a0, d1 = a0, d2 = a0, d3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0, f0 = a0, f1 = a0, f2 = a0, f3 = a0;
        for (int part = 0; part < 2; part++) { // the latent dims, then the rope dims: one chain
            float[] x = part == 0 ? x1 : x2;
            int[] st = part == 0 ? starts1 : starts2;
            int dims = part == 0 ? dims1 : dims2;
            int qp = qb + (part == 0 ? 0 : dims1 * G);
            int o0 = st[j], o1 = st[j + 1], o2 = st[j + 2], o3 = st[j + 3], o4 = st[j + 4], o5 = st[j + 5];
            for (int c = 0; c < dims; c++) {
                int q = qp + c * G;
                FloatVector q0 = FloatVector.fromArray(F, qt, q), q1 = FloatVector.fromArray(F, qt, q + L);
                FloatVector q2 = FloatVector.fromArray(F, qt, q + 2 * L), q3 = FloatVector.fromArray(F, qt, q + 3 * L);
                FloatVector w = FloatVector.broadcast(F, x[o0 + c]);
                a0 = q0.fma(w, a0); a1 = q1.fma(w, a1); a2 = q2.fma(w, a2); a3 = q3.fma(w, a3);
                w = FloatVector.broadcast(F, x[o1 + c]);
                b0 = q0.fma(w, b0); b1 = q1.fma(w, b1); b2 = q2.fma(w, b2); b3 = q3.fma(w, b3);
                w = FloatVector.broadcast(F, x[o2 + c]);
                c0 = q0.fma(w, c0); c1 = q1.fma(w, c1); c2 = q2.fma(w, c2); c3 = q3.fma(w, c3);
                w = FloatVector.broadcast(F, x[o3 + c]);
                d0 = q0.fma(w, d0); d1 = q1.fma(w, d1); d2 = q2.fma(w, d2); d3 = q3.fma(w, d3);
                w = FloatVector.broadcast(F, x[o4 + c]);
                e0 = q0.fma(w, e0); e1 = q1.fma(w, e1); e2 = q2.fma(w, e2); e3 = q3.fma(w, e3);
                w = FloatVector.broadcast(F, x[o5 + c]);
                f0 = q0.fma(w, f0); f1 = q1.fma(w, f1); f2 = q2.fma(w, f2); f3 = q3.fma(w, f3);
            }
        }
        int r0 = ob + (j + 0) * G;
        a0.mul(scale).intoArray(out, r0); a1.mul(scale).intoArray(out, r0 + L); a2.mul(scale).intoArray(out, r0 + 2 * L); a3.mul(scale).intoArray(out, r0 + 3 * L);
        int r1 = ob + (j + 1) * G;
        b0.mul(scale).intoArray(out, r1); b1.mul(scale).intoArray(out, r1 + L); b2.mul(scale).intoArray(out, r1 + 2 * L); b3.mul(scale).intoArray(out, r1 + 3 * L);
        int r2 = ob + (j + 2) * G;
        c0.mul(scale).intoArray(out, r2); c1.mul(scale).intoArray(out, r2 + L); c2.mul(scale).intoArray(out, r2 + 2 * L); c3.mul(scale).intoArray(out, r2 + 3 * L);
        int r3 = ob + (j + 3) * G;
        d0.mul(scale).intoArray(out, r3); d1.mul(scale).intoArray(out, r3 + L); d2.mul(scale).intoArray(out, r3 + 2 * L); d3.mul(scale).intoArray(out, r3 + 3 * L);
        int r4 = ob + (j + 4) * G;
        e0.mul(scale).intoArray(out, r4); e1.mul(scale).intoArray(out, r4 + L); e2.mul(scale).intoArray(out, r4 + 2 * L); e3.mul(scale).intoArray(out, r4 + 3 * L);
        int r5 = ob + (j + 5) * G;
        f0.mul(scale).intoArray(out, r5); f1.mul(scale).intoArray(out, r5 + L); f2.mul(scale).intoArray(out, r5 + 2 * L); f3.mul(scale).intoArray(out, r5 + 3 * L);
    }

    @Override
    public void headLaneSoftmax(float[] x, int off, int n) {
        if (F == null) { // one lane's sequence: softmax's
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) max = Math.max(max, x[off + j * G]);
            float sum = 0f;
            for (int j = 0; j < n; j++) {
                float e = expF(x[off + j * G] - max);
                x[off + j * G] = e;
                sum += e;
            }
            for (int j = 0; j < n; j++) x[off + j * G] /= sum;
            return;
        }
        FloatVector vmax = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < n; j++) vmax = vmax.max(FloatVector.fromArray(F, x, off + j * G));
        FloatVector sum = FloatVector.zero(F);
        for (int j = 0; j < n; j++) { // EXP, the sum over the rows ascending
            FloatVector v = FloatVector.fromArray(F, x, off + j * G).sub(vmax).max(EXP_LOW);
            FloatVector nf = v.mul(LOG2E).add(ROUND).sub(ROUND);
            FloatVector r = nf.fma(FloatVector.broadcast(F, -LN2_HI), v);
            r = nf.fma(FloatVector.broadcast(F, -LN2_LO), r);
            FloatVector p = FloatVector.broadcast(F, P0).fma(r, FloatVector.broadcast(F, P1)).fma(r, FloatVector.broadcast(F, P2))
                    .fma(r, FloatVector.broadcast(F, P3)).fma(r, FloatVector.broadcast(F, P4)).fma(r, FloatVector.broadcast(F, P5));
            FloatVector y = p.fma(r.mul(r), r).add(1f);
            IntVector ni = (IntVector) nf.convert(VectorOperators.F2I, 0), n1 = ni.lanewise(VectorOperators.ASHR, 1);
            FloatVector e = y.mul(n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(ni.sub(n1).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            e.intoArray(x, off + j * G);
            sum = sum.add(e);
        }
        for (int j = 0; j < n; j++) FloatVector.fromArray(F, x, off + j * G).div(sum).intoArray(x, off + j * G);
    }

    @Override
    public void headLaneSums(float[] p, int groups, int bigM, int pRow, int m, float[] x, int xOff, int n, float[] y, int bigR, int yRow, boolean accumulate) {
        for (int g = 0; g < groups; g++) {
            int pb = (g * bigM + pRow) * G, yb = (g * bigR + yRow) * G;
            if (F == null) { // one lane's sequence per head
                for (int i = 0; i < n; i++) {
                    for (int h = 0; h < G; h++) {
                        float acc = accumulate ? y[yb + i * G + h] : 0f;
                        for (int j = 0; j < m; j++) acc = Math.fma(x[xOff + j * LANE_SLICE + i], p[pb + j * G + h], acc);
                        y[yb + i * G + h] = acc;
                    }
                }
                continue;
            }
            int i = 0;
            for (; i + 4 <= n; i += 4) headSums4x4(p, pb, m, x, xOff + i, y, yb + i * G, accumulate);
            for (; i < n; i++) headSums4x1(p, pb, m, x, xOff + i, y, yb + i * G, accumulate);
        }
    }

    /** A group's four head vectors (p from pb) by one column (x from i) of {@link #headLaneSums}: four chains. */
    private static void headSums4x1(float[] p, int pb, int m, float[] x, int i, float[] y, int yo, boolean accumulate) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        if (accumulate) {
            a0 = FloatVector.fromArray(F, y, yo); a1 = FloatVector.fromArray(F, y, yo + L);
            a2 = FloatVector.fromArray(F, y, yo + 2 * L); a3 = FloatVector.fromArray(F, y, yo + 3 * L);
        }
        for (int j = 0; j < m; j++) {
            FloatVector w = FloatVector.broadcast(F, x[j * LANE_SLICE + i]);
            int po = pb + j * G;
            a0 = w.fma(FloatVector.fromArray(F, p, po), a0); a1 = w.fma(FloatVector.fromArray(F, p, po + L), a1);
            a2 = w.fma(FloatVector.fromArray(F, p, po + 2 * L), a2); a3 = w.fma(FloatVector.fromArray(F, p, po + 3 * L), a3);
        }
        a0.intoArray(y, yo); a1.intoArray(y, yo + L); a2.intoArray(y, yo + 2 * L); a3.intoArray(y, yo + 3 * L);
    }

    /** A group's four head vectors (p from pb) by four columns (x from i, y from yo) of {@link #headLaneSums}: 16 chains, each x value broadcast once for the four. */
    private static void headSums4x4(float[] p, int pb, int m, float[] x, int i, float[] y, int yo, boolean accumulate) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0, d0 = a0, d1 = a0, d2 = a0, d3 = a0;
        if (accumulate) {
            int y0 = yo + 0 * G;
            a0 = FloatVector.fromArray(F, y, y0); a1 = FloatVector.fromArray(F, y, y0 + L); a2 = FloatVector.fromArray(F, y, y0 + 2 * L); a3 = FloatVector.fromArray(F, y, y0 + 3 * L);
            int y1 = yo + 1 * G;
            b0 = FloatVector.fromArray(F, y, y1); b1 = FloatVector.fromArray(F, y, y1 + L); b2 = FloatVector.fromArray(F, y, y1 + 2 * L); b3 = FloatVector.fromArray(F, y, y1 + 3 * L);
            int y2 = yo + 2 * G;
            c0 = FloatVector.fromArray(F, y, y2); c1 = FloatVector.fromArray(F, y, y2 + L); c2 = FloatVector.fromArray(F, y, y2 + 2 * L); c3 = FloatVector.fromArray(F, y, y2 + 3 * L);
            int y3 = yo + 3 * G;
            d0 = FloatVector.fromArray(F, y, y3); d1 = FloatVector.fromArray(F, y, y3 + L); d2 = FloatVector.fromArray(F, y, y3 + 2 * L); d3 = FloatVector.fromArray(F, y, y3 + 3 * L);
        }
        for (int j = 0; j < m; j++) {
            int po = pb + j * G, xo = j * LANE_SLICE + i;
            FloatVector p0 = FloatVector.fromArray(F, p, po), p1 = FloatVector.fromArray(F, p, po + L);
            FloatVector p2 = FloatVector.fromArray(F, p, po + 2 * L), p3 = FloatVector.fromArray(F, p, po + 3 * L);
            FloatVector w = FloatVector.broadcast(F, x[xo]);
            a0 = w.fma(p0, a0); a1 = w.fma(p1, a1); a2 = w.fma(p2, a2); a3 = w.fma(p3, a3);
            w = FloatVector.broadcast(F, x[xo + 1]);
            b0 = w.fma(p0, b0); b1 = w.fma(p1, b1); b2 = w.fma(p2, b2); b3 = w.fma(p3, b3);
            w = FloatVector.broadcast(F, x[xo + 2]);
            c0 = w.fma(p0, c0); c1 = w.fma(p1, c1); c2 = w.fma(p2, c2); c3 = w.fma(p3, c3);
            w = FloatVector.broadcast(F, x[xo + 3]);
            d0 = w.fma(p0, d0); d1 = w.fma(p1, d1); d2 = w.fma(p2, d2); d3 = w.fma(p3, d3);
        }
        int r0 = yo + 0 * G;
        a0.intoArray(y, r0); a1.intoArray(y, r0 + L); a2.intoArray(y, r0 + 2 * L); a3.intoArray(y, r0 + 3 * L);
        int r1 = yo + 1 * G;
        b0.intoArray(y, r1); b1.intoArray(y, r1 + L); b2.intoArray(y, r1 + 2 * L); b3.intoArray(y, r1 + 3 * L);
        int r2 = yo + 2 * G;
        c0.intoArray(y, r2); c1.intoArray(y, r2 + L); c2.intoArray(y, r2 + 2 * L); c3.intoArray(y, r2 + 3 * L);
        int r3 = yo + 3 * G;
        d0.intoArray(y, r3); d1.intoArray(y, r3 + L); d2.intoArray(y, r3 + 2 * L); d3.intoArray(y, r3 + 3 * L);
    }
}
