package org.dsv32.optimized;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.Map;
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
 */
final class SimdWeightCache {
    private SimdWeightCache() {}

    static final String PROPERTY = "dsv32.weightCacheMiB";
    private static final long BUDGET = Math.max(0L, Long.getLong(PROPERTY, 512L)) << 20;

    private static final ReferenceQueue<Weight> QUEUE = new ReferenceQueue<>();
    private static final Map<Key, float[]> COPIES = new HashMap<>();
    private static long bytes;

    private static final class Key extends WeakReference<Weight> {
        private final int hash;
        private final long size;

        Key(Weight w, ReferenceQueue<Weight> q, long size) {
            super(w, q);
            this.hash = System.identityHashCode(w);
            this.size = size;
        }

        @Override public int hashCode() { return hash; }

        @Override
        public boolean equals(Object o) {
            if (this == o) return true;
            Weight w = get();
            return o instanceof Key k && w != null && w == k.get();
        }
    }

    /** The 1-D weight w of n elements as floats (see {@link SimdTensors#vector}); cached. Do not modify the result. */
    static float[] vector(Weight w, int n) {
        if ((long) w.rows() * w.cols() != n) {
            throw new IllegalArgumentException(w.name() + ": expected " + n + " elements, has " + w.rows() + "x" + w.cols());
        }
        float[] f = lookup(w);
        if (f != null) return f;
        f = SimdTensors.vector(w, n);
        store(w, f);
        return f;
    }

    /** The whole of w dequantised to floats [rows][cols] ({@link SimdDequant}), or null when it does not fit the budget. */
    static float[] dequantized(Weight w) {
        float[] f = lookup(w);
        if (f != null) return f;
        long size = 4L * w.rows() * w.cols();
        synchronized (COPIES) {
            if (bytes + size > BUDGET) return null;
        }
        f = new float[w.rows() * w.cols()];
        SimdDequant.rows(w, 0, w.rows(), f);
        store(w, f);
        return f;
    }

    private static float[] lookup(Weight w) {
        synchronized (COPIES) {
            expunge();
            return COPIES.get(new Key(w, null, 0));
        }
    }

    private static void store(Weight w, float[] f) {
        synchronized (COPIES) {
            long size = 4L * f.length;
            if (bytes + size > BUDGET) return;
            if (COPIES.putIfAbsent(new Key(w, QUEUE, size), f) == null) bytes += size;
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
