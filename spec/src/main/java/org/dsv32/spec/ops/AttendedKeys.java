package org.dsv32.spec.ops;

/**
 * Which keys a query may score and attend (spec/SEMANTICS.md §7 and §8), in one place so that every backend's indexer
 * and attention apply the same causality, the same selection size and the same refusals:
 *
 * <ul>
 *   <li>causality: a query at position p sees the keys s &lt;= p, and no others, whatever was selected;</li>
 *   <li>the indexer selects min(index_topk, visible keys) of them, visible keys = min(keys, p + 1) in a cache of
 *       {@code keys} entries (the official demo's min(index_topk, S) over all columns would fill an early query's
 *       selection with masked future keys);</li>
 *   <li>attention uses the selected keys that are visible, each once, and refuses a selection that names a key
 *       outside the cache or leaves the query no key at all (its softmax would be 0 / 0).</li>
 * </ul>
 */
public final class AttendedKeys {
    private AttendedKeys() {}

    /** Whether the query at {@code queryPos} may see the key at {@code keyPos}: causality, s &lt;= p. */
    public static boolean visible(int queryPos, int keyPos) { return keyPos <= queryPos; }

    /** How many keys of a {@code keys}-entry cache the query at {@code queryPos} sees: the prefix [0, min(keys, p + 1)). */
    public static int visiblePrefix(int queryPos, int keys) { return Math.max(0, Math.min(keys, queryPos + 1)); }

    /** How many keys the indexer selects for a query that sees {@code visibleKeys} keys: min(index_topk, visible). */
    public static int selectionSize(int indexTopk, int visibleKeys) { return Math.max(0, Math.min(indexTopk, visibleKeys)); }

    /** A causality rule; the canonical one is {@link AttendedKeys#visible}, a mutant may substitute another. */
    @FunctionalInterface
    public interface Visibility {
        boolean visible(int queryPos, int keyPos);
    }

    /** {@link #of(int[], int, int, Visibility)} under the canonical causality. */
    public static int[] of(int[] selected, int queryPos, int keys) { return of(selected, queryPos, keys, AttendedKeys::visible); }

    /**
     * The keys the query at {@code queryPos} attends: the selected keys it may see under {@code visibility}, each once,
     * ascending. Refuses a selected key outside [0, keys) and a selection that leaves no key to attend; both
     * messages name the query's position. {@code selected} is not modified.
     */
    public static int[] of(int[] selected, int queryPos, int keys, Visibility visibility) {
        boolean[] mask = new boolean[keys];
        int n = 0;
        for (int s : selected) {
            if (s < 0 || s >= keys) {
                throw new IllegalArgumentException("MLA: the selection of the query at position " + queryPos + " names key " + s
                        + " outside the cache [0, " + keys + ")");
            }
            if (visibility.visible(queryPos, s) && !mask[s]) {
                mask[s] = true;
                n++;
            }
        }
        if (n == 0) throw new IllegalArgumentException("MLA: the query at position " + queryPos + " has no selected key it may attend");
        int[] out = new int[n];
        for (int s = 0, i = 0; i < n; s++) if (mask[s]) out[i++] = s;
        return out;
    }
}
