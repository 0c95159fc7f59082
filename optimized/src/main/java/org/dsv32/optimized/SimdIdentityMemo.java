package org.dsv32.optimized;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A value computed once per object, keyed by the object's identity and held weakly: it lives as long as the
 * object. Identity, not equality, because two weight records can be equal (same mapped address and shape) while
 * describing different bytes, once a checkpoint is unmapped and another mapped in its place. Lookups take no lock
 * and allocate no reference object (a decode step makes about fifty).
 */
final class SimdIdentityMemo<K, V> {
    private final ReferenceQueue<K> queue = new ReferenceQueue<>();
    private final ConcurrentHashMap<Object, V> values = new ConcurrentHashMap<>();
    private final Function<K, V> compute;

    SimdIdentityMemo(Function<K, V> compute) { this.compute = compute; }

    /** The stored key: the object, weakly. */
    private static final class Key<K> extends WeakReference<K> {
        private final int hash;

        Key(K k, ReferenceQueue<K> q) {
            super(k, q);
            this.hash = System.identityHashCode(k);
        }

        @Override public int hashCode() { return hash; }

        @Override
        public boolean equals(Object o) {
            if (this == o) return true;
            Object k = get();
            if (k == null) return false;
            return o instanceof Probe p ? p.target == k : o instanceof Key<?> other && k == other.get();
        }
    }

    /** A lookup key: the object itself, strongly, for the length of one lookup. */
    private record Probe(Object target) {
        @Override public int hashCode() { return System.identityHashCode(target); }

        @Override public boolean equals(Object o) { return o instanceof Key<?> k && k.get() == target || o instanceof Probe p && p.target == target; }
    }

    /** The value for {@code key}, computed on first use (outside any lock: two threads may both compute it). */
    V get(K key) {
        V v = values.get(new Probe(key));
        if (v != null) return v;
        for (Object r; (r = queue.poll()) != null; ) values.remove(r);
        v = compute.apply(key);
        V old = values.putIfAbsent(new Key<>(key, queue), v);
        return old != null ? old : v;
    }
}
