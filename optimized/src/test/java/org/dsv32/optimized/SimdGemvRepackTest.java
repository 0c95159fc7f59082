package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.junit.jupiter.api.Test;

/**
 * The GEMV's repacked codes ({@link SimdWeightCache#packedCodes}): their layout, when they are made, and that the
 * GEMV reading them gives the bits of the GEMV that transposes the codes itself, at every width.
 */
class SimdGemvRepackTest {
    @Test
    void layoutInterleavesRunsOfFourItemsAndOnlyWholeGroupsAreKept() {
        Random rnd = new Random(5);
        // 42 rows: 5 whole groups of 8 lanes; 384 columns: 3 blocks of 128, so 15 items, the last run padded
        Fp8BlockWeight w = SimdTestData.fp8Weight(rnd, 42, 384, 128, 128, true, false);
        int lanes = 8;
        assertNull(SimdWeightCache.packedCodes(w, lanes), "a weight's first use is not repacked");
        int[] packed = SimdWeightCache.packedCodes(w, lanes);
        assertNotNull(packed, "the second use repacks");
        int groups = 42 / lanes, kb = 3, itemInts = 128 / 4 * lanes, items = groups * kb;
        assertEquals(4 * 4 * itemInts, packed.length, "15 items of 5 whole groups (rows 40 and 41 left out), padded to 16");
        for (int g = 0; g < groups; g++) {
            for (int b = 0; b < kb; b++) {
                int item = g * kb + b;
                for (int q = 0; q < 32; q++) {
                    for (int l = 0; l < lanes; l++) {
                        long at = (long) (g * lanes + l) * 384 + b * 128 + 4 * q;
                        int expected = w.codes().get(SimdLayouts.I32, at);
                        int got = packed[item / 4 * 4 * itemInts + q * 4 * lanes + item % 4 * lanes + l];
                        if (got != expected) fail("group " + g + " block " + b + " quad " + q + " lane " + l);
                    }
                }
            }
        }
        for (int q = 0; q < 32; q++) {
            for (int l = 0; l < lanes; l++) assertEquals(0, packed[items / 4 * 4 * itemInts + q * 4 * lanes + 3 * lanes + l], "padding");
        }
        assertEquals(packed, SimdWeightCache.packedCodes(w, lanes), "the copy is kept");
        assertNull(SimdWeightCache.packedCodesIfMade(w, 4), "each lane count has its own copy");
    }

    /**
     * A weight whose arena is closed gives its copies' budget back: the repacked codes of a weight on a confined arena
     * count while the arena is open and stop counting once it is closed, although the weight object is still
     * reachable (held here), as a closed benchmark's weights are until a full collection.
     */
    @Test
    void copiesOfClosedStorageLeaveTheBudget() {
        Random rnd = new Random(9);
        Fp8BlockWeight heap = SimdTestData.fp8Weight(rnd, 64, 256, 128, 128, true, false);
        java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined();
        {
            java.lang.foreign.MemorySegment codes = arena.allocate(heap.codes().byteSize());
            codes.copyFrom(heap.codes());
            Fp8BlockWeight w = new Fp8BlockWeight("closing", codes, heap.scales(), 64, 256, 128, 128);
            SimdWeightCache.packedCodes(w, 4);
            assertNotNull(SimdWeightCache.packedCodes(w, 4), "the second use repacks");
            // other tests' weights may be collected meanwhile (their copies leave too): compare with >=
            long held = SimdWeightCache.bytesHeldByLiveWeights();
            assertNotNull(SimdWeightCache.packedCodesIfMade(w, 4), "kept while the arena is open");
            arena.close();
            long after = SimdWeightCache.bytesHeldByLiveWeights();
            assertTrue(held - after >= 64L * 256, "one byte per code given back: held " + held + ", after " + after);
            assertNull(SimdWeightCache.packedCodesIfMade(w, 4), "nothing kept for closed storage");
        }
    }

    /**
     * 200 rows: a whole 128-row unit and a unit of 72 (whole groups plus a tail at every width); K = 384: three
     * blocks, so the GEMV's four chains hold items of two groups; blockRows 64 puts a scale boundary inside 128-row
     * units but never inside a group.
     */
    @Test
    void repackedGemvGivesTheTransposingGemvsBitsAtEveryWidth() {
        Random rnd = new Random(77);
        int n = 200, k = 384;
        float[] x = SimdTestData.gaussian(rnd, k, 3f);
        float[] sa = {0.5f, 0.25f, 2f};
        float[] canonical = null;
        for (int bits : SimdSpecies.supportedBits()) {
            Fp8BlockWeight w = SimdTestData.fp8Weight(new Random(78), n, k, 64, 128, true, false);
            float[] first = gemv(bits, x, sa, w, n);
            float[] second = gemv(bits, x, sa, w, n);
            if (bits > 0) assertNotNull(SimdWeightCache.packedCodesIfMade(w, bits / 32), "width " + bits + ": the second call repacked");
            assertArrayEquals(first, second, "width " + bits + ": repacked vs transposed");
            if (canonical == null) canonical = first;
            for (int c = 0; c < n; c++) {
                assertEquals(Float.floatToIntBits(canonical[c]), Float.floatToIntBits(second[c]), "width " + bits + " y[" + c + "]");
            }
        }
    }

    private static float[] gemv(int bits, float[] x, float[] sa, Fp8BlockWeight w, int n) {
        float[] y = new float[n];
        SimdSpecies.withBits(bits, () -> SimdGemmDriver.gemv(SimdGemmProblem.fp8(x, sa, 1, w, y)));
        return y;
    }
}
