package org.dsv32.optimized;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.dsv32.spec.backend.Availability;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.Operation;

/** The optimized CPU backend ({@code simd}): float32 over FP8/BF16 data with jdk.incubator.vector. */
public final class SimdBackend implements Backend {
    private static final Map<Class<? extends Operation>, Function<OpContext, ? extends Operation>> OPS = new LinkedHashMap<>();

    @Override public String name() { return "simd"; }

    @Override public String description() { return "float32 over FP8/BF16 data, jdk.incubator.vector, multi-threaded, deterministic"; }

    @Override public Availability availability() { return Availability.yes(); }

    @Override
    public <T extends Operation> Optional<T> operation(Class<T> type, OpContext context) {
        Function<OpContext, ? extends Operation> f = OPS.get(type);
        return f == null ? Optional.empty() : Optional.of(type.cast(f.apply(context)));
    }
}
