package org.dsv32.optimized;

import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The one source of the row kernels; {@link SimdSpecies#kernels} makes a copy per vector width, each with its own
 * constant species. No nested classes or lambdas here (see {@link SimdSpecies}).
 */
final class SimdRowKernelsTemplate implements SimdRowKernels {
    static final int BITS = SimdSpecies.templateBits(MethodHandles.lookup());
    static final VectorSpecies<Float> F = SimdSpecies.floatSpecies(BITS);
    static final int L = F == null ? 1 : F.length();
    static final VectorSpecies<Integer> I = F == null ? null : VectorSpecies.of(int.class, F.vectorShape());
    /** Bytes with one lane per float lane, where such a species exists (8 lanes or more). */
    static final VectorSpecies<Byte> B = L >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * L)) : null;
    /** Partner lanes of the in-register Hadamard stages h = 1, 2, 4, 8 (null when h >= L). */
    static final VectorShuffle<Float> XOR1 = xorShuffle(1), XOR2 = xorShuffle(2), XOR4 = xorShuffle(4), XOR8 = xorShuffle(8);
    /** Lanes holding the second element of a butterfly at stage h. */
    static final VectorMask<Float> HIGH1 = highMask(1), HIGH2 = highMask(2), HIGH4 = highMask(4), HIGH8 = highMask(8);

    SimdRowKernelsTemplate() {}

    private static VectorShuffle<Float> xorShuffle(int h) {
        if (F == null || h >= L) return null;
        int[] idx = new int[L];
        for (int i = 0; i < L; i++) idx[i] = i ^ h;
        return VectorShuffle.fromArray(F, idx, 0);
    }

    private static VectorMask<Float> highMask(int h) {
        if (F == null || h >= L) return null;
        boolean[] m = new boolean[L];
        for (int i = 0; i < L; i++) m[i] = (i & h) != 0;
        return VectorMask.fromArray(F, m, 0);
    }

    @Override public int bits() { return BITS; }

    /*
     * Lane sums are folded in a fixed tree order (halves folded first), by lane-wise adds written out at each use:
     * "FOLD". Not reduceLanes(ADD): its order is unspecified, and the interpreted fallback (sequential) and the
     * compiled intrinsic (a tree) give different bits for the same input, so a norm would depend on whether, and on
     * which thread, the JIT had compiled the kernel yet (seen: the same sumSquares call changing its last bit after
     * about 10^4 calls). No method of ours takes or returns a vector: C2 inlines our own methods only up to its node
     * count cutoff, and a vector passed to a method that was not inlined is boxed and every operation on it runs the
     * Java fallback (see SimdGemmKernelsTemplate).
     */

    @Override
    public float sumSquares(float[] x, int off, int n) {
        int i = 0;
        float s = 0f;
        if (F != null) {
            FloatVector acc = FloatVector.zero(F);
            for (int ub = F.loopBound(n); i < ub; i += L) {
                FloatVector v = FloatVector.fromArray(F, x, off + i);
                acc = v.fma(v, acc);
            }
            if (L >= 16) acc = acc.add(acc.rearrange(XOR8));
            if (L >= 8) acc = acc.add(acc.rearrange(XOR4));
            if (L >= 4) acc = acc.add(acc.rearrange(XOR2));
            if (L >= 2) acc = acc.add(acc.rearrange(XOR1));
            s = acc.lane(0); // FOLD
        }
        for (; i < n; i++) s = Math.fma(x[off + i], x[off + i], s);
        return s;
    }

    @Override
    public float sum(float[] x, int off, int n) {
        int i = 0;
        float s = 0f;
        if (F != null) {
            FloatVector acc = FloatVector.zero(F);
            for (int ub = F.loopBound(n); i < ub; i += L) acc = acc.add(FloatVector.fromArray(F, x, off + i));
            if (L >= 16) acc = acc.add(acc.rearrange(XOR8));
            if (L >= 8) acc = acc.add(acc.rearrange(XOR4));
            if (L >= 4) acc = acc.add(acc.rearrange(XOR2));
            if (L >= 2) acc = acc.add(acc.rearrange(XOR1));
            s = acc.lane(0); // FOLD
        }
        for (; i < n; i++) s += x[off + i];
        return s;
    }

    @Override
    public float sumSquaredDeviations(float[] x, int off, int n, float mean) {
        int i = 0;
        float s = 0f;
        if (F != null) {
            FloatVector acc = FloatVector.zero(F);
            for (int ub = F.loopBound(n); i < ub; i += L) {
                FloatVector d = FloatVector.fromArray(F, x, off + i).sub(mean);
                acc = d.fma(d, acc);
            }
            if (L >= 16) acc = acc.add(acc.rearrange(XOR8));
            if (L >= 8) acc = acc.add(acc.rearrange(XOR4));
            if (L >= 4) acc = acc.add(acc.rearrange(XOR2));
            if (L >= 2) acc = acc.add(acc.rearrange(XOR1));
            s = acc.lane(0); // FOLD
        }
        for (; i < n; i++) {
            float d = x[off + i] - mean;
            s = Math.fma(d, d, s);
        }
        return s;
    }

    @Override
    public void scaleMul(float[] x, int xOff, float r, float[] w, float[] y, int yOff, int n) {
        int i = 0;
        if (F != null) {
            for (int ub = F.loopBound(n); i < ub; i += L) {
                FloatVector.fromArray(F, x, xOff + i).mul(r).mul(FloatVector.fromArray(F, w, i)).intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) y[yOff + i] = x[xOff + i] * r * w[i];
    }

    @Override
    public void normalizeAffine(float[] x, int xOff, float mean, float r, float[] w, float[] b, float[] y, int yOff, int n) {
        int i = 0;
        if (F != null) {
            for (int ub = F.loopBound(n); i < ub; i += L) {
                FloatVector t = FloatVector.fromArray(F, x, xOff + i).sub(mean).mul(r);
                t.fma(FloatVector.fromArray(F, w, i), FloatVector.fromArray(F, b, i)).intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) y[yOff + i] = Math.fma((x[xOff + i] - mean) * r, w[i], b[i]);
    }

    @Override
    public void addInPlace(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        if (F != null) {
            for (int ub = F.loopBound(n); i < ub; i += L) {
                FloatVector.fromArray(F, a, aOff + i).add(FloatVector.fromArray(F, b, bOff + i)).intoArray(a, aOff + i);
            }
        }
        for (; i < n; i++) a[aOff + i] += b[bOff + i];
    }

    @Override
    public void ropeInterleaved(float[] x, int off, float[] cos2, float[] sinSigned, int d) {
        int i = 0;
        if (F != null && L >= 2) {
            for (int ub = F.loopBound(d); i < ub; i += L) {
                FloatVector v = FloatVector.fromArray(F, x, off + i);
                FloatVector swapped = v.rearrange(XOR1);
                v.fma(FloatVector.fromArray(F, cos2, i), swapped.mul(FloatVector.fromArray(F, sinSigned, i))).intoArray(x, off + i);
            }
        }
        for (; i < d; i += 2) {
            float a = x[off + i], b = x[off + i + 1];
            x[off + i] = Math.fma(a, cos2[i], b * sinSigned[i]);
            x[off + i + 1] = Math.fma(b, cos2[i + 1], a * sinSigned[i + 1]);
        }
    }

    @Override
    public void ropeHalfSplit(float[] x, int off, float[] cos, float[] sin, int d) {
        int h = d / 2;
        int i = 0;
        if (F != null) {
            for (int ub = F.loopBound(h); i < ub; i += L) {
                FloatVector lo = FloatVector.fromArray(F, x, off + i);
                FloatVector hi = FloatVector.fromArray(F, x, off + h + i);
                FloatVector c = FloatVector.fromArray(F, cos, i);
                FloatVector s = FloatVector.fromArray(F, sin, i);
                lo.fma(c, hi.mul(s).neg()).intoArray(x, off + i);
                hi.fma(c, lo.mul(s)).intoArray(x, off + h + i);
            }
        }
        for (; i < h; i++) {
            float lo = x[off + i], hi = x[off + h + i];
            x[off + i] = Math.fma(lo, cos[i], -(hi * sin[i]));
            x[off + h + i] = Math.fma(hi, cos[i], lo * sin[i]);
        }
    }

    @Override
    public void hadamard(float[] x, int off, int n, float scale) {
        if (n <= 0 || (n & (n - 1)) != 0) throw new IllegalArgumentException("Hadamard size must be a power of two, got " + n);
        int h = 1;
        if (F != null && n >= L) {
            // Stages h < L stay inside one vector: each lane meets its partner lane^h; doing all of them per vector
            // before moving on gives every element the same operations, in the same order, as the scalar stages.
            // A butterfly stage: lanes without bit h get a + b, lanes with it get a - b (a the lower partner).
            for (int j = 0; j < n; j += L) {
                FloatVector v = FloatVector.fromArray(F, x, off + j);
                if (L > 1) {
                    FloatVector p = v.rearrange(XOR1);
                    v = v.add(p).blend(p.sub(v), HIGH1);
                }
                if (L > 2) {
                    FloatVector p = v.rearrange(XOR2);
                    v = v.add(p).blend(p.sub(v), HIGH2);
                }
                if (L > 4) {
                    FloatVector p = v.rearrange(XOR4);
                    v = v.add(p).blend(p.sub(v), HIGH4);
                }
                if (L > 8) {
                    FloatVector p = v.rearrange(XOR8);
                    v = v.add(p).blend(p.sub(v), HIGH8);
                }
                v.intoArray(x, off + j);
            }
            for (h = L; h < n; h *= 2) {
                for (int i = 0; i < n; i += 2 * h) {
                    for (int j = i; j < i + h; j += L) {
                        FloatVector a = FloatVector.fromArray(F, x, off + j);
                        FloatVector b = FloatVector.fromArray(F, x, off + j + h);
                        a.add(b).intoArray(x, off + j);
                        a.sub(b).intoArray(x, off + j + h);
                    }
                }
            }
            int i = 0;
            for (; i < n; i += L) FloatVector.fromArray(F, x, off + i).mul(scale).intoArray(x, off + i);
            return;
        }
        for (; h < n; h *= 2) {
            for (int i = 0; i < n; i += 2 * h) {
                for (int j = i; j < i + h; j++) {
                    float a = x[off + j], b = x[off + j + h];
                    x[off + j] = a + b;
                    x[off + j + h] = a - b;
                }
            }
        }
        for (int i = 0; i < n; i++) x[off + i] *= scale;
    }

    @Override
    public void siluMul(float[] g, int gOff, float[] u, int uOff, float[] h, int hOff, int n) {
        // scalar Math.exp, not lanewise(EXP): the compiled vector exp (a vector math library stub) and its interpreted
        // fallback (Math.exp per lane) differ in the last bit, so the MLP's output would depend on the JIT's
        // progress; Math.exp is the same stub interpreted and compiled, and this loop is not where the MLP's time goes
        for (int i = 0; i < n; i++) {
            float gi = g[gOff + i];
            h[hOff + i] = gi / (1f + (float) Math.exp(-gi)) * u[uOff + i];
        }
    }

    @Override
    public void absBitsRange(float[] x, int off, int n, int[] range) {
        int i = 0;
        int max = 0, min = Integer.MAX_VALUE;
        if (F != null) {
            IntVector hi = IntVector.zero(I), lo = IntVector.broadcast(I, Integer.MAX_VALUE);
            for (int ub = F.loopBound(n); i < ub; i += L) {
                IntVector bits = FloatVector.fromArray(F, x, off + i).reinterpretAsInts().and(0x7FFFFFFF);
                hi = hi.max(bits);
                lo = lo.min(bits.blend(Integer.MAX_VALUE, bits.compare(VectorOperators.EQ, 0)));
            }
            max = hi.reduceLanes(VectorOperators.MAX);
            min = lo.reduceLanes(VectorOperators.MIN);
        }
        for (; i < n; i++) {
            int bits = Float.floatToRawIntBits(x[off + i]) & 0x7FFFFFFF;
            max = Math.max(max, bits);
            if (bits != 0) min = Math.min(min, bits);
        }
        range[0] = max;
        range[1] = min;
    }

    @Override
    public void scale(float[] x, int xOff, float f, float[] y, int yOff, int n) {
        int i = 0;
        if (F != null) {
            for (int ub = F.loopBound(n); i < ub; i += L) FloatVector.fromArray(F, x, xOff + i).mul(f).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] = x[xOff + i] * f;
    }

    @Override
    public float absMax(float[] x, int off, int n) {
        int i = 0;
        float m = 0f;
        if (F != null) {
            FloatVector acc = FloatVector.zero(F);
            for (int ub = F.loopBound(n); i < ub; i += L) acc = acc.max(FloatVector.fromArray(F, x, off + i).abs());
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) m = Math.max(m, Math.abs(x[off + i]));
        return m;
    }

    @Override
    public void quantize(float[] x, int xOff, int n, float s, byte[] codes, int cOff, float[] q, int qOff) {
        int i = 0;
        if (F != null && B != null) {
            for (int ub = F.loopBound(n); i < ub; i += L) {
                IntVector c = SimdE4m3Lanes.encode(FloatVector.fromArray(F, x, xOff + i).div(s));
                c.convertShape(VectorOperators.I2B, B, 0).reinterpretAsBytes().intoArray(codes, cOff + i);
                if (q != null) {
                    SimdE4m3Lanes.decode(c, F).intoArray(q, qOff + i);
                }
            }
        }
        for (; i < n; i++) {
            byte c = Fp8Codec.encodeE4M3(x[xOff + i] / s);
            codes[cOff + i] = c;
            if (q != null) q[qOff + i] = Fp8Codec.decodeE4M3(c);
        }
    }

    @Override
    public void encodeE4M3(float[] v, int off, int n, byte[] codes, int cOff) {
        // v / 1 is v itself, bit for bit (NaNs stay NaNs of the same sign), so this is quantize with s = 1
        quantize(v, off, n, 1f, codes, cOff, null, 0);
    }

}
