package org.dsv32.optimized;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A value computed once per object, keyed by the object's identity and held weakly: it lives as long as the
 * object. Identity, not equality, because two weight records can be equal (same mapped address and shape) while
 * describing different bytes, once a checkpoint is unmapped and another mapped in its place.
 */
final class SimdIdentityMemo<K, V> {
    private final ReferenceQueue<K> queue = new ReferenceQueue<>();
    private final Map<Key<K>, V> values = new HashMap<>();
    private final Function<K, V> compute;

    SimdIdentityMemo(Function<K, V> compute) { this.compute = compute; }

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
            return o instanceof Key<?> other && k != null && k == other.get();
        }
    }

    /** The value for {@code key}, computed on first use (outside the lock: two threads may both compute it). */
    V get(K key) {
        synchronized (values) {
            for (Object r; (r = queue.poll()) != null; ) values.remove(r);
            V v = values.get(new Key<>(key, null));
            if (v != null) return v;
        }
        V v = compute.apply(key);
        synchronized (values) {
            V old = values.putIfAbsent(new Key<>(key, queue), v);
            return old != null ? old : v;
        }
    }
}
