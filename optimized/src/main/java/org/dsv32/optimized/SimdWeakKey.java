package org.dsv32.optimized;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;

/**
 * A map key that holds an object weakly and compares it by identity, with a tag (which of several values kept for
 * the same object) and a size (what the value holds of a budget). Identity, not equality, because two weight
 * records can be equal (same mapped address and shape) while describing different bytes, once a checkpoint is
 * unmapped and another mapped in its place. Looked up with a {@link Probe}, which holds the object strongly for the
 * length of one lookup and allocates no reference object.
 */
final class SimdWeakKey<K> extends WeakReference<K> {
    private final int hash;
    final int tag;
    final long size;

    SimdWeakKey(K k, int tag, long size, ReferenceQueue<? super K> queue) {
        super(k, queue);
        this.hash = hash(k, tag);
        this.tag = tag;
        this.size = size;
    }

    private static int hash(Object k, int tag) { return System.identityHashCode(k) * 31 + tag; }

    @Override public int hashCode() { return hash; }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        Object k = get();
        if (k == null) return false;
        return o instanceof Probe p ? p.target == k && p.tag == tag : o instanceof SimdWeakKey<?> other && k == other.get() && tag == other.tag;
    }

    /** A lookup key: the object itself, strongly, and the tag. */
    record Probe(Object target, int tag) {
        @Override public int hashCode() { return hash(target, tag); }

        @Override
        public boolean equals(Object o) {
            return o instanceof SimdWeakKey<?> k ? k.get() == target && k.tag == tag : o instanceof Probe p && p.target == target && p.tag == tag;
        }
    }
}
