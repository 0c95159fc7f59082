package org.dsv32.conformance.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class Fp8GemmWorkloadTest {
    @Test
    void simdAndEjmlAgreeWithTheReferenceOnARaggedShape() {
        try (Fp8GemmWorkload w = Fp8GemmWorkload.create(3, new Fp8GemmWorkload.Shape(192, 384), 11)) {
            assertDoesNotThrow(() -> w.check("simd"));
            assertDoesNotThrow(() -> w.check("ejml"));
            float[] s = w.simdOutput(), e = w.ejmlOutput();
            assertEquals(3 * 192, s.length);
            double maxAbs = 0;
            for (float v : s) maxAbs = Math.max(maxAbs, Math.abs(v));
            assertTrue(maxAbs > 0.1, "outputs of the order of the inputs, got max " + maxAbs);
            assertEquals(s.length, e.length); // element by element, check() held each within its derived bound of the reference and of each other
            assertEquals(2.0 * 3 * 192 * 384, w.flops());
            assertEquals(192.0 * 384 + 4 * 2 * 3, w.weightBytes());
        }
    }

    /** The timed product cycles through copies of W (cold weights): each gives the bits of W itself. */
    @Test
    void everyCopyOfTheWeightGivesTheSameProduct() {
        try (Fp8GemmWorkload w = Fp8GemmWorkload.create(1, new Fp8GemmWorkload.Shape(256, 512), 14)) {
            long bytes = 256L * 512;
            assertEquals(Math.min(Fp8GemmWorkload.MAX_COPIES, (Fp8GemmWorkload.COLD_BYTES + bytes - 1) / bytes), w.weightCopies(), "copies of at least COLD_BYTES in all");
            w.check("simd");
            float[] first = w.simdOutput().clone();
            for (int i = 0; i < w.weightCopies() + 2; i++) {
                java.util.Arrays.fill(w.simdOutput(), Float.NaN);
                w.runSimd();
                assertArrayEquals(first, w.simdOutput(), "call " + i);
            }
        }
    }

    @Test
    void theCheckCatchesAWrongProduct() {
        try (Fp8GemmWorkload w = Fp8GemmWorkload.create(2, new Fp8GemmWorkload.Shape(128, 256), 12)) {
            w.check("simd"); // the reference is computed here, from the weight as it is now
            byte code = w.weight.codes().get(ValueLayout.JAVA_BYTE, 5);
            w.weight.codes().set(ValueLayout.JAVA_BYTE, 5, (byte) (code ^ 0x40)); // one code of row 0 changed by far
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.check("simd"));
            assertTrue(e.getMessage().contains("simd disagrees") && e.getMessage().contains("y[0][0]"), e.getMessage());
        }
    }

    @Test
    void aPartCoversWholeWeightBlocksAndScalesToTheWhole() {
        try (Fp8GemmWorkload w = Fp8GemmWorkload.create(16, new Fp8GemmWorkload.Shape(576, 256), 13)) {
            Fp8GemmWorkload.Part p = w.part(4 * 256 * 200.0);
            assertEquals(4, p.rows());
            assertEquals(128, p.weightRows());
            assertEquals(16.0 * 576 / (4 * 128), p.scale(16, 576));
            assertTrue(p.describe(16, 576).contains("4 of 16 rows x 128 of 576 columns"), p.describe(16, 576));
            Fp8GemmWorkload.Part whole = w.part(1e12);
            assertEquals(576, whole.weightRows());
        }
    }
}
