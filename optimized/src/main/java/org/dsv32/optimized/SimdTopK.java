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
     * candidates are the values not below t in that order, and their k best are ranked by {@link #sortTop} on their
     * Double.compare keys, descending, from index order (so ties stay with the lower index). Exact whenever at least
     * k values pass: a candidate c (c &gt;= t or NaN) ranks above every other value x (x &lt; t &lt;= c, or c NaN), so
     * the k best are all candidates. Returns null
     * when fewer than k pass (then the caller's full heap pass decides).
     * Why: on a random order the heap pass replaces its root about k ln(n / k) times (7000 times, 11 levels each,
     * for the indexer's 2048 of 65536 keys) and pops k times at the end, with a hard-to-predict branch at each level;
     * the candidate pass and the bucket passes have no data-dependent branch.
     */
    private static int[] selectPrefiltered(double[] values, int n, int k) {
        int samples = n / SAMPLE_STRIDE, rank = Math.max(1, 2 * k / SAMPLE_STRIDE);
        if (rank > samples) return null;
        long[] sampled = new long[samples];
        int[] at = new int[samples];
        for (int i = 0; i < samples; i++) {
            sampled[i] = descendingKey(values[i * SAMPLE_STRIDE]);
            at[i] = i * SAMPLE_STRIDE;
        }
        sortTop(sampled, at, 0, samples, rank, new long[samples], new int[samples]);
        double t = values[at[rank - 1]];
        // counted without a branch (C2 keeps a select here): a branch taken for a few percent of random values
        // mispredicts often enough to cost several times the pass; the index array is the thread's, reused, as
        // zeroing a fresh one of 65536 keys cost about as much as the pass itself
        int[] cand = SCRATCH.get();
        if (cand.length < n) SCRATCH.set(cand = new int[n]);
        int c = 0;
        for (int i = 0; i < n; i++) {
            cand[c] = i;
            c += values[i] < t ? 0 : 1;
        }
        if (c < k) return null;
        long[] key = new long[c];
        int[] idx = java.util.Arrays.copyOf(cand, c);
        for (int j = 0; j < c; j++) key[j] = descendingKey(values[idx[j]]);
        sortTop(key, idx, 0, c, k, new long[c], new int[c]);
        return java.util.Arrays.copyOf(idx, k);
    }

    /** Each thread's candidate indices for {@link #selectPrefiltered}, grown to the largest n it has seen. */
    private static final ThreadLocal<int[]> SCRATCH = ThreadLocal.withInitial(() -> new int[0]);

    /**
     * A key whose unsigned ascending order is the descending {@link Double#compare} order of the values: the bits
     * (NaN canonical) made sign-magnitude-monotone, the sign bit flipped for unsigned order, then all bits inverted.
     */
    static long descendingKey(double v) {
        long bits = Double.doubleToLongBits(v);
        return ~(bits ^ ((bits >> 63) & Long.MAX_VALUE) ^ Long.MIN_VALUE);
    }

    /** Bits of a range's keys, below the prefix they all share, that one {@link #sortTop} level buckets by. */
    static final int BUCKET_BITS = 11;

    /** Ranges up to this length are sorted by insertion, whole. */
    static final int INSERTION_MAX = 24;

    /**
     * Makes key[from, from + need) the {@code need} smallest of key[from, to) as unsigned longs, ascending, with idx
     * moved along, stably (equal keys keep their order); what is left past from + need is unspecified. A most
     * significant digit first bucket sort whose digit adapts to the range: the {@link #BUCKET_BITS} bits below the
     * prefix all its keys share (scores of a narrow range share most of their high bits, so fixed byte digits would
     * leave most passes with one bucket), counted, then the buckets up to the one where the count reaches need are
     * placed in order through tk/ti (scratch, at least to - from long) and each is ranked the same way; the buckets
     * past it are dropped. Each level fixes at least one more key bit, so at most six levels; short ranges and ranges
     * of equal keys end it.
     */
    private static void sortTop(long[] key, int[] idx, int from, int to, int need, long[] tk, int[] ti) {
        if (to - from <= INSERTION_MAX) {
            insertionSort(key, idx, from, to);
            return;
        }
        long lo = -1L, hi = 0L; // unsigned extremes
        for (int j = from; j < to; j++) {
            long x = key[j];
            if (Long.compareUnsigned(x, lo) < 0) lo = x;
            if (Long.compareUnsigned(x, hi) > 0) hi = x;
        }
        if (lo == hi) return; // all equal: already in their stable order
        int top = 63 - Long.numberOfLeadingZeros(lo ^ hi), shift = Math.max(0, top + 1 - BUCKET_BITS);
        int mask = (1 << (top + 1 - shift)) - 1;
        int[] start = new int[mask + 2];
        for (int j = from; j < to; j++) start[(int) (key[j] >>> shift) & mask]++;
        int cut = 0, before = 0;
        while (before + start[cut] < need) before += start[cut++];
        int c = before + start[cut];
        for (int b = 0, sum = 0; b <= cut + 1; b++) { // counts into run starts (start[cut + 1] = c)
            int m = start[b];
            start[b] = sum;
            sum += m;
        }
        int[] fill = java.util.Arrays.copyOf(start, cut + 1);
        for (int j = from; j < to; j++) {
            long x = key[j];
            int b = (int) (x >>> shift) & mask;
            if (b <= cut) {
                int at = fill[b]++;
                tk[at] = x;
                ti[at] = idx[j];
            }
        }
        System.arraycopy(tk, 0, key, from, c);
        System.arraycopy(ti, 0, idx, from, c);
        for (int b = 0; b <= cut; b++) {
            int r0 = from + start[b], r1 = from + (b == cut ? c : start[b + 1]);
            if (r1 - r0 > 1) sortTop(key, idx, r0, r1, b == cut ? need - before : r1 - r0, tk, ti);
        }
    }

    /** Sorts key[from, to) ascending as unsigned longs, moving idx along, stably (equal keys keep their order). */
    private static void insertionSort(long[] key, int[] idx, int from, int to) {
        for (int j = from + 1; j < to; j++) {
            long x = key[j];
            int ix = idx[j], i = j - 1;
            while (i >= from && Long.compareUnsigned(key[i], x) > 0) {
                key[i + 1] = key[i];
                idx[i + 1] = idx[i];
                i--;
            }
            key[i + 1] = x;
            idx[i + 1] = ix;
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
