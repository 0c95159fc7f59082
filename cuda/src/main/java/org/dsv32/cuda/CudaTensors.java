package org.dsv32.cuda;

import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Weight;

/** Conversions at the operation boundary: activations arrive and leave as float64, the GPU computes in fp32. */
final class CudaTensors {
    private CudaTensors() {}

    /** The elements of x rounded to fp32 (round-to-nearest-even), row-major. */
    static float[] toFloats(TensorF64 x) {
        float[] f = new float[x.size()];
        for (int i = 0; i < f.length; i++) f[i] = (float) x.getFlat(i);
        return f;
    }

    /** fp32 values widened (exactly) to a float64 tensor of the given shape. */
    static TensorF64 fromFloats(float[] f, int... shape) {
        double[] d = new double[f.length];
        for (int i = 0; i < d.length; i++) d[i] = f[i];
        return TensorF64.wrap(d, shape);
    }

    /** x's shape with the last axis replaced by {@code last}. */
    static int[] withLastDim(TensorF64 x, int last) {
        int[] s = x.shape();
        if (s.length == 0) return new int[] {last};
        s[s.length - 1] = last;
        return s;
    }

    /** Checks that a 1-D weight (norm weight, bias) has {@code n} elements, naming it otherwise. */
    static void checkVector(Weight w, int n, String op) {
        if ((long) w.rows() * w.cols() != n) {
            throw new IllegalArgumentException(op + ": weight " + w.name() + " has " + (long) w.rows() * w.cols()
                    + " elements, the rows have " + n + " columns");
        }
    }

    /** Threads per block for a row kernel over {@code cols} columns: a multiple of 32 in [32, 512]. */
    static int rowThreads(int cols) {
        int t = (cols + 31) / 32 * 32;
        return Math.max(32, Math.min(512, t));
    }
}
