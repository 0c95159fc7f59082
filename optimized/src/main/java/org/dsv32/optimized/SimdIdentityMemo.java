package org.dsv32.optimized;

import java.lang.ref.ReferenceQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A value computed once per object, keyed by the object's identity and held weakly ({@link SimdWeakKey}): it lives
 * as long as the object. Lookups take no lock and allocate no reference object (a decode step makes about fifty).
 */
final class SimdIdentityMemo<K, V> {
    private final ReferenceQueue<K> queue = new ReferenceQueue<>();
    private final ConcurrentHashMap<Object, V> values = new ConcurrentHashMap<>();
    private final Function<K, V> compute;

    SimdIdentityMemo(Function<K, V> compute) { this.compute = compute; }

    /** The value for {@code key}, computed on first use (outside any lock: two threads may both compute it). */
    V get(K key) {
        V v = values.get(new SimdWeakKey.Probe(key, 0));
        if (v != null) return v;
        for (Object r; (r = queue.poll()) != null; ) values.remove(r);
        v = compute.apply(key);
        V old = values.putIfAbsent(new SimdWeakKey<>(key, 0, 0, queue), v);
        return old != null ? old : v;
    }
}
