package org.dsv32.spec.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** Causality, the indexer's selection size and the attended keys of a selection, shared by every backend. */
class AttendedKeysTest {
    @Test
    void causalityAndSelectionSize() {
        assertTrue(AttendedKeys.visible(5, 5));
        assertTrue(AttendedKeys.visible(5, 0));
        assertFalse(AttendedKeys.visible(5, 6));
        assertEquals(6, AttendedKeys.visiblePrefix(5, 10), "keys 0..5 of a 10-key cache");
        assertEquals(4, AttendedKeys.visiblePrefix(5, 4), "no more than the cache holds");
        assertEquals(3, AttendedKeys.selectionSize(3, 6), "index_topk when more keys are visible");
        assertEquals(2, AttendedKeys.selectionSize(8, 2), "every visible key when fewer than index_topk");
        assertEquals(0, AttendedKeys.selectionSize(0, 6));
    }

    @Test
    void attendsTheVisibleSelectedKeysOnceAscending() {
        assertArrayEquals(new int[] {0, 2, 3}, AttendedKeys.of(new int[] {3, 0, 7, 3, 2, 9}, 4, 10));
    }

    @Test
    void refusesKeysOutsideTheCacheAndEmptySelections() {
        assertEquals("MLA: the selection of the query at position 4 names key -1 outside the cache [0, 10)",
                assertThrows(IllegalArgumentException.class, () -> AttendedKeys.of(new int[] {2, -1}, 4, 10)).getMessage());
        assertEquals("MLA: the selection of the query at position 4 names key 10 outside the cache [0, 10)",
                assertThrows(IllegalArgumentException.class, () -> AttendedKeys.of(new int[] {10}, 4, 10)).getMessage());
        assertEquals("MLA: the query at position 4 has no selected key it may attend",
                assertThrows(IllegalArgumentException.class, () -> AttendedKeys.of(new int[] {5, 6}, 4, 10)).getMessage());
        assertEquals("MLA: the query at position 4 has no selected key it may attend",
                assertThrows(IllegalArgumentException.class, () -> AttendedKeys.of(new int[0], 4, 10)).getMessage());
    }

    @Test
    void aSubstitutedCausalityIsHonoured() {
        assertArrayEquals(new int[] {2, 7}, AttendedKeys.of(new int[] {7, 2}, 4, 10, (p, s) -> true), "a mutant that sees the future");
    }

    /** The attended keys are the distinct selected keys s <= p, ascending; the input is not modified. */
    @Property(tries = 300, seed = "18")
    void attendedKeysAreTheVisibleSelectionAsASet(@ForAll @Size(max = 12) List<@IntRange(min = 0, max = 15) Integer> selection,
                                                  @ForAll @IntRange(min = 0, max = 15) int queryPos) {
        int[] selected = selection.stream().mapToInt(Integer::intValue).toArray();
        int[] before = selected.clone();
        TreeSet<Integer> expected = new TreeSet<>();
        for (int s : selected) if (s <= queryPos) expected.add(s);
        if (expected.isEmpty()) {
            assertThrows(IllegalArgumentException.class, () -> AttendedKeys.of(selected, queryPos, 16));
        } else {
            assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), AttendedKeys.of(selected, queryPos, 16));
        }
        assertArrayEquals(before, selected);
    }
}
