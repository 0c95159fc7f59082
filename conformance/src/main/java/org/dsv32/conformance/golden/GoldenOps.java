package org.dsv32.conformance.golden;

import java.util.List;
import java.util.Optional;
import org.dsv32.conformance.OperationDescriptor;
import org.dsv32.conformance.Operations;

/** The golden operations, derived from {@link Operations#ALL}, in its order. */
public final class GoldenOps {
    private GoldenOps() {}

    public static final List<GoldenOp<?, ?>> ALL = Operations.ALL.stream().<GoldenOp<?, ?>>map(OperationDescriptor::golden).toList();

    /** The golden operation of an OperationCatalog label. */
    public static Optional<GoldenOp<?, ?>> byLabel(String label) {
        return Operations.byLabel(label).map(OperationDescriptor::golden);
    }
}
