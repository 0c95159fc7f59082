package org.dsv32.conformance;

import java.util.List;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.ops.Operation;

/** The conformance check of one operation contract: generates its cases, runs candidate and reference, compares. */
public interface OperationCheck {
    /** The operation contract checked. */
    Class<? extends Operation> operation();

    /** One result per (precision mode, tier) comparison this operation has. */
    List<CheckResult> run(Backend candidate, Backend reference, CheckOptions options, Progress progress);
}
