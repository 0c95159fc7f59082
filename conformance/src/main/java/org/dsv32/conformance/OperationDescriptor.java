package org.dsv32.conformance;

import java.util.Objects;
import org.dsv32.conformance.golden.GoldenOp;
import org.dsv32.spec.ops.Operation;
import org.dsv32.spec.ops.OperationCatalog;

/**
 * Everything the conformance harness knows of one operation, declared in one place ({@link Operations#ALL}): its
 * contract, its check (seeded cases, comparisons, tolerances — what {@code ./dsv32 conform}, the mutant runner and the
 * jqwik properties run) and its golden cases (what {@code ./dsv32 golden generate|verify} write and read). The
 * operation suite, the golden generator and verifier, the mutant catalogue's expected killers, the report's order
 * and {@code ./dsv32 info}'s coverage all derive from these entries.
 *
 * @param <T> the operation contract
 * @param contract the contract interface, an entry of {@link OperationCatalog#ALL}
 * @param check its conformance check
 * @param golden its golden cases
 */
public record OperationDescriptor<T extends Operation>(Class<T> contract, AbstractOperationCheck<T, ?> check, GoldenOp<T, ?> golden) {
    public OperationDescriptor {
        Objects.requireNonNull(contract, "contract");
        Objects.requireNonNull(check, "check");
        Objects.requireNonNull(golden, "golden");
        if (check.operation() != contract) {
            throw new IllegalArgumentException(contract.getSimpleName() + ": its check checks " + check.operation().getSimpleName());
        }
        if (golden.type() != contract) {
            throw new IllegalArgumentException(contract.getSimpleName() + ": its golden cases are of " + golden.type().getSimpleName());
        }
    }

    /** The operation's report label ("act_quant", "mla_attention", ...), as {@link OperationCatalog#label}. */
    public String label() { return OperationCatalog.label(contract); }

    /** Declares an operation. */
    public static <T extends Operation> OperationDescriptor<T> of(Class<T> contract, AbstractOperationCheck<T, ?> check, GoldenOp<T, ?> golden) {
        return new OperationDescriptor<>(contract, check, golden);
    }
}
