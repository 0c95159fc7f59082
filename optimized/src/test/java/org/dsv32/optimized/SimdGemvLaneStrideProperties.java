package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The lane stride of the transposing fast GEMV ({@link SimdGemmKernelsTemplate#laneStride}): rows shorter than a
 * page that one group reads together lie in distinct 4 KiB pages whenever the group count allows it, with the
 * smallest such stride; longer rows stay consecutive; the stride always maps the unit's groups x L rows one to one
 * (it divides the group count).
 */
class SimdGemvLaneStrideProperties {
    @Property(tries = 300, seed = "1205")
    void rowsReadTogetherDoNotShareAPage(@ForAll @IntRange(min = 1, max = 160) int kQuads, @ForAll @IntRange(min = 1, max = 64) int groups,
            @ForAll @IntRange(min = 0, max = 1 << 12) int firstRow) {
        int k = 64 * kQuads, page = SimdGemmKernelsTemplate.PAGE;
        int ls = SimdGemmKernelsTemplate.laneStride(k, groups);
        assertEquals(1, Integer.bitCount(ls), "a power of two");
        assertEquals(0, groups % ls, "divides the group count, so every row of the unit is in exactly one group");
        if (k >= page) {
            assertEquals(1, ls, "rows of a page or more: consecutive rows (they meet only where one ends and the next starts)");
            return;
        }
        boolean apart = true;
        // lanes l and l + 1 read rows r and r + ls: their byte ranges must not meet in one page
        for (int l = 0; l + 1 < 16; l++) {
            long r = firstRow + (long) l * ls;
            long lastOfThis = (r + 1) * k - 1, firstOfNext = (r + ls) * k;
            if (lastOfThis / page == firstOfNext / page) apart = false;
        }
        boolean canDouble = ls * 2 <= groups && groups % (ls * 2) == 0;
        assertTrue(apart || !canDouble, "k " + k + ", " + groups + " groups: stride " + ls + " leaves two rows read together in one page");
        if (ls > 1) assertTrue((long) (ls / 2 - 1) * k < page, "k " + k + ": stride " + ls + " is not the smallest that separates the pages");
    }
}
