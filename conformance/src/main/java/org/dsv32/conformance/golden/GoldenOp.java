package org.dsv32.conformance.golden;

import java.io.IOException;
import org.dsv32.conformance.CaseResult;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.ops.Operation;
import org.dsv32.spec.ops.OperationCatalog;

/**
 * The golden cases of one operation: how they are generated from the reference, and how a case is checked
 * against a candidate. Checking has two phases so that a broken file is never blamed on the backend: {@link #prepare}
 * reads and checks everything the case holds (a problem is CORRUPTED), then {@link #run} calls the candidate and
 * compares (a problem is a FAIL).
 *
 * @param <T> the operation contract
 * @param <P> the prepared case: inputs, weights, cache and expected outputs, read and checked
 */
public interface GoldenOp<T extends Operation, P> {
    /** The contract. */
    Class<T> type();

    /** The OperationCatalog label ({@code operation} in the metadata). */
    default String label() { return OperationCatalog.label(type()); }

    /** Writes this operation's shipped cases. */
    void generate(GoldenGenerator.Context ctx) throws IOException;

    /** Reads and checks the case's tensors and metadata for this operation. */
    P prepare(GoldenCase c) throws GoldenException;

    /** The harness's gates for this case (TIGHT: expected computed in the case's mode; LOOSE: in exact mode). */
    Tolerance tolerance(GoldenCase c, P p, Tier tier);

    /** Runs {@code candidate} (bound to the case's configuration and mode) on the case and compares. */
    CaseResult run(GoldenCase c, P p, T candidate, Tolerance tolerance);
}
