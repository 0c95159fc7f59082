package org.dsv32.spec.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Locale;

/**
 * Finds the first NaN or infinity in a tensor's raw little-endian bytes without decoding a value.
 *
 * <p>In every floating-point format this project reads, an element is non-finite exactly when all bits of its
 * exponent field are set: bf16 {@code 0x7F80}, fp16 {@code 0x7C00}, fp32 {@code 0x7F800000}, fp64
 * {@code 0x7FF0...0}, e5m2 {@code 0x7C}. FP8 e4m3 ("fn": no infinities) spends only its all-ones code on NaN:
 * {@code 0x7F} and {@code 0xFF}, i.e. every bit but the sign set. In each case the mask E is a run of bits ending
 * just below the sign bit, so {@code (v & E) == E} exactly when {@code (v & E) + lowestBit(E)} carries into the
 * sign bit — and since that sum never leaves the element's lane, eight bytes (eight e4m3 codes, four bf16 values,
 * two floats, one double) are tested with one masked add on a {@code long}. Integer dtypes have no non-finite values.
 */
public final class NonFiniteScan {
    private NonFiniteScan() {}

    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Index of the first non-finite element of {@code t}, or -1 when every element is finite. */
    public static long firstNonFinite(TensorData t) { return firstNonFinite(t.bytes(), t.dtype()); }

    /**
     * Index of the first non-finite element of {@code bytes} read as little-endian {@code dtype} elements, or -1
     * when there is none (always -1 for integer and boolean dtypes). A trailing partial element is ignored.
     */
    public static long firstNonFinite(MemorySegment bytes, DType dtype) {
        int width = dtype.bytes();
        long exponent = exponentMask(dtype);
        if (exponent == 0) return -1;
        long lanes = replicate(exponent, width);
        long carry = replicate(Long.lowestOneBit(exponent), width);
        long signs = replicate(1L << (8 * width - 1), width);
        long size = bytes.byteSize() - bytes.byteSize() % width;
        long words = size / 8;
        for (long w = 0; w < words; w++) {
            long v = bytes.get(WORD, 8 * w);
            if ((((v & lanes) + carry) & signs) != 0) return firstIn(bytes, 8 * w, 8 * w + 8, width, exponent);
        }
        return firstIn(bytes, 8 * words, size, width, exponent);
    }

    /** Element-by-element scan of bytes [from, to) (a multiple of width apart). */
    private static long firstIn(MemorySegment bytes, long from, long to, int width, long exponent) {
        for (long off = from; off < to; off += width) {
            if ((element(bytes, off, width) & exponent) == exponent) return off / width;
        }
        return -1;
    }

    /** The raw bits of the element at byte offset {@code off}, zero-extended. */
    private static long element(MemorySegment bytes, long off, int width) {
        long v = 0;
        for (int i = width - 1; i >= 0; i--) v = (v << 8) | (bytes.get(ValueLayout.JAVA_BYTE, off + i) & 0xFF);
        return v;
    }

    /** The bits that are all set exactly in a non-finite element; 0 for dtypes without non-finite values. */
    static long exponentMask(DType dtype) {
        return switch (dtype) {
            case F64 -> 0x7FF0_0000_0000_0000L;
            case F32 -> 0x7F80_0000L;
            case F16 -> 0x7C00L;
            case BF16 -> 0x7F80L;
            case F8_E5M2 -> 0x7CL;
            case F8_E4M3 -> 0x7FL;
            default -> 0;
        };
    }

    /** {@code lane} copied into every {@code width}-byte lane of a long. */
    private static long replicate(long lane, int width) {
        long v = 0;
        for (int s = 0; s < 64; s += 8 * width) v |= lane << s;
        return v;
    }

    /**
     * "element 17 [0, 17]: NaN (bits 0x7fc1)" — the index, its coordinates in {@code shape}, what it is and its raw
     * bits (the code itself for FP8), for error messages.
     */
    public static String describe(MemorySegment bytes, DType dtype, long[] shape, long index) {
        int width = dtype.bytes();
        long bits = element(bytes, index * width, width);
        long mantissa = bits & (Long.lowestOneBit(exponentMask(dtype)) - 1);
        String kind = dtype == DType.F8_E4M3 || mantissa != 0 ? "NaN" : (bits >>> (8 * width - 1)) != 0 ? "-inf" : "+inf";
        return String.format(Locale.ROOT, "element %d %s: %s (%s bits 0x%0" + 2 * width + "x)", index,
                Arrays.toString(coordinates(shape, index)), kind, dtype, bits);
    }

    /** The row-major coordinates of flat index {@code index} in {@code shape}. */
    static long[] coordinates(long[] shape, long index) {
        long[] at = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            at[d] = shape[d] == 0 ? 0 : index % shape[d];
            index = shape[d] == 0 ? 0 : index / shape[d];
        }
        return at;
    }
}
