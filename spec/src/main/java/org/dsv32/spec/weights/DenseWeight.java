package org.dsv32.spec.weights;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.dsv32.spec.format.BF16;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.format.E5M2;
import org.dsv32.spec.io.DType;

/**
 * A dense weight W[rows][cols] (a vector is one row) in bf16, fp16, fp32 or fp64, little-endian, row-major.
 */
public record DenseWeight(String name, MemorySegment data, DType dtype, int rows, int cols) implements Weight {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public DenseWeight {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException(name + ": bad dimensions " + rows + "x" + cols);
        if (!dtype.isFloating()) throw new IllegalArgumentException(name + ": dtype " + dtype + " is not a floating-point weight");
        if (data.byteSize() != (long) rows * cols * dtype.bytes()) {
            throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes for " + rows + "x" + cols + " " + dtype);
        }
    }

    /** A heap fp32 weight from values (tests, generated checkpoints). */
    public static DenseWeight ofFloats(String name, float[] values, int rows, int cols) {
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 4]);
        for (int i = 0; i < values.length; i++) seg.set(F32, 4L * i, values[i]);
        return new DenseWeight(name, seg, DType.F32, rows, cols);
    }

    /** A heap fp64 weight from values. */
    public static DenseWeight ofDoubles(String name, double[] values, int rows, int cols) {
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 8]);
        for (int i = 0; i < values.length; i++) seg.set(F64, 8L * i, values[i]);
        return new DenseWeight(name, seg, DType.F64, rows, cols);
    }

    /** Element at flat index {@code i} (row-major). */
    public double getFlat(long i) {
        return switch (dtype) {
            case BF16 -> BF16.toFloat(data.get(I16, 2 * i));
            case F16 -> Float.float16ToFloat(data.get(I16, 2 * i));
            case F32 -> data.get(F32, 4 * i);
            case F64 -> data.get(F64, 8 * i);
            case F8_E4M3 -> E4M3.decode(data.get(ValueLayout.JAVA_BYTE, i));
            case F8_E5M2 -> E5M2.decode(data.get(ValueLayout.JAVA_BYTE, i));
            default -> throw new IllegalStateException(name + ": dtype " + dtype);
        };
    }

    /** Element as a float (exact for bf16, fp16, fp32 and fp8 storage). */
    public float getFloat(long i) { return (float) getFlat(i); }

    @Override
    public double get(int r, int c) { return getFlat((long) r * cols + c); }
}
