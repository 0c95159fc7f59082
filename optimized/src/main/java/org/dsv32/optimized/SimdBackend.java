package org.dsv32.optimized;

import org.dsv32.spec.backend.Availability;
import org.dsv32.spec.backend.RegistryBackend;

/** The optimized CPU backend ({@code simd}): float32 over FP8/BF16 data with jdk.incubator.vector. */
public final class SimdBackend extends RegistryBackend {
    public SimdBackend() {
        // One line per operation: the class that implements it.
    }

    @Override public String name() { return "simd"; }

    @Override public String description() { return "float32 over FP8/BF16 data, jdk.incubator.vector, multi-threaded, deterministic"; }

    @Override public Availability availability() { return Availability.yes(); }
}
