package org.dsv32.spec.tensor;

import java.util.Arrays;

/** Shape arithmetic shared by the tensor types. */
public final class Shapes {
    private Shapes() {}

    /** Validates a shape (no negative dimension, element count fits an int) and returns a copy. */
    public static int[] checked(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n *= d;
            if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " is too large for a heap tensor");
        }
        return shape.clone();
    }

    public static int elementCount(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return Math.toIntExact(n);
    }

    /** Element count as a long, for shapes of memory-mapped tensors that can exceed an int. */
    public static long elementCountLong(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    static int flatIndex(int[] shape, int[] idx) {
        if (idx.length != shape.length) {
            throw new IllegalArgumentException("index of rank " + idx.length + " for shape " + Arrays.toString(shape));
        }
        int flat = 0;
        for (int a = 0; a < shape.length; a++) {
            if (idx[a] < 0 || idx[a] >= shape[a]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(idx) + " outside shape " + Arrays.toString(shape));
            }
            flat = flat * shape[a] + idx[a];
        }
        return flat;
    }
}
