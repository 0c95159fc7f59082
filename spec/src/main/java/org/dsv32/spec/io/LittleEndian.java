package org.dsv32.spec.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.dsv32.spec.format.BF16;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.format.E5M2;

/** Unaligned little-endian layouts (safetensors stores little-endian data at arbitrary offsets). */
public final class LittleEndian {
    private LittleEndian() {}

    public static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Element {@code i} of a segment holding {@code dtype} data, as a double. */
    public static double getAsDouble(MemorySegment seg, DType dtype, long i) {
        return switch (dtype) {
            case F64 -> seg.get(F64, 8 * i);
            case F32 -> seg.get(F32, 4 * i);
            case F16 -> Float.float16ToFloat(seg.get(I16, 2 * i));
            case BF16 -> BF16.toFloat(seg.get(I16, 2 * i));
            case F8_E4M3 -> E4M3.decode(seg.get(ValueLayout.JAVA_BYTE, i));
            case F8_E5M2 -> E5M2.decode(seg.get(ValueLayout.JAVA_BYTE, i));
            case I64 -> seg.get(I64, 8 * i);
            case I32 -> seg.get(I32, 4 * i);
            case I16 -> seg.get(I16, 2 * i);
            case I8 -> seg.get(ValueLayout.JAVA_BYTE, i);
            case U8, BOOL -> seg.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
        };
    }
}
