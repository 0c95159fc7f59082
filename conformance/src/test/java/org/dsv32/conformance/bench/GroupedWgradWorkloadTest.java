package org.dsv32.conformance.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The k-grouped Wgrad row's workload: the routing gives every token exactly top-k distinct experts (the groups are
 * ragged, sized about T k / E), the flops count the groups run, and simd agrees with the float64 reference on the
 * checked groups before anything is timed.
 */
class GroupedWgradWorkloadTest {
    @Test
    void everyTokenIsRoutedToTopKDistinctExperts() {
        int tokens = 4096, experts = 256, topK = 8;
        int[][] rows = GroupedWgradWorkload.route(tokens, experts, topK, 5);
        int[] perToken = new int[tokens];
        int lo = Integer.MAX_VALUE, hi = 0;
        for (int[] r : rows) {
            for (int i = 1; i < r.length; i++) assertTrue(r[i - 1] < r[i], "a group's tokens are distinct and ascending");
            for (int t : r) perToken[t]++;
            lo = Math.min(lo, r.length);
            hi = Math.max(hi, r.length);
        }
        for (int c : perToken) assertEquals(topK, c);
        assertTrue(lo > 64 && hi < 200, "group sizes " + lo + ".." + hi + " around 4096 * 8 / 256 = 128");
    }

    @Test
    void simdAgreesWithTheReferenceOnRaggedGroups() {
        GroupedWgradWorkload w = new GroupedWgradWorkload(130, 4, 2, 4, new Fp8GemmWorkload.Shape(256, 200), 3);
        assertEquals(260, w.routedRows());
        assertEquals(2.0 * 260 * 256 * 200, w.flops());
        w.check("simd");
        assertTrue(w.partScale() > 1);
    }
}
