package org.dsv32.cuda;

import java.util.Optional;
import org.dsv32.spec.backend.Availability;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.RegistryBackend;
import org.dsv32.spec.ops.Operation;

/**
 * Another backend's implementation of one composite operation, composed over a given backend: the operation is
 * {@code to}'s own (its factory), but every sub-operation it requires comes from {@code over}. The cuda operations
 * that run only part of their work on the GPU (MLA attention: decode steps) use it for the rest (prefill), so that
 * the delegated part still takes its linears, norms and indexer from the GPU backend — what
 * {@link RegistryBackend#delegateComposed} does for a whole operation.
 */
final class CudaComposed extends RegistryBackend {
    private final Backend over;
    private final Class<? extends Operation> type;

    private CudaComposed(RegistryBackend to, Backend over, Class<? extends Operation> type) {
        this.over = over;
        this.type = type;
        delegateComposed(type, to);
    }

    /**
     * {@code to}'s {@code type} whose sub-operations come from {@code over}. Throws an UnsupportedOperationException
     * naming both when {@code to} does not implement {@code type}.
     */
    static <T extends Operation> T of(Class<T> type, RegistryBackend to, Backend over, OpContext context) {
        return new CudaComposed(to, over, type).require(type, context);
    }

    @Override
    public <T extends Operation> Optional<T> operation(Class<T> t, OpContext context) {
        return t == type ? super.operation(t, context) : over.operation(t, context);
    }

    @Override public String name() { return over.name(); }

    @Override public String description() { return over.description(); }

    @Override public Availability availability() { return over.availability(); }
}
