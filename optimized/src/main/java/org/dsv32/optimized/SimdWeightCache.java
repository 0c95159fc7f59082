package org.dsv32.optimized;

import java.lang.foreign.MemorySegment;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.concurrent.ConcurrentHashMap;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.Weight;

/**
 * Float32 copies of weights that a layer would otherwise decode on every call: norm weights and biases (a bf16
 * vector converted per call costs as much as the norm itself at the tiny sizes) and the dequantised kv_b of the
 * absorbed MLA (decoding it per decode step was the largest single cost of a tiny decode step).
 *
 * <p>Keyed by the identity of the {@link Weight} object, held weakly: a copy lives as long as the weights it was
 * made from, and a new checkpoint mapped at the same address (equal records, different bytes) can never hit an old
 * copy, which an equals-keyed map would allow. Copies are made only while their total stays under
 * {@code -Ddsv32.weightCacheMiB} (default 512 MiB); beyond it the callers decode per call as before, so the 671B
 * shapes (64 MiB of dequantised kv_b per layer) cache a few layers and never run out of memory.
 *
 * <p>It also holds the FP8 codes of weights repacked for the GEMV ({@link #packedCodes}): still one byte per code,
 * no wider, only reordered so that the GEMV loads codes lane-per-row without transposing them.
 */
final class SimdWeightCache {
    private SimdWeightCache() {}

    static final String PROPERTY = "dsv32.weightCacheMiB";
    private static final long BUDGET = Math.max(0L, Long.getLong(PROPERTY, 512L)) << 20;

    private static final ReferenceQueue<Weight> QUEUE = new ReferenceQueue<>();
    /**
     * Values: float[] copies (tag 0), int[] repacked codes (tag lanes), {@link #SEEN} markers (tag -lanes). Looked up
     * without a lock (a decode step makes about a hundred lookups); changed, and the budget counted, under
     * {@link #LOCK}.
     */
    private static final ConcurrentHashMap<Object, Object> COPIES = new ConcurrentHashMap<>();
    private static final Object SEEN = new Object();
    private static final Object LOCK = new Object();
    private static long bytes;

    /** The stored key: the weight, weakly, and the tag. */
    private static final class Key extends WeakReference<Weight> {
        private final int hash;
        private final long size;
        private final int tag;

        Key(Weight w, int tag, ReferenceQueue<Weight> q, long size) {
            super(w, q);
            this.hash = hash(w, tag);
            this.tag = tag;
            this.size = size;
        }

        @Override public int hashCode() { return hash; }

        @Override
        public boolean equals(Object o) {
            if (this == o) return true;
            Weight w = get();
            if (w == null) return false;
            return o instanceof Probe p ? p.w == w && p.tag == tag : o instanceof Key k && w == k.get() && tag == k.tag;
        }
    }

    /** A lookup key: the weight itself, strongly, for the length of one lookup (no reference object allocated). */
    private record Probe(Weight w, int tag) {
        @Override public int hashCode() { return hash(w, tag); }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k ? k.get() == w && k.tag == tag : o instanceof Probe p && p.w == w && p.tag == tag;
        }
    }

    private static int hash(Weight w, int tag) { return System.identityHashCode(w) * 31 + tag; }

    /** The 1-D weight w of n elements as floats (see {@link SimdTensors#vector}); cached. Do not modify the result. */
    static float[] vector(Weight w, int n) {
        if ((long) w.rows() * w.cols() != n) {
            throw new IllegalArgumentException(w.name() + ": expected " + n + " elements, has " + w.rows() + "x" + w.cols());
        }
        float[] f = (float[]) lookup(w, 0);
        if (f != null) return f;
        f = SimdTensors.vector(w, n);
        store(w, 0, f, 4L * f.length);
        return f;
    }

    /** The whole of w dequantised to floats [rows][cols] ({@link SimdDequant}), or null when it does not fit the budget. */
    static float[] dequantized(Weight w) {
        float[] f = (float[]) lookup(w, 0);
        if (f != null) return f;
        long size = 4L * w.rows() * w.cols();
        synchronized (LOCK) {
            if (!fits(size)) return null;
        }
        f = new float[w.rows() * w.cols()];
        SimdDequant.rows(w, 0, w.rows(), f);
        store(w, 0, f, size);
        return f;
    }

    /**
     * The codes of w in the GEMV's lane-per-row order for vectors of {@code lanes} ints, or null: on the first call
     * for a weight (a weight used once, as in a one-off check of a layer, is not worth reordering; a decode step
     * uses each weight again on the next token) and beyond the budget. The layout: for the group of rows
     * [G lanes, (G + 1) lanes) and the four codes from k = 4q, int {@code packed[(G (cols / 4) + q) lanes + l]} is
     * the little-endian int of codes k .. k + 3 of row G lanes + l. Rows past the last whole group are not
     * included. Requires cols % 4 == 0 and rows >= lanes.
     */
    static int[] packedCodes(Fp8BlockWeight w, int lanes) { return packedCodes(w, lanes, SimdFp8Facts.of(w)); }

    /** {@link #packedCodes(Fp8BlockWeight, int)} with w's facts at hand: once made, the codes are found there. */
    static int[] packedCodes(Fp8BlockWeight w, int lanes, SimdFp8Facts facts) {
        int slot = SimdFp8Facts.packedSlot(lanes);
        int[] known = facts.packed().get(slot);
        if (known != null) return known;
        Object v = lookup(w, lanes);
        if (v != null) {
            facts.packed().set(slot, (int[]) v);
            return (int[]) v;
        }
        int groups = w.rows() / lanes, quads = w.cols() / 4;
        long size = 4L * groups * quads * lanes;
        synchronized (LOCK) {
            expunge();
            if (COPIES.get(new Probe(w, -lanes)) == null) {
                // first use: remember that it was seen (held weakly, like the copies, and free of budget)
                COPIES.put(new Key(w, -lanes, QUEUE, 0), SEEN);
                return null;
            }
            if (!fits(size)) return null;
        }
        int[] packed = new int[Math.toIntExact(size / 4)];
        MemorySegment codes = w.codes();
        long rowBytes = w.cols();
        SimdThreads.parallelFor(groups, (long) lanes * rowBytes, g -> {
            for (int l = 0; l < lanes; l++) {
                long row = ((long) g * lanes + l) * rowBytes;
                for (int q = 0, o = g * quads * lanes + l; q < quads; q++, o += lanes) {
                    packed[o] = codes.get(SimdLayouts.I32, row + 4L * q);
                }
            }
        });
        if (store(w, lanes, packed, size)) facts.packed().set(slot, packed);
        return packed;
    }

    /** The repacked codes of w for {@code lanes} if they were made, without counting a use (for tests). */
    static int[] packedCodesIfMade(Fp8BlockWeight w, int lanes) { return (int[]) lookup(w, lanes); }

    private static Object lookup(Weight w, int tag) {
        Object v = COPIES.get(new Probe(w, tag));
        return v == SEEN ? null : v;
    }

    /** Keeps the copy if it fits the budget; whether it is now the kept copy. */
    private static boolean store(Weight w, int tag, Object copy, long size) {
        synchronized (LOCK) {
            expunge();
            if (!fits(size)) return false;
            if (COPIES.putIfAbsent(new Key(w, tag, QUEUE, size), copy) != null) return false;
            bytes += size;
            return true;
        }
    }

    /**
     * Whether size more bytes fit the budget, after dropping, if they do not, the copies of weights whose storage is
     * no longer alive (a closed arena: a benchmark or a check that verified one layer and moved on). Those weights
     * are unusable but may not be collected for a long time (their records live in the old generation), and until
     * then their copies would hold the budget and leave the next weights without. Holds the lock.
     */
    private static boolean fits(long size) {
        if (bytes + size <= BUDGET) return true;
        dropDeadStorage();
        return bytes + size <= BUDGET;
    }

    /** Drops the copies of weights that are gone or whose storage is closed. Holds the lock. */
    private static void dropDeadStorage() {
        expunge();
        for (var it = COPIES.keySet().iterator(); it.hasNext(); ) {
            Key k = (Key) it.next();
            Weight w = k.get();
            if (w == null || !storageAlive(w)) {
                it.remove();
                bytes -= k.size;
            }
        }
    }

    private static boolean storageAlive(Weight w) {
        return switch (w) {
            case Fp8BlockWeight f -> f.codes().scope().isAlive();
            case DenseWeight d -> d.data().scope().isAlive();
        };
    }

    /** The bytes of copies held, after dropping those of closed storage (for tests). */
    static long bytesHeldByLiveWeights() {
        synchronized (LOCK) {
            dropDeadStorage();
            return bytes;
        }
    }

    /** Drops the copies of weights that are gone. Holds the lock. */
    private static void expunge() {
        for (java.lang.ref.Reference<? extends Weight> r; (r = QUEUE.poll()) != null; ) {
            Key k = (Key) r;
            if (COPIES.remove(k) != null) bytes -= k.size;
        }
    }
}
