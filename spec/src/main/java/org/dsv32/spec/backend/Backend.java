package org.dsv32.spec.backend;

import java.util.Optional;
import org.dsv32.spec.ops.Operation;

/**
 * A service provider that computes DeepSeek-V3.2 operations (discovered through {@link java.util.ServiceLoader};
 * see {@link Backends}).
 *
 * <p>One small interface per operation ({@link org.dsv32.spec.ops}). A backend that lacks an operation returns
 * {@link Optional#empty()} from {@link #operation} — the harness reports that as "not implemented", never as a
 * pass — or delegates to another backend and names it in {@link #delegateOf}.
 */
public interface Backend {
    /** Short name used on the command line: {@code reference}, {@code simd}, {@code cuda}. */
    String name();

    /** One line for {@code ./dsv32 info}. */
    String description();

    /** Whether this backend can run here; the reason when it cannot. */
    Availability availability();

    /** The operation of type {@code type} bound to {@code context}, or empty when this backend lacks it. */
    <T extends Operation> Optional<T> operation(Class<T> type, OpContext context);

    /**
     * The backend that actually computes {@code type} when this one delegates it, or empty when this
     * backend computes it itself (or lacks it).
     */
    default Optional<String> delegateOf(Class<? extends Operation> type) { return Optional.empty(); }

    /**
     * The accumulator this backend's FP8 GEMMs sum a 128-product block in before the fp32 promotion: the parameter of
     * the GEMM bounds its conformance gates are derived with (spec/TOLERANCES.md §10). fp32 unless the backend runs
     * them on tensor cores.
     */
    default org.dsv32.spec.tolerance.Accumulator fp8GemmAccumulator() { return org.dsv32.spec.tolerance.Accumulator.FP32; }

    /** Convenience: the operation, or an {@link UnsupportedOperationException} naming backend and operation. */
    default <T extends Operation> T require(Class<T> type, OpContext context) {
        return operation(type, context).orElseThrow(() -> new UnsupportedOperationException(
                "backend '" + name() + "' does not implement " + type.getSimpleName()));
    }
}
