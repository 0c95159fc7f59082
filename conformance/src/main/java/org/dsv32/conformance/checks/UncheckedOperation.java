package org.dsv32.conformance.checks;

import java.util.List;
import org.dsv32.conformance.AbstractOperationCheck;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.OperationCheck;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.Status;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.ops.Operation;
import org.dsv32.spec.ops.OperationCatalog;

/**
 * Stands in for an operation of {@link OperationCatalog#ALL} that has no check yet (the model-level operations
 * until they arrive): always NOT_IMPLEMENTED, saying whether the backend lacks the operation or the harness lacks
 * the check — never a pass.
 */
public final class UncheckedOperation implements OperationCheck {
    private final Class<? extends Operation> type;

    public UncheckedOperation(Class<? extends Operation> type) { this.type = type; }

    @Override
    public Class<? extends Operation> operation() { return type; }

    @Override
    public List<CheckResult> run(Backend candidate, Backend reference, CheckOptions options, Progress progress) {
        boolean has;
        try {
            has = candidate.operation(type, new OpContext(org.dsv32.conformance.ConformanceConfigs.small(), PrecisionMode.EXACT)).isPresent();
        } catch (RuntimeException e) {
            has = false;
        }
        String note = has ? "the conformance harness has no check for " + type.getSimpleName() + " yet"
                : "backend '" + candidate.name() + "' does not implement " + type.getSimpleName();
        String op = OperationCatalog.label(type);
        progress.report(String.format(java.util.Locale.ROOT, "[%s] %-14s %-11s   0 cases NOT IMPLEMENTED (%s)", candidate.name(), op, "-", note));
        return List.of(CheckResult.notRun(AbstractOperationCheck.SUITE, candidate.name(), op, "-", Tier.TIGHT, Status.NOT_IMPLEMENTED, note));
    }
}
