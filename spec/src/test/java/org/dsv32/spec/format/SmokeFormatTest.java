package org.dsv32.spec.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class SmokeFormatTest {
    @Test
    void e4m3MaxIs448() { assertEquals(448.0, E4M3.decode((byte) 0x7E)); }

    @Property(tries = 50)
    void bf16RoundTripIsIdempotent(@ForAll float f) {
        if (Float.isNaN(f)) return;
        assertEquals(BF16.round(f), BF16.round(BF16.round(f)));
    }
}
