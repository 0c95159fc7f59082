package org.dsv32.reference;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.dsv32.spec.backend.Availability;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.Operation;

/** The float64 reference backend ({@code reference}): defines what every other backend must compute. */
public final class ReferenceBackend implements Backend {
    private static final Map<Class<? extends Operation>, Function<OpContext, ? extends Operation>> OPS = new LinkedHashMap<>();

    static {
        // One line per operation: the class that implements it, constructed for a context.
    }

    @Override public String name() { return "reference"; }

    @Override public String description() { return "float64, single-threaded, readable; defines the semantics"; }

    @Override public Availability availability() { return Availability.yes(); }

    @Override
    public <T extends Operation> Optional<T> operation(Class<T> type, OpContext context) {
        Function<OpContext, ? extends Operation> f = OPS.get(type);
        return f == null ? Optional.empty() : Optional.of(type.cast(f.apply(context)));
    }
}
