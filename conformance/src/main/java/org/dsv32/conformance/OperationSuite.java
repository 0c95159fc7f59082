package org.dsv32.conformance;

import java.util.ArrayList;
import java.util.List;
import org.dsv32.spec.backend.Backend;

/** The check of every operation of {@link Operations#ALL}, in its order. */
public final class OperationSuite implements CheckSuite {
    private final List<OperationCheck> checks;

    public OperationSuite() { this(checks()); }

    public OperationSuite(List<OperationCheck> checks) { this.checks = List.copyOf(checks); }

    /** Every operation's check, derived from {@link Operations#ALL}. */
    public static List<OperationCheck> checks() {
        return Operations.ALL.stream().<OperationCheck>map(OperationDescriptor::check).toList();
    }

    @Override
    public String name() { return AbstractOperationCheck.SUITE; }

    @Override
    public List<CheckResult> run(Backend candidate, Backend reference, CheckOptions options, Progress progress) {
        return run(candidate, reference, options, progress, u -> true);
    }

    @Override
    public List<String> unitKeys(CheckOptions options) {
        return checks.stream().map(c -> org.dsv32.spec.ops.OperationCatalog.label(c.operation())).toList();
    }

    @Override
    public String unitKeyOf(CheckResult result) { return result.operation(); }

    /** Unit {@code u} is the check of operation {@code u} in {@link Operations#ALL}'s order. */
    @Override
    public List<CheckResult> run(Backend candidate, Backend reference, CheckOptions options, Progress progress,
                                 java.util.function.IntPredicate owned) {
        List<CheckResult> out = new ArrayList<>();
        for (int u = 0; u < checks.size(); u++) if (owned.test(u)) out.addAll(checks.get(u).run(candidate, reference, options, progress));
        return out;
    }
}
