package org.dsv32.optimized;

/**
 * The k best of n values by partial selection: one pass over the values keeping the current k best in a binary
 * heap whose root is the worst of them, O(n log k), then the heap sorted (k log k). Ties go to the lower index, so
 * the result is a deterministic function of the values, the same as a stable full sort would give. In TOTAL order
 * with n much larger than k a sampled threshold first drops the values that cannot be among the k best
 * ({@link #selectPrefiltered}); the result is the same.
 */
final class SimdTopK {
    private SimdTopK() {}

    /** How values compare. */
    enum Order {
        /**
         * {@link Double#compare}: NaN above +inf, -0.0 below 0.0 (the reference indexer sorts with it).
         */
        TOTAL,
        /** Numeric, NaN below everything, -0.0 equal to 0.0 (the reference MoE gate). */
        NAN_LAST
    }

    /**
     * The indices of the {@code k} largest of values[0, n) (k is clamped to n), largest first, ties to the lower
     * index. values is not modified.
     */
    static int[] select(double[] values, int n, int k, Order order) {
        k = Math.min(k, n);
        if (order == Order.TOTAL && k > 0 && n >= PREFILTER_MIN && n >= 4L * k) {
            int[] fast = selectPrefiltered(values, n, k);
            if (fast != null) return fast;
        }
        return heapSelect(values, n, k, order);
    }

    /** Smallest n for {@link #selectPrefiltered}: below it one heap pass is cheap enough. */
    static final int PREFILTER_MIN = 1024;

    /** Every SAMPLE_STRIDE-th value is sampled for {@link #selectPrefiltered}'s threshold. */
    static final int SAMPLE_STRIDE = 16;

    /**
     * {@link #select} in TOTAL order for n much larger than k, by a threshold that a few candidates pass: t is the
     * (2k / SAMPLE_STRIDE)-th best of every SAMPLE_STRIDE-th value (so about 2k values pass on typical data), the
     * candidates are the values not numerically below t, and they are ranked alone by a stable radix sort of their
     * Double.compare keys, descending, from index order (so ties stay with the lower index). Exact whenever at least
     * k values pass: a candidate c (c &gt;= t or NaN) ranks above every other value x (x &lt; t &lt;= c, or c NaN), so
     * the k best are all candidates. Returns null when fewer than k pass (then the caller's full heap pass decides).
     * Why: on a random order the heap pass replaces its root about k ln(n / k) times (7000 times, 11 levels each,
     * for the indexer's 2048 of 65536 keys) and pops k times at the end, with a hard-to-predict branch at each level;
     * the radix passes have no data-dependent branch.
     */
    private static int[] selectPrefiltered(double[] values, int n, int k) {
        int samples = n / SAMPLE_STRIDE, rank = Math.max(1, 2 * k / SAMPLE_STRIDE);
        if (rank > samples) return null;
        double[] sampled = new double[samples];
        for (int i = 0; i < samples; i++) sampled[i] = values[i * SAMPLE_STRIDE];
        int[] best = heapSelect(sampled, samples, rank, Order.TOTAL);
        double t = sampled[best[rank - 1]];
        int[] cand = new int[n];
        int c = 0;
        for (int i = 0; i < n; i++) {
            if (!(values[i] < t)) cand[c++] = i;
        }
        if (c < k) return null;
        long[] key = new long[c];
        for (int j = 0; j < c; j++) key[j] = descendingKey(values[cand[j]]);
        radixSort(key, cand, c);
        return java.util.Arrays.copyOf(cand, k);
    }

    /**
     * A key whose unsigned ascending order is the descending {@link Double#compare} order of the values: the bits
     * (NaN canonical) made sign-magnitude-monotone, the sign bit flipped for unsigned order, then all bits inverted.
     */
    static long descendingKey(double v) {
        long bits = Double.doubleToLongBits(v);
        return ~(bits ^ ((bits >> 63) & Long.MAX_VALUE) ^ Long.MIN_VALUE);
    }

    /**
     * Sorts key[0, c) ascending as unsigned longs, moving idx[0, c) along, stably: least significant byte first, one
     * counting pass per byte; a byte equal in every key is skipped (scores share their high bytes).
     */
    private static void radixSort(long[] key, int[] idx, int c) {
        long[] k2 = new long[c];
        int[] i2 = new int[c];
        int[] count = new int[257];
        for (int shift = 0; shift < 64; shift += 8) {
            java.util.Arrays.fill(count, 0);
            for (int j = 0; j < c; j++) count[(int) (key[j] >>> shift) & 0xFF]++;
            if (count[(int) (key[0] >>> shift) & 0xFF] == c) continue; // all in one bucket: the order stays
            for (int b = 0, sum = 0; b < 256; b++) {
                int m = count[b];
                count[b] = sum;
                sum += m;
            }
            for (int j = 0; j < c; j++) {
                int b = (int) (key[j] >>> shift) & 0xFF, to = count[b]++;
                k2[to] = key[j];
                i2[to] = idx[j];
            }
            System.arraycopy(k2, 0, key, 0, c);
            System.arraycopy(i2, 0, idx, 0, c);
        }
    }

    /** {@link #select} by one heap pass over all n values. */
    private static int[] heapSelect(double[] values, int n, int k, Order order) {
        k = Math.min(k, n);
        if (k <= 0) return new int[0];
        int[] heap = new int[k];
        int size = 0;
        for (int i = 0; i < n; i++) {
            if (size < k) {
                heap[size] = i;
                siftUp(heap, size++, values, order);
            } else if (better(i, heap[0], values, order)) {
                heap[0] = i;
                siftDown(heap, size, values, order);
            }
        }
        int[] out = new int[k];
        for (int r = k - 1; r >= 0; r--) { // pop the worst first
            out[r] = heap[0];
            heap[0] = heap[--size];
            siftDown(heap, size, values, order);
        }
        return out;
    }

    /** Whether index a ranks before index b. */
    static boolean better(int a, int b, double[] v, Order order) {
        int c = compare(v[a], v[b], order);
        return c != 0 ? c > 0 : a < b;
    }

    private static int compare(double x, double y, Order order) {
        if (order == Order.TOTAL) return Double.compare(x, y);
        boolean xn = Double.isNaN(x), yn = Double.isNaN(y);
        if (xn || yn) return xn == yn ? 0 : (xn ? -1 : 1);
        return x > y ? 1 : (x < y ? -1 : 0);
    }

    /** Min-heap on "better": the root is the worst kept index. */
    private static void siftUp(int[] h, int i, double[] v, Order order) {
        int x = h[i];
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (!better(h[p], x, v, order)) break;
            h[i] = h[p];
            i = p;
        }
        h[i] = x;
    }

    private static void siftDown(int[] h, int size, double[] v, Order order) {
        if (size == 0) return;
        int i = 0, x = h[0];
        while (true) {
            int c = 2 * i + 1;
            if (c >= size) break;
            if (c + 1 < size && better(h[c], h[c + 1], v, order)) c++;
            if (!better(x, h[c], v, order)) break;
            h[i] = h[c];
            i = c;
        }
        h[i] = x;
    }
}
