package org.dsv32.spec.backend;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.dsv32.spec.ops.Operation;

/**
 * A backend built from a table of operation factories. Composite operations (attention, block, model) obtain
 * their parts through {@code self.require(...)} rather than constructing them, so a subclass that re-registers one
 * operation (a mutant with one injected bug, or a backend that delegates) changes it everywhere it is used.
 */
public abstract class RegistryBackend implements Backend {
    /** Creates an operation bound to a context; {@code self} is the backend to take sub-operations from. */
    @FunctionalInterface
    public interface Factory<T extends Operation> {
        T create(OpContext context, Backend self);
    }

    private final Map<Class<? extends Operation>, Factory<? extends Operation>> factories = new LinkedHashMap<>();
    private final Map<Class<? extends Operation>, String> delegates = new LinkedHashMap<>();

    /** Registers (or replaces) the factory of {@code type}. */
    protected final <T extends Operation> void register(Class<T> type, Factory<? extends T> factory) {
        factories.put(type, factory);
        delegates.remove(type);
    }

    /** Registers {@code type} as computed by another backend, which reports will name. */
    protected final <T extends Operation> void delegate(Class<T> type, Backend to) {
        factories.put(type, (ctx, self) -> to.require(type, ctx));
        delegates.put(type, to.name());
    }

    /**
     * Registers {@code type} as computed by {@code to}'s own factory, but composed over THIS backend: the operation's
     * sub-operations ({@code self.require(...)}) come from here. A backend that accelerates only the primitive
     * operations (a GPU backend) uses it for the composite ones, so that their linears and norms still run on its
     * hardware. Reports name {@code to}, as for {@link #delegate}. When {@code to} lacks {@code type}, so does this.
     */
    protected final <T extends Operation> void delegateComposed(Class<T> type, RegistryBackend to) {
        factories.put(type, (ctx, self) -> {
            Factory<? extends Operation> f = to.factories.get(type);
            if (f == null) throw new UnsupportedOperationException("backend '" + to.name() + "' does not implement " + type.getSimpleName());
            return type.cast(f.create(ctx, self));
        });
        delegates.put(type, to.name());
    }

    @Override
    public <T extends Operation> Optional<T> operation(Class<T> type, OpContext context) {
        Factory<? extends Operation> f = factories.get(type);
        return f == null ? Optional.empty() : Optional.of(type.cast(f.create(context, this)));
    }

    @Override
    public Optional<String> delegateOf(Class<? extends Operation> type) {
        return Optional.ofNullable(delegates.get(type));
    }
}
