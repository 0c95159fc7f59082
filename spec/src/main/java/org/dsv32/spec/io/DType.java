package org.dsv32.spec.io;

import java.util.Locale;
import java.util.Optional;

/** The safetensors dtype strings this project reads and writes, with their element sizes in bytes. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), F8_E4M3(1), F8_E5M2(1), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    private final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    /** Size of one element in bytes. */
    public int bytes() { return bytes; }

    /** True for the floating-point types (F64 … F8_E5M2). */
    public boolean isFloating() { return ordinal() <= F8_E5M2.ordinal(); }

    /** The dtype for a safetensors header string, or empty if this project does not know it. */
    public static Optional<DType> parse(String s) {
        if (s == null) return Optional.empty();
        try {
            return Optional.of(valueOf(s.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
