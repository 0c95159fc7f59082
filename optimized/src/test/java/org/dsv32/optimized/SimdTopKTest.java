package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Partial selection equals a stable full sort (descending, ties to the lower index) in both orders. */
class SimdTopKTest {
    /** Values with many ties, both zeros, infinities and NaN. */
    static double[] values(Random rnd, int n) {
        double[] pool = {0.0, -0.0, 1.0, -1.0, 0.5, Double.NaN, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, 2.0};
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextInt(3) == 0 ? rnd.nextGaussian() : pool[rnd.nextInt(pool.length)];
        return v;
    }

    static int[] bySort(double[] v, int n, int k, Comparator<Integer> byValueDescending) {
        return IntStream.range(0, n).boxed().sorted(byValueDescending.thenComparingInt(i -> i)).limit(k).mapToInt(Integer::intValue).toArray();
    }

    @Property(tries = 200, seed = "7")
    void equalsAStableSort(@ForAll long seed, @ForAll @IntRange(min = 0, max = 40) int n, @ForAll @IntRange(min = 0, max = 45) int k) {
        double[] v = values(new Random(seed), n + 3);
        // TOTAL: Double.compare, NaN first, -0.0 after 0.0 (the reference indexer's sort)
        Comparator<Integer> total = (a, b) -> Double.compare(v[b], v[a]);
        assertArrayEquals(bySort(v, n, k, total), SimdTopK.select(v, n, k, SimdTopK.Order.TOTAL), "TOTAL");
        // NAN_LAST: numeric, NaN last, -0.0 == 0.0 (the reference gate)
        Comparator<Integer> nanLast = (a, b) -> {
            boolean an = Double.isNaN(v[a]), bn = Double.isNaN(v[b]);
            if (an || bn) return an == bn ? 0 : (an ? 1 : -1);
            return v[a] > v[b] ? -1 : (v[a] < v[b] ? 1 : 0);
        };
        assertArrayEquals(bySort(v, n, k, nanLast), SimdTopK.select(v, n, k, SimdTopK.Order.NAN_LAST), "NAN_LAST");
    }

    /**
     * Large n against small k (the indexer's case, where a sampled threshold drops most values first and the
     * candidates are ranked by buckets of their keys): still the stable sort, for random values with ties and
     * specials, sorted runs with ties (ascending and descending: the sample sees every part), a pattern whose every
     * sampled value is the largest (for k above n / 16 the threshold then passes too few and the full pass decides), a
     * far outlier that piles every other value into one bucket (more levels), all values equal, and float products as
     * the indexer's scores (the keys' low bytes equal).
     */
    @Property(tries = 120, seed = "11")
    void equalsAStableSortForLargeN(@ForAll long seed, @ForAll @IntRange(min = 1024, max = 6000) int n,
                                    @ForAll @IntRange(min = 1, max = 1500) int k, @ForAll @IntRange(min = 0, max = 7) int pattern) {
        Random rnd = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (pattern) {
                case 0 -> rnd.nextGaussian();
                case 1 -> i / 7; // ascending with ties
                case 2 -> -(i / 5) + (rnd.nextInt(50) == 0 ? Double.NaN : 0.0);
                case 3 -> i == n / 3 ? 1e300 : rnd.nextGaussian();
                case 4 -> 0.25;
                case 5 -> i % SimdTopK.SAMPLE_STRIDE == 0 ? 10.0 : (rnd.nextInt(4) == 0 ? -0.0 : rnd.nextInt(3)); // samples all highest
                case 6 -> rnd.nextInt(4) == 0 ? -0.0 : rnd.nextInt(3);
                default -> (float) rnd.nextGaussian() * (double) (float) rnd.nextGaussian();
            };
        }
        if (pattern == 0) for (int i = 0; i < n; i += 1 + rnd.nextInt(30)) v[i] = values(rnd, 1)[0];
        Comparator<Integer> total = (a, b) -> Double.compare(v[b], v[a]);
        assertArrayEquals(bySort(v, n, k, total), SimdTopK.select(v, n, k, SimdTopK.Order.TOTAL), "TOTAL, pattern " + pattern);
    }

    /** Runs a loop's units from the last to the first: a merge that followed the finishing order would show. */
    static final SimdTopK.Units REVERSED = (units, body) -> {
        for (int u = units - 1; u >= 0; u--) body.accept(u);
    };

    /** Runs a loop's units in a shuffled order, the same for a given seed. */
    static SimdTopK.Units shuffled(long seed) {
        return (units, body) -> {
            java.util.List<Integer> order = new java.util.ArrayList<>(IntStream.range(0, units).boxed().toList());
            java.util.Collections.shuffle(order, new Random(seed));
            for (int u : order) body.accept(u);
        };
    }

    /**
     * The prefiltered path at the sizes whose candidate pass and ranking run as several units (n of several
     * {@link SimdTopK#CHUNK}s, the indexer's k up to 2048): the stable sort, with the units run on two threads, on
     * one, last to first and shuffled. Adversarial values: few distinct values, so that ties fill the threshold, cross
     * every chunk boundary and part boundary (only the chunk order of the merge keeps them by index); all equal; a
     * threshold tie pattern where the sampled values are the best; float products as the indexer's scores; NaN, both
     * zeros and infinities; descending runs (the best values all in the first chunk) and ascending (all in the last).
     */
    @Property(tries = 60, seed = "23")
    void theSplitSelectionEqualsAStableSortInAnyUnitOrder(@ForAll long seed, @ForAll @IntRange(min = 4096, max = 20000) int n,
                                                          @ForAll @IntRange(min = 1, max = 2048) int k, @ForAll @IntRange(min = 0, max = 6) int pattern) {
        Random rnd = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (pattern) {
                case 0 -> rnd.nextInt(3); // ties everywhere, the threshold on one of them
                case 1 -> 0.5;
                case 2 -> i % SimdTopK.SAMPLE_STRIDE == 0 ? 10.0 : rnd.nextInt(2) == 0 ? -0.0 : 0.0;
                case 3 -> (float) rnd.nextGaussian() * (double) (float) rnd.nextGaussian();
                case 4 -> values(rnd, 1)[0];
                case 5 -> -(i / 3);
                default -> i / 3;
            };
        }
        Comparator<Integer> total = (a, b) -> Double.compare(v[b], v[a]);
        int[] expected = bySort(v, n, k, total);
        assertArrayEquals(expected, SimdThreads.withThreads(2, () -> SimdTopK.select(v, n, k, SimdTopK.Order.TOTAL)), "two threads, pattern " + pattern);
        assertArrayEquals(expected, SimdTopK.select(v, n, k, SimdTopK.Order.TOTAL, SimdTopK.SERIAL), "serial, pattern " + pattern);
        assertArrayEquals(expected, SimdTopK.select(v, n, k, SimdTopK.Order.TOTAL, REVERSED), "reversed, pattern " + pattern);
        assertArrayEquals(expected, SimdTopK.select(v, n, k, SimdTopK.Order.TOTAL, shuffled(seed)), "shuffled, pattern " + pattern);
    }

    /** k at or above the number of values, and k a quarter of n (the largest the prefilter takes): still the sort. */
    @Property(tries = 20, seed = "29")
    void largeKEqualsAStableSort(@ForAll long seed, @ForAll @IntRange(min = 4096, max = 9000) int n, @ForAll boolean quarter) {
        Random rnd = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextInt(5);
        int k = quarter ? n / 4 : n + rnd.nextInt(3);
        int[] expected = bySort(v, n, k, (a, b) -> Double.compare(v[b], v[a]));
        assertArrayEquals(expected, SimdTopK.select(v, n, k, SimdTopK.Order.TOTAL, REVERSED));
        assertArrayEquals(expected, SimdThreads.withThreads(2, () -> SimdTopK.select(v, n, k, SimdTopK.Order.TOTAL)));
    }

    /** The threshold's value comes back from its key bit for bit, and the k-th smallest key is the sorted one's. */
    @Property(tries = 100, seed = "31")
    void keysInvertAndTheKthSmallestIsTheSortedOne(@ForAll long seed, @ForAll @IntRange(min = 1, max = 3000) int n) {
        Random rnd = new Random(seed);
        double[] v = values(rnd, n);
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            keys[i] = SimdTopK.descendingKey(v[i]);
            org.junit.jupiter.api.Assertions.assertEquals(Double.doubleToLongBits(v[i]), Double.doubleToLongBits(SimdTopK.valueOf(keys[i])), "value " + v[i]);
        }
        Long[] sorted = java.util.Arrays.stream(keys).boxed().sorted(Long::compareUnsigned).toArray(Long[]::new);
        int r = rnd.nextInt(n);
        org.junit.jupiter.api.Assertions.assertEquals((long) sorted[r], SimdTopK.kthSmallest(keys.clone(), n, r));
    }

    /**
     * The sampled keys a caller hands over (the indexer takes them while it writes the scores) only steer the
     * threshold: the true ones, and wrong ones that pass almost nothing (all the best key), everything (all the worst)
     * or an arbitrary set, give the stable sort all the same; a wrong length is ignored.
     */
    @Property(tries = 40, seed = "37")
    void givenSamplesOnlySteerTheThreshold(@ForAll long seed, @ForAll @IntRange(min = 4096, max = 12000) int n,
                                           @ForAll @IntRange(min = 1, max = 2048) int k, @ForAll @IntRange(min = 0, max = 4) int kind) {
        Random rnd = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextInt(4) == 0 ? rnd.nextInt(3) : (float) rnd.nextGaussian();
        long[] sampled = new long[kind == 4 ? n / SimdTopK.SAMPLE_STRIDE + 1 : n / SimdTopK.SAMPLE_STRIDE];
        for (int i = 0; i < sampled.length; i++) {
            sampled[i] = switch (kind) {
                case 0 -> SimdTopK.descendingKey(v[i * SimdTopK.SAMPLE_STRIDE]);
                case 1 -> 0L; // the best possible key: the threshold passes (almost) nothing, the heap pass decides
                case 2 -> -1L; // the worst: every value passes
                default -> rnd.nextLong();
            };
        }
        int[] expected = bySort(v, n, k, (a, b) -> Double.compare(v[b], v[a]));
        assertArrayEquals(expected, SimdThreads.withThreads(2, () -> SimdTopK.select(v, n, k, SimdTopK.Order.TOTAL, sampled)), "samples of kind " + kind);
        assertArrayEquals(expected, SimdTopK.select(v, n, k, SimdTopK.Order.TOTAL, REVERSED, sampled), "samples of kind " + kind + ", reversed");
    }
}
