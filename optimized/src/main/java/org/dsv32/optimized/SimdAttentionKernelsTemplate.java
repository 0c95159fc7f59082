package org.dsv32.optimized;

import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.DoubleVector;
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
    /** Doubles of the same vector shape (half the lanes); null when scalar or when only one double would fit. */
    static final VectorSpecies<Double> D = F == null || BITS < 128 ? null : VectorSpecies.of(double.class, F.vectorShape());
    static final int LD = D == null ? 1 : D.length();

    /** Partner lanes i ^ h of the reduction steps (null where h >= the lane count). */
    static final VectorShuffle<Float> FX1 = xorF(1), FX2 = xorF(2), FX4 = xorF(4), FX8 = xorF(8);
    static final VectorShuffle<Double> DX1 = xorD(1), DX2 = xorD(2), DX4 = xorD(4);

    SimdAttentionKernelsTemplate() {}

    private static VectorShuffle<Float> xorF(int h) {
        if (F == null || h >= L) return null;
        int[] idx = new int[L];
        for (int i = 0; i < L; i++) idx[i] = i ^ h;
        return VectorShuffle.fromArray(F, idx, 0);
    }

    private static VectorShuffle<Double> xorD(int h) {
        if (D == null || h >= LD) return null;
        int[] idx = new int[LD];
        for (int i = 0; i < LD; i++) idx[i] = i ^ h;
        return VectorShuffle.fromArray(D, idx, 0);
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
    public double dot(double[] a, int aOff, double[] b, int bOff, int n) {
        int i = 0;
        double s = 0;
        if (D != null) {
            DoubleVector acc = DoubleVector.zero(D);
            for (int ub = D.loopBound(n); i < ub; i += LD) {
                acc = DoubleVector.fromArray(D, a, aOff + i).fma(DoubleVector.fromArray(D, b, bOff + i), acc);
            }
            if (LD >= 8) acc = acc.add(acc.rearrange(DX4));
            if (LD >= 4) acc = acc.add(acc.rearrange(DX2));
            if (LD >= 2) acc = acc.add(acc.rearrange(DX1));
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
    public void dots(double[] a, int aOff, int aStride, int rows, double[] b, int bOff, int n, double[] out, int outOff) {
        int r = 0;
        if (D != null) for (; r + 4 <= rows; r += 4) dots4(a, aOff + r * aStride, aStride, b, bOff, n, out, outOff + r);
        for (; r < rows; r++) out[outOff + r] = dot(a, aOff + r * aStride, b, bOff, n);
    }

    /** Four rows of the double {@link #dots}: each the lane accumulation, lane tree (FOLD) and scalar tail of the double {@link #dot}. */
    private static void dots4(double[] a, int aOff, int aStride, double[] b, int bOff, int n, double[] out, int outOff) {
        int o0 = aOff, o1 = aOff + aStride, o2 = aOff + 2 * aStride, o3 = aOff + 3 * aStride;
        DoubleVector c0 = DoubleVector.zero(D), c1 = c0, c2 = c0, c3 = c0;
        int i = 0;
        for (int ub = D.loopBound(n); i < ub; i += LD) {
            DoubleVector vb = DoubleVector.fromArray(D, b, bOff + i);
            c0 = DoubleVector.fromArray(D, a, o0 + i).fma(vb, c0);
            c1 = DoubleVector.fromArray(D, a, o1 + i).fma(vb, c1);
            c2 = DoubleVector.fromArray(D, a, o2 + i).fma(vb, c2);
            c3 = DoubleVector.fromArray(D, a, o3 + i).fma(vb, c3);
        }
        if (LD >= 8) c0 = c0.add(c0.rearrange(DX4));
        if (LD >= 4) c0 = c0.add(c0.rearrange(DX2));
        if (LD >= 2) c0 = c0.add(c0.rearrange(DX1));
        if (LD >= 8) c1 = c1.add(c1.rearrange(DX4));
        if (LD >= 4) c1 = c1.add(c1.rearrange(DX2));
        if (LD >= 2) c1 = c1.add(c1.rearrange(DX1));
        if (LD >= 8) c2 = c2.add(c2.rearrange(DX4));
        if (LD >= 4) c2 = c2.add(c2.rearrange(DX2));
        if (LD >= 2) c2 = c2.add(c2.rearrange(DX1));
        if (LD >= 8) c3 = c3.add(c3.rearrange(DX4));
        if (LD >= 4) c3 = c3.add(c3.rearrange(DX2));
        if (LD >= 2) c3 = c3.add(c3.rearrange(DX1));
        double s0 = c0.lane(0), s1 = c1.lane(0), s2 = c2.lane(0), s3 = c3.lane(0); // FOLD
        for (; i < n; i++) {
            double vb = b[bOff + i];
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
    public void dots2(double[] a, int aOff, int aStride, int rows, double[] b, int bOff, int bOff2, int n, double[] out, int outOff, int outOff2) {
        int r = 0;
        if (D != null) for (; r + 4 <= rows; r += 4) dots2x4(a, aOff + r * aStride, aStride, b, bOff, bOff2, n, out, outOff + r, outOff2 + r);
        for (; r < rows; r++) {
            out[outOff + r] = dot(a, aOff + r * aStride, b, bOff, n);
            out[outOff2 + r] = dot(a, aOff + r * aStride, b, bOff2, n);
        }
    }

    /** Four a rows against two b rows: eight chains of the double {@link #dot}'s lane accumulation, fold and tail. */
    private static void dots2x4(double[] a, int aOff, int aStride, double[] b, int bOff, int bOff2, int n, double[] out, int outOff, int outOff2) {
        int o0 = aOff, o1 = aOff + aStride, o2 = aOff + 2 * aStride, o3 = aOff + 3 * aStride;
        DoubleVector c0 = DoubleVector.zero(D), c1 = c0, c2 = c0, c3 = c0, d0 = c0, d1 = c0, d2 = c0, d3 = c0;
        int i = 0;
        for (int ub = D.loopBound(n); i < ub; i += LD) {
            DoubleVector vb = DoubleVector.fromArray(D, b, bOff + i), wb = DoubleVector.fromArray(D, b, bOff2 + i);
            DoubleVector a0 = DoubleVector.fromArray(D, a, o0 + i), a1 = DoubleVector.fromArray(D, a, o1 + i);
            DoubleVector a2 = DoubleVector.fromArray(D, a, o2 + i), a3 = DoubleVector.fromArray(D, a, o3 + i);
            c0 = a0.fma(vb, c0);
            c1 = a1.fma(vb, c1);
            c2 = a2.fma(vb, c2);
            c3 = a3.fma(vb, c3);
            d0 = a0.fma(wb, d0);
            d1 = a1.fma(wb, d1);
            d2 = a2.fma(wb, d2);
            d3 = a3.fma(wb, d3);
        }
        if (LD >= 8) c0 = c0.add(c0.rearrange(DX4));
        if (LD >= 4) c0 = c0.add(c0.rearrange(DX2));
        if (LD >= 2) c0 = c0.add(c0.rearrange(DX1));
        if (LD >= 8) c1 = c1.add(c1.rearrange(DX4));
        if (LD >= 4) c1 = c1.add(c1.rearrange(DX2));
        if (LD >= 2) c1 = c1.add(c1.rearrange(DX1));
        if (LD >= 8) c2 = c2.add(c2.rearrange(DX4));
        if (LD >= 4) c2 = c2.add(c2.rearrange(DX2));
        if (LD >= 2) c2 = c2.add(c2.rearrange(DX1));
        if (LD >= 8) c3 = c3.add(c3.rearrange(DX4));
        if (LD >= 4) c3 = c3.add(c3.rearrange(DX2));
        if (LD >= 2) c3 = c3.add(c3.rearrange(DX1));
        if (LD >= 8) d0 = d0.add(d0.rearrange(DX4));
        if (LD >= 4) d0 = d0.add(d0.rearrange(DX2));
        if (LD >= 2) d0 = d0.add(d0.rearrange(DX1));
        if (LD >= 8) d1 = d1.add(d1.rearrange(DX4));
        if (LD >= 4) d1 = d1.add(d1.rearrange(DX2));
        if (LD >= 2) d1 = d1.add(d1.rearrange(DX1));
        if (LD >= 8) d2 = d2.add(d2.rearrange(DX4));
        if (LD >= 4) d2 = d2.add(d2.rearrange(DX2));
        if (LD >= 2) d2 = d2.add(d2.rearrange(DX1));
        if (LD >= 8) d3 = d3.add(d3.rearrange(DX4));
        if (LD >= 4) d3 = d3.add(d3.rearrange(DX2));
        if (LD >= 2) d3 = d3.add(d3.rearrange(DX1));
        double s0 = c0.lane(0), s1 = c1.lane(0), s2 = c2.lane(0), s3 = c3.lane(0); // FOLD
        double t0 = d0.lane(0), t1 = d1.lane(0), t2 = d2.lane(0), t3 = d3.lane(0); // FOLD
        for (; i < n; i++) {
            double vb = b[bOff + i], wb = b[bOff2 + i];
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
    public void scale(float[] x, int off, int n, float s) {
        int i = 0;
        if (F != null) {
            for (int ub = F.loopBound(n); i < ub; i += L) FloatVector.fromArray(F, x, off + i).mul(s).intoArray(x, off + i);
        }
        for (; i < n; i++) x[off + i] *= s;
    }
}
