package org.dsv32.spec.tensor;

import java.util.Arrays;

/**
 * A dense row-major float64 tensor: a shape and a flat {@code double[]} with an offset.
 *
 * <p>This is the currency at the operation boundary: every backend accepts and returns
 * {@code TensorF64}, whatever it computes in internally, so the conformance harness can
 * compare any two backends without knowing their storage. Views share the array.
 */
public final class TensorF64 {
    private final int[] shape;
    private final double[] data;
    private final int offset;
    private final int size;

    private TensorF64(int[] shape, double[] data, int offset) {
        this.shape = Shapes.checked(shape);
        this.size = Shapes.elementCount(this.shape);
        if (offset < 0 || (long) offset + size > data.length) {
            throw new IllegalArgumentException("tensor " + Arrays.toString(shape) + " at offset " + offset
                    + " does not fit an array of " + data.length);
        }
        this.data = data;
        this.offset = offset;
    }

    /** A new zero tensor of the given shape. */
    public static TensorF64 zeros(int... shape) {
        return new TensorF64(shape, new double[Shapes.elementCount(Shapes.checked(shape))], 0);
    }

    /** Wraps {@code data} (not copied) as a tensor of the given shape. */
    public static TensorF64 wrap(double[] data, int... shape) {
        if (data.length != Shapes.elementCount(Shapes.checked(shape))) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs "
                    + Shapes.elementCount(shape) + " elements, got " + data.length);
        }
        return new TensorF64(shape, data, 0);
    }

    /** A copy of {@code values} as a 1-D tensor. */
    public static TensorF64 vector(double... values) {
        return wrap(values.clone(), values.length);
    }

    public int[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    public int dim(int axis) { return shape[axis < 0 ? shape.length + axis : axis]; }
    public int size() { return size; }
    /** Number of rows when seen as a matrix [size / lastDim][lastDim]. */
    public int rows() { return shape.length == 0 ? 1 : size / Math.max(1, shape[shape.length - 1]); }
    /** Length of the last axis. */
    public int cols() { return shape.length == 0 ? 1 : shape[shape.length - 1]; }

    public double getFlat(int i) { return data[offset + Objects2.checkIndex(i, size)]; }
    public void setFlat(int i, double v) { data[offset + Objects2.checkIndex(i, size)] = v; }

    public double get(int... idx) { return data[offset + Shapes.flatIndex(shape, idx)]; }
    public void set(double v, int... idx) { data[offset + Shapes.flatIndex(shape, idx)] = v; }

    /** Element (r, c) of the matrix view [rows()][cols()]. */
    public double at(int r, int c) { return data[offset + r * cols() + c]; }
    public void put(int r, int c, double v) { data[offset + r * cols() + c] = v; }

    /**
     * A view of index {@code i} along the first axis (shares storage): for [R][C] a row [C],
     * for [T][H][D] the slice [H][D].
     */
    public TensorF64 slice(int i) {
        if (shape.length == 0) throw new IllegalStateException("cannot slice a scalar");
        Objects2.checkIndex(i, shape[0]);
        int[] sub = Arrays.copyOfRange(shape, 1, shape.length);
        return new TensorF64(sub, data, offset + i * Shapes.elementCount(sub));
    }

    /** Row {@code r} of the matrix view [rows()][cols()] as a 1-D view. */
    public TensorF64 row(int r) {
        Objects2.checkIndex(r, rows());
        return new TensorF64(new int[] {cols()}, data, offset + r * cols());
    }

    /** Same storage seen with another shape of the same element count. */
    public TensorF64 reshape(int... newShape) {
        if (Shapes.elementCount(Shapes.checked(newShape)) != size) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
        }
        return new TensorF64(newShape, data, offset);
    }

    /** A fresh contiguous copy of the elements. */
    public double[] toArray() { return Arrays.copyOfRange(data, offset, offset + size); }

    /** Copies row {@code r} into a new array. */
    public double[] rowArray(int r) {
        int c = cols();
        return Arrays.copyOfRange(data, offset + r * c, offset + (r + 1) * c);
    }

    public TensorF64 copy() { return wrap(toArray(), shape); }

    @Override public String toString() { return "TensorF64" + Arrays.toString(shape); }
}
