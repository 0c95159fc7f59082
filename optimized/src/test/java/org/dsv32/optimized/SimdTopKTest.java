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
}
