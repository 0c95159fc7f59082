package org.dsv32.conformance.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.junit.jupiter.api.Test;

class BenchDataTest {
    @Test
    void fp8WeightsDependOnlyOnTheSeedAndHavePowerOfTwoScales() {
        try (Arena arena = Arena.ofConfined()) {
            // more than one fill chunk (1 MiB); a confined arena is filled on the calling thread, a shared one in parallel
            Fp8BlockWeight a = BenchData.fp8(arena, "a", 1100, 1024, 7), c = BenchData.fp8(arena, "c", 1100, 1024, 8);
            try (Arena shared = Arena.ofShared()) {
                Fp8BlockWeight b = BenchData.fp8(shared, "b", 1100, 1024, 7);
                assertEquals(-1, a.codes().mismatch(b.codes()));
                assertEquals(-1, a.scales().mismatch(b.scales()));
            }
            assertNotEquals(-1, a.codes().mismatch(c.codes()));
            assertEquals(9, a.scaleRows());
            for (int br = 0; br < a.scaleRows(); br++) {
                for (int bc = 0; bc < a.scaleCols(); bc++) {
                    float s = a.scale(br, bc);
                    assertTrue(s > 0 && s == Math.scalb(1f, Math.getExponent(s)), "scale " + s + " is not a power of two");
                }
            }
            for (int r = 0; r < a.rows(); r += 97) for (int k = 0; k < a.cols(); k += 31) assertTrue(Double.isFinite(a.get(r, k)));
        }
    }

    @Test
    void firstRowsIsTheSameWeightCutAtABlockBoundary() {
        try (Arena arena = Arena.ofConfined()) {
            Fp8BlockWeight w = BenchData.fp8(arena, "w", 320, 384, 3);
            Fp8BlockWeight head = BenchData.firstRows(w, 256);
            assertEquals(256, head.rows());
            assertEquals(2, head.scaleRows());
            for (int r = 0; r < 256; r += 5) for (int k = 0; k < 384; k += 7) assertEquals(w.get(r, k), head.get(r, k));
            assertEquals(w, BenchData.firstRows(w, 320));
            assertThrows(IllegalArgumentException.class, () -> BenchData.firstRows(w, 100));
            assertThrows(IllegalArgumentException.class, () -> BenchData.firstRows(w, 384));
        }
    }

    @Test
    void gaussianIsSeeded() {
        float[] a = BenchData.gaussian(1000, 2, 5), b = BenchData.gaussian(1000, 2, 5);
        assertEquals(0, java.util.Arrays.compare(a, b));
        double sq = 0;
        for (float f : a) sq += f * f;
        assertTrue(Math.abs(Math.sqrt(sq / a.length) - 2) < 0.2, "rms " + Math.sqrt(sq / a.length));
        assertTrue(MemorySegment.ofArray(a).byteSize() == 4000);
    }
}
