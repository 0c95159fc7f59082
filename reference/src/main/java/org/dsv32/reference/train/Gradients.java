package org.dsv32.reference.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dsv32.spec.tensor.TensorF64;

/**
 * Weight gradients by checkpoint tensor name, in the order the backward produced them. A weight reached twice has
 * its contributions summed ({@link #add}).
 */
public final class Gradients {
    private final Map<String, TensorF64> byName = new LinkedHashMap<>();

    /** Adds {@code g} to the gradient of {@code name} (a copy is kept: g may be modified later by the caller). */
    public void add(String name, TensorF64 g) {
        TensorF64 have = byName.get(name);
        if (have == null) {
            byName.put(name, g.copy());
            return;
        }
        if (have.size() != g.size()) throw new IllegalArgumentException("gradient of " + name + ": " + have + " and " + g + " differ in shape");
        for (int i = 0; i < g.size(); i++) have.setFlat(i, have.getFlat(i) + g.getFlat(i));
    }

    /** Every gradient, by name, in production order (read-only). */
    public Map<String, TensorF64> all() { return Collections.unmodifiableMap(byName); }

    /** The gradient of {@code name}; an error naming the known tensors when there is none. */
    public TensorF64 get(String name) {
        TensorF64 g = byName.get(name);
        if (g == null) throw new IllegalArgumentException("no gradient for " + name + " (have " + byName.keySet() + ")");
        return g;
    }

    public boolean has(String name) { return byName.containsKey(name); }
}
