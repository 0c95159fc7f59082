package org.dsv32.optimized;

import java.util.concurrent.ConcurrentHashMap;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.Operation;

/**
 * The sub-operations of one composite operation, each taken from its backend ({@code self.require}) on first use
 * and then kept. A backend's registry is filled by its constructor and operations are stateless, so the kept
 * instance is the one every later {@code require} would return an equal of; asking the registry on every call made
 * a tiny decode step build about seventy operation objects (a RoPE among them recomputing its YaRN frequencies).
 * Resolution stays lazy, so an operation a backend lacks still fails where it is used, not when the composite is made.
 */
final class SimdParts {
    private final Backend self;
    private final OpContext ctx;
    private final ConcurrentHashMap<Class<?>, Operation> parts = new ConcurrentHashMap<>();

    SimdParts(Backend self, OpContext ctx) {
        this.self = self;
        this.ctx = ctx;
    }

    /** {@code self.require(type, ctx)}, resolved once. */
    <T extends Operation> T get(Class<T> type) {
        Operation op = parts.get(type);
        if (op == null) {
            op = self.require(type, ctx);
            Operation raced = parts.putIfAbsent(type, op);
            if (raced != null) op = raced;
        }
        return type.cast(op);
    }
}
