package org.dsv32.spec.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The bit-parallel scan against an oracle that decodes every element ({@link LittleEndian#getAsDouble}) and asks
 * {@link Double#isFinite}: random bytes, random non-finite elements placed at random positions, random lengths
 * (so the eight-byte words end at every offset) and random start offsets (unaligned views, as in a mapped file).
 */
class NonFiniteScanProperties {
    private static final List<DType> FLOATING = List.of(DType.F64, DType.F32, DType.F16, DType.BF16, DType.F8_E4M3, DType.F8_E5M2);

    @Property(tries = 600, seed = "19")
    void findsTheFirstNonFiniteElementAsDecodingDoes(@ForAll @IntRange(min = 0, max = 5) int type,
                                                     @ForAll @IntRange(min = 0, max = 70) int elements,
                                                     @ForAll @IntRange(min = 0, max = 7) int start,
                                                     @ForAll @Size(max = 4) List<@IntRange(min = 0, max = 69) Integer> badAt,
                                                     @ForAll long seed) {
        DType dtype = FLOATING.get(type);
        int w = dtype.bytes();
        Random r = new Random(seed);
        byte[] all = new byte[start + elements * w];
        r.nextBytes(all);
        for (int at : badAt) if (at < elements) setNonFinite(all, start + at * w, dtype, r);
        MemorySegment view = MemorySegment.ofArray(all).asSlice(start);
        long expected = -1;
        for (int i = 0; i < elements && expected < 0; i++) if (!Double.isFinite(LittleEndian.getAsDouble(view, dtype, i))) expected = i;
        assertEquals(expected, NonFiniteScan.firstNonFinite(view, dtype), dtype + " x" + elements);
    }

    /** Integer dtypes hold no NaN whatever their bytes. */
    @Property(tries = 100, seed = "20")
    void integerTensorsAreAlwaysFinite(@ForAll @Size(max = 64) byte[] bytes, @ForAll @IntRange(min = 6, max = 11) int type) {
        assertEquals(-1, NonFiniteScan.firstNonFinite(MemorySegment.ofArray(bytes), DType.values()[type]));
    }

    /** Sets the element at byte offset {@code off} to a random NaN or infinity of the format (random sign and payload). */
    private static void setNonFinite(byte[] b, int off, DType dtype, Random r) {
        long mask = NonFiniteScan.exponentMask(dtype);
        int w = dtype.bytes();
        long v = 0;
        for (int i = 0; i < w; i++) v |= (b[off + i] & 0xFFL) << (8 * i);
        v |= mask;
        if (r.nextBoolean()) v &= ~(Long.lowestOneBit(mask) - 1); // payload cleared: an infinity (e4m3: no effect)
        for (int i = 0; i < w; i++) b[off + i] = (byte) (v >>> (8 * i));
    }
}
