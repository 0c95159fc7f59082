package org.dsv32.conformance.mutants;

import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.RegistryBackend;
import org.dsv32.spec.ops.Operation;

/**
 * The reference backend with one operation re-registered. Because composite operations take their parts from the
 * backend ({@code self}), the bug is seen everywhere the operation is used, as it would be in a real port.
 */
final class MutantBackend extends ReferenceBackend {
    private final String id;
    private final Class<? extends Operation> operation;

    <T extends Operation> MutantBackend(String id, Class<T> operation, RegistryBackend.Factory<? extends T> factory) {
        this.id = id;
        this.operation = operation;
        register(operation, factory);
    }

    @Override public String name() { return "mutant:" + id; }

    @Override public String description() {
        return "the reference with one injected bug in " + operation.getSimpleName() + " (" + id + ")";
    }
}
