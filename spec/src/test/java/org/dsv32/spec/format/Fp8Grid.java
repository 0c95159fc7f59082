package org.dsv32.spec.format;

import java.util.Arrays;
import java.util.function.IntToDoubleFunction;

/**
 * The finite non-negative values of an 8-bit format, sorted, with their codes: the grid against which the
 * rounding tests find the two neighbours of a number independently of the encoder.
 */
record Fp8Grid(double[] values, int[] codes) {
    static Fp8Grid of(IntToDoubleFunction decode) {
        double[] v = new double[128];
        int[] c = new int[128];
        int n = 0;
        for (int code = 0; code < 128; code++) {
            double x = decode.applyAsDouble(code);
            if (Double.isFinite(x)) {
                v[n] = x;
                c[n++] = code;
            }
        }
        double[] values = Arrays.copyOf(v, n);
        int[] codes = Arrays.copyOf(c, n);
        for (int i = 1; i < n; i++) {
            if (!(values[i] > values[i - 1])) throw new AssertionError("codes are not in increasing value order at " + codes[i]);
        }
        return new Fp8Grid(values, codes);
    }

    double max() { return values[values.length - 1]; }

    /** Index of the largest grid value at or below {@code a} (a finite, non-negative, at most max). */
    int floorIndex(double a) {
        int i = Arrays.binarySearch(values, a);
        return i >= 0 ? i : -i - 2;
    }
}
