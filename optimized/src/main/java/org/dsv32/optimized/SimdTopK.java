package org.dsv32.optimized;

import java.util.function.IntConsumer;

/**
 * The k best of n values by partial selection: one pass over the values keeping the current k best in a binary
 * heap whose root is the worst of them, O(n log k), then the heap sorted (k log k). Ties go to the lower index, so
 * the result is a deterministic function of the values, the same as a stable full sort would give. In TOTAL order
 * with n much larger than k a sampled threshold first drops the values that cannot be among the k best
 * ({@link #selectPrefiltered}), and the candidates are ranked in parts that the worker threads share; the result is
 * the same, whatever the thread count and the order in which the parts run.
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
     * Runs every unit of a loop, [0, units), once each, on any threads in any order, and returns when all are done.
     * Each unit writes only its own slots, so what the loop computes does not depend on the order.
     */
    @FunctionalInterface
    interface Units {
        void run(int units, IntConsumer body);
    }

    /** The backend's worker threads ({@link SimdThreads#parallelFor(int, IntConsumer)}). */
    static final Units THREADS = SimdThreads::parallelFor;

    /** The units one after another on the calling thread, ascending. */
    static final Units SERIAL = (units, body) -> {
        for (int u = 0; u < units; u++) body.accept(u);
    };

    /**
     * The indices of the {@code k} largest of values[0, n) (k is clamped to n), largest first, ties to the lower
     * index. values is not modified.
     */
    static int[] select(double[] values, int n, int k, Order order) { return select(values, n, k, order, THREADS); }

    /** {@link #select(double[], int, int, Order)} with the parallel loops of the prefiltered path run by {@code units}. */
    static int[] select(double[] values, int n, int k, Order order, Units units) { return select(values, n, k, order, units, null); }

    /**
     * {@link #select(double[], int, int, Order)} given the sampled keys of the prefiltered path, {@code sampled[i] =
     * descendingKey(values[i * SAMPLE_STRIDE])} for i &lt; n / SAMPLE_STRIDE, made by the caller while it wrote the
     * values (on the core that holds them), or null: made here. They only steer the threshold: the result is exact
     * whatever they hold (see {@link #selectPrefiltered}), only the speed depends on them.
     */
    static int[] select(double[] values, int n, int k, Order order, long[] sampled) { return select(values, n, k, order, THREADS, sampled); }

    static int[] select(double[] values, int n, int k, Order order, Units units, long[] sampled) {
        k = Math.min(k, n);
        if (order == Order.TOTAL && k > 0 && n >= PREFILTER_MIN && n >= 4L * k) {
            int[] fast = selectPrefiltered(values, n, k, n >= PARALLEL_MIN ? units : SERIAL, sampled);
            if (fast != null) return fast;
        }
        return heapSelect(values, n, k, order);
    }

    /** Smallest n for {@link #selectPrefiltered}: below it one heap pass is cheap enough. */
    static final int PREFILTER_MIN = 1024;

    /** Every SAMPLE_STRIDE-th value is sampled for {@link #selectPrefiltered}'s threshold. */
    static final int SAMPLE_STRIDE = 16;

    /**
     * Values per unit of {@link #selectPrefiltered}'s candidate pass: 8192 keys (the bench's short row) make four
     * units, so that two threads can even out a late start.
     */
    static final int CHUNK = 2048;

    /**
     * Smallest n whose prefiltered selection runs its loops on the worker threads: below it the candidate pass is a
     * few microseconds, about what handing it over costs.
     */
    static final int PARALLEL_MIN = 4096;

    /** Parts the candidates are ranked in (the last one holds those past about the 1.25k best, usually not needed). */
    static final int PARTS = 8;

    /** {@link #selectPrefiltered} maps keys to parts through 2^FINE_BITS fine buckets of the sampled key range. */
    static final int FINE_BITS = 10;

    /**
     * {@link #select} in TOTAL order for n much larger than k, by a threshold that a few candidates pass: t is the
     * (2k / SAMPLE_STRIDE)-th best of every SAMPLE_STRIDE-th value (so about 2k values pass on typical data), the
     * candidates are the values not below t in that order, and their k best are ranked on their Double.compare keys
     * (descending, ties to the lower index). Exact whenever at least k values pass: a candidate c (c &gt;= t or NaN)
     * ranks above every other value x (x &lt; t &lt;= c, or c NaN), so the k best are all candidates, for any t: the
     * samples only make t a good one. Returns null when fewer than k pass (then the caller's full heap pass decides).
     *
     * <p>The ranking is split in {@value #PARTS} parts, each a range of keys ({@link Parts}: a monotone map of the
     * keys, so equal keys always fall in the same part), each ranked alone by {@link #sortTop}: a part holds every
     * candidate of its key range in ascending index order, and the parts before it exactly the candidates with
     * smaller keys, so part p's ranks start at the number of candidates in the parts before it, and its sorted keys
     * are the stable sort's ranks there. The candidate pass runs in units of {@value #CHUNK} values (each keeps its
     * candidates in index order, grouped by part, in its own slice of the scratch), the parts as units too; each
     * unit writes only its own slots, so the result does not depend on which thread runs which unit, nor when.
     *
     * <p>Why: on a random order the heap pass replaces its root about k ln(n / k) times (7000 times, 11 levels each,
     * for the indexer's 2048 of 65536 keys) and pops k times at the end, with a hard-to-predict branch at each level;
     * the candidate pass and the bucket passes have no data-dependent branch. And the indexer's top-k is a serial
     * stretch of a decode step while the other core waits: split, both cores share it.
     */
    private static int[] selectPrefiltered(double[] values, int n, int k, Units units, long[] given) {
        int samples = n / SAMPLE_STRIDE, rank = Math.max(1, 2 * k / SAMPLE_STRIDE);
        if (rank > samples) return null;
        long[] sampled = given;
        if (sampled == null || sampled.length != samples) {
            sampled = new long[samples];
            for (int i = 0; i < samples; i++) sampled[i] = descendingKey(values[i * SAMPLE_STRIDE]);
        }
        Parts parts = new Parts(sampled, rank);
        double t = valueOf(parts.threshold);

        int chunks = (n + CHUNK - 1) / CHUNK;
        Scratch s = Scratch.of(n);
        int[] counts = new int[chunks * PARTS]; // candidates of chunk u in part p, at [u * PARTS + p]
        units.run(chunks, u -> candidates(values, u * CHUNK, Math.min(n, (u + 1) * CHUNK), t, parts, s, counts, u * PARTS));

        int[] first = new int[PARTS + 1]; // part p's first rank, the candidates of the parts before it
        for (int p = 0; p < PARTS; p++) {
            int m = 0;
            for (int u = 0; u < chunks; u++) m += counts[u * PARTS + p];
            first[p + 1] = first[p] + m;
        }
        if (first[PARTS] < k) return null;
        int[] out = new int[k];
        units.run(PARTS, p -> rankPart(p, first, counts, chunks, k, s, out));
        return out;
    }

    /**
     * The threshold key of {@link #selectPrefiltered} (the rank-th smallest sampled key) and its map of keys to
     * parts: a key's fine bucket is its offset above the smallest sampled key (0 for any key below it), shifted so
     * that the threshold's falls within 2^FINE_BITS buckets (later keys share the last); each fine bucket goes to
     * the part given by the sampled keys below it, so that parts 0 to PARTS - 2 each hold about an equal share of
     * the best ~1.25k values and the last the rest. Both steps are monotone in the key, which is all that the
     * exactness needs; the balance only decides the speed.
     */
    private static final class Parts {
        final long threshold;
        /** The smallest sampled key with the sign bit flipped (signed comparison is then the keys' unsigned order). */
        private final long base;
        private final int shift;
        private final byte[] ofFine = new byte[1 << FINE_BITS];

        Parts(long[] sampled, int rank) {
            long least = Long.MAX_VALUE;
            for (long x : sampled) least = Math.min(least, x ^ Long.MIN_VALUE);
            base = least;
            threshold = kthSmallest(sampled.clone(), sampled.length, rank - 1);
            long range = (threshold ^ Long.MIN_VALUE) - base; // unsigned
            shift = Math.max(1, 64 - Long.numberOfLeadingZeros(range) - FINE_BITS);
            int[] count = new int[ofFine.length];
            long limit = threshold ^ Long.MIN_VALUE;
            for (long x : sampled) if ((x ^ Long.MIN_VALUE) <= limit) count[fine(x)]++;
            // part p begins at the fine bucket where the sampled keys below reach p / (PARTS - 1) of the span
            // (one division per part, not per fine bucket: a thousand divisions cost as much as the threshold)
            int span = Math.max(1, rank * 5 / 8);
            for (int f = 0, below = 0, p = 0, next = firstBelow(1, span); f < ofFine.length; f++) {
                while (p < PARTS - 1 && below >= next) next = firstBelow(++p + 1, span);
                ofFine[f] = (byte) p;
                below += count[f];
            }
        }

        /** The fewest sampled keys below a fine bucket that start part p: ceil(p * span / (PARTS - 1)). */
        private static int firstBelow(int p, int span) { return (int) (((long) p * span + PARTS - 2) / (PARTS - 1)); }

        private int fine(long key) {
            long y = Math.max(key ^ Long.MIN_VALUE, base) - base; // unsigned offset, below 2^64
            return (int) Math.min(ofFine.length - 1, y >>> shift);
        }

        int of(long key) { return ofFine[fine(key)]; }
    }

    /**
     * One unit of the candidate pass: values[a, b) not below t, their indices and keys in index order, grouped by
     * part (in index order within each) into s.idx2 / s.key2 [a, a + count); the count of each part to
     * counts[at + p].
     */
    private static void candidates(double[] values, int a, int b, double t, Parts parts, Scratch s, int[] counts, int at) {
        int[] idx = s.idx;
        long[] key = s.key;
        byte[] part = s.part;
        // counted without a branch (C2 keeps a select here): a branch taken for a few percent of random values
        // mispredicts often enough to cost several times the pass
        int c = a;
        for (int i = a; i < b; i++) {
            idx[c] = i;
            c += values[i] < t ? 0 : 1;
        }
        int[] start = new int[PARTS];
        for (int j = a; j < c; j++) {
            long x = descendingKey(values[idx[j]]);
            int p = parts.of(x);
            key[j] = x;
            part[j] = (byte) p;
            start[p]++;
        }
        for (int p = 0, sum = a; p < PARTS; p++) {
            int m = start[p];
            counts[at + p] = m;
            start[p] = sum;
            sum += m;
        }
        int[] idx2 = s.idx2;
        long[] key2 = s.key2;
        for (int j = a; j < c; j++) {
            int o = start[part[j]]++;
            key2[o] = key[j];
            idx2[o] = idx[j];
        }
    }

    /** The value whose {@link #descendingKey} is {@code key} (NaN for the canonical NaN's). */
    static double valueOf(long key) {
        long y = ~key ^ Long.MIN_VALUE; // the sign-magnitude-monotone bits; their sign is the value's
        return Double.longBitsToDouble(y ^ ((y >> 63) & Long.MAX_VALUE));
    }

    /**
     * The r-th smallest (from 0) of key[0, n) as unsigned longs; key is reordered. The MSD buckets of
     * {@link #sortTop}, following only the bucket that holds rank r.
     */
    static long kthSmallest(long[] key, int n, int r) {
        int from = 0, to = n;
        while (to - from > INSERTION_MAX) {
            long lo = Long.MAX_VALUE, hi = Long.MIN_VALUE;
            for (int j = from; j < to; j++) {
                long x = key[j] ^ Long.MIN_VALUE;
                lo = Math.min(lo, x);
                hi = Math.max(hi, x);
            }
            if (lo == hi) return key[from];
            int bits = Math.min(BUCKET_BITS, 31 - Integer.numberOfLeadingZeros(to - from));
            int top = 63 - Long.numberOfLeadingZeros(lo ^ hi), shift = Math.max(0, top + 1 - bits);
            int mask = (1 << (top + 1 - shift)) - 1;
            int[] count = new int[mask + 1];
            for (int j = from; j < to; j++) count[(int) (key[j] >>> shift) & mask]++;
            int b = 0;
            while (r >= count[b]) r -= count[b++];
            int m = from;
            for (int j = from; j < to; j++) {
                long x = key[j];
                key[m] = x;
                m += ((int) (x >>> shift) & mask) == b ? 1 : 0;
            }
            to = m;
        }
        long[] rest = java.util.Arrays.copyOfRange(key, from, to);
        for (int j = 0; j < rest.length; j++) rest[j] ^= Long.MIN_VALUE; // signed order of the flipped keys
        java.util.Arrays.sort(rest);
        return rest[r] ^ Long.MIN_VALUE;
    }

    /**
     * One part of {@link #selectPrefiltered}: its candidates gathered from every chunk in chunk order (so in index
     * order), the first min(count, k - first[p]) of them ranked by {@link #sortTop} and their indices written to
     * out from first[p] on; nothing when the parts before it hold k already.
     */
    private static void rankPart(int p, int[] first, int[] counts, int chunks, int k, Scratch s, int[] out) {
        int from = first[p], m = first[p + 1] - from;
        if (from >= k || m == 0) return;
        long[] key = new long[m];
        int[] idx = new int[m];
        for (int u = 0, j = 0; u < chunks; u++) {
            int off = u * CHUNK;
            for (int q = 0; q < p; q++) off += counts[u * PARTS + q];
            int c = counts[u * PARTS + p];
            System.arraycopy(s.key2, off, key, j, c);
            System.arraycopy(s.idx2, off, idx, j, c);
            j += c;
        }
        int need = Math.min(m, k - from);
        sortTop(key, idx, 0, m, need, new long[m], new int[m]);
        System.arraycopy(idx, 0, out, from, need);
    }

    /**
     * The calling thread's scratch for {@link #selectPrefiltered}, grown to the largest n it has seen and reused:
     * zeroing fresh arrays of 65536 keys cost about as much as the candidate pass itself. Units on other threads
     * write disjoint slices of it during one call.
     */
    private static final class Scratch {
        private static final ThreadLocal<Scratch> OF_THREAD = ThreadLocal.withInitial(() -> new Scratch(0));

        final int[] idx, idx2;
        final long[] key, key2;
        final byte[] part;

        private Scratch(int n) {
            part = new byte[n];
            idx = new int[n];
            idx2 = new int[n];
            key = new long[n];
            key2 = new long[n];
        }

        static Scratch of(int n) {
            Scratch s = OF_THREAD.get();
            if (s.idx.length < n) OF_THREAD.set(s = new Scratch(n));
            return s;
        }
    }

    /**
     * A key whose unsigned ascending order is the descending {@link Double#compare} order of the values: the bits
     * (NaN canonical) made sign-magnitude-monotone, the sign bit flipped for unsigned order, then all bits inverted.
     */
    static long descendingKey(double v) {
        long bits = Double.doubleToLongBits(v);
        return ~(bits ^ ((bits >> 63) & Long.MAX_VALUE) ^ Long.MIN_VALUE);
    }

    /** Bits of a range's keys, below the prefix they all share, that one {@link #sortTop} level buckets by at most. */
    static final int BUCKET_BITS = 11;

    /** Ranges up to this length are sorted by insertion, whole. */
    static final int INSERTION_MAX = 24;

    /**
     * Makes key[from, from + need) the {@code need} smallest of key[from, to) as unsigned longs, ascending, with idx
     * moved along, stably (equal keys keep their order); what is left past from + need is unspecified. A most
     * significant digit first bucket sort whose digit adapts to the range: up to {@link #BUCKET_BITS} bits below the
     * prefix all its keys share (scores of a narrow range share most of their high bits, so fixed byte digits would
     * leave most passes with one bucket), about as many buckets as keys (a bucket array much longer than the range
     * would cost more to clear and scan than the range itself), counted, then the buckets up to the one where the
     * count reaches need are placed in order through tk/ti (scratch, at least to - from long) and each is ranked the
     * same way; the buckets past it are dropped. Each level fixes at least one more key bit, and the range's smallest
     * and largest keys fall in different buckets, so every bucket is shorter than its range; short ranges and ranges
     * of equal keys end it.
     */
    private static void sortTop(long[] key, int[] idx, int from, int to, int need, long[] tk, int[] ti) {
        if (to - from <= INSERTION_MAX) {
            insertionSort(key, idx, from, to);
            return;
        }
        long lo = Long.MAX_VALUE, hi = Long.MIN_VALUE; // extremes in signed order of the sign-flipped keys
        for (int j = from; j < to; j++) {
            long x = key[j] ^ Long.MIN_VALUE;
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        if (lo == hi) return; // all equal: already in their stable order
        int bits = Math.min(BUCKET_BITS, 31 - Integer.numberOfLeadingZeros(to - from));
        int top = 63 - Long.numberOfLeadingZeros(lo ^ hi), shift = Math.max(0, top + 1 - bits);
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
