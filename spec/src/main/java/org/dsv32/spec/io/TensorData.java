package org.dsv32.spec.io;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * One tensor to write, or one read: name, dtype, shape and its raw little-endian bytes.
 * {@code bytes} may be a heap segment or a view of a memory-mapped file.
 */
public record TensorData(String name, DType dtype, long[] shape, MemorySegment bytes) {
    public TensorData {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException(name + ": negative dimension in " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        long need = Math.multiplyExact(n, (long) dtype.bytes());
        if (bytes.byteSize() != need) {
            throw new IllegalArgumentException(name + ": " + bytes.byteSize() + " bytes for " + dtype + Arrays.toString(shape) + " (expected " + need + ")");
        }
        shape = shape.clone();
    }

    /** Number of elements. */
    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    @Override public long[] shape() { return shape.clone(); }

    /** A float32 tensor from values (copied). */
    public static TensorData ofFloats(String name, float[] values, long... shape) {
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 4]);
        for (int i = 0; i < values.length; i++) seg.set(LittleEndian.F32, 4L * i, values[i]);
        return new TensorData(name, DType.F32, shape, seg);
    }

    /** A float64 tensor from values (copied). */
    public static TensorData ofDoubles(String name, double[] values, long... shape) {
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 8]);
        for (int i = 0; i < values.length; i++) seg.set(LittleEndian.F64, 8L * i, values[i]);
        return new TensorData(name, DType.F64, shape, seg);
    }

    /** Raw bytes (codes of F8 / U8 / I8 tensors, or pre-encoded data of any dtype), copied. */
    public static TensorData ofBytes(String name, DType dtype, byte[] bytes, long... shape) {
        return new TensorData(name, dtype, shape, MemorySegment.ofArray(bytes.clone()));
    }

    /** bf16 tensor from bit patterns (copied). */
    public static TensorData ofBf16(String name, short[] bits, long... shape) {
        MemorySegment seg = MemorySegment.ofArray(new byte[bits.length * 2]);
        for (int i = 0; i < bits.length; i++) seg.set(LittleEndian.I16, 2L * i, bits[i]);
        return new TensorData(name, DType.BF16, shape, seg);
    }

    /** An int32 tensor (copied). */
    public static TensorData ofInts(String name, int[] values, long... shape) {
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 4]);
        for (int i = 0; i < values.length; i++) seg.set(LittleEndian.I32, 4L * i, values[i]);
        return new TensorData(name, DType.I32, shape, seg);
    }

    /** Every element converted to float64 (F64, F32, F16, BF16, F8, integer types). Copies. */
    public double[] toDoubles() {
        long n = elementCount();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalStateException(name + ": too large to copy to the heap");
        double[] out = new double[(int) n];
        for (int i = 0; i < out.length; i++) out[i] = LittleEndian.getAsDouble(bytes, dtype, i);
        return out;
    }
}
