package org.dsv32.optimized;

import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Weight;

/** Conversions at the contract boundary: activations enter as float64 and are rounded to float32; results go back exactly. */
final class SimdTensors {
    private SimdTensors() {}

    /** The elements of t rounded to float32, row-major. */
    static float[] toFloats(TensorF64 t) {
        float[] f = new float[t.size()];
        for (int i = 0; i < f.length; i++) f[i] = (float) t.getFlat(i);
        return f;
    }

    /** A float64 tensor holding the float32 values exactly. */
    static TensorF64 toTensor(float[] f, int... shape) {
        double[] d = new double[f.length];
        for (int i = 0; i < d.length; i++) d[i] = f[i];
        return TensorF64.wrap(d, shape);
    }

    /** Writes float32 values back into an existing tensor (for arguments documented as MODIFIED). */
    static void copyInto(float[] f, TensorF64 t) {
        for (int i = 0; i < f.length; i++) t.setFlat(i, f[i]);
    }

    /** x's shape with its last axis replaced by n. */
    static int[] withLastDim(TensorF64 x, int n) {
        int[] s = x.shape();
        if (s.length == 0) return new int[] {n};
        s[s.length - 1] = n;
        return s;
    }

    /** A 1-D weight (norm weight, bias) of n elements as floats (exact for bf16/fp16/fp32 storage). */
    static float[] vector(Weight w, int n) {
        if ((long) w.rows() * w.cols() != n) {
            throw new IllegalArgumentException(w.name() + ": expected " + n + " elements, has " + w.rows() + "x" + w.cols());
        }
        float[] f = new float[n];
        if (w instanceof DenseWeight d) {
            for (int i = 0; i < n; i++) f[i] = d.getFloat(i);
        } else {
            for (int i = 0; i < n; i++) f[i] = (float) w.get(i / w.cols(), i % w.cols());
        }
        return f;
    }
}
