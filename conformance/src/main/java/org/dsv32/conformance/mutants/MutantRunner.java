package org.dsv32.conformance.mutants;

import java.util.ArrayList;
import java.util.List;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.OperationCheck;
import org.dsv32.conformance.OperationSuite;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.Status;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.ops.OperationCatalog;

/**
 * Runs the conformance checks against a mutant, the reference being the judge, and says which check killed it.
 * The check of the mutated operation runs first, then every other check in the suite's order, until one FAILS
 * (NOT_IMPLEMENTED never kills). With {@link CheckOptions#quickDefaults()} the whole catalogue takes well under a
 * minute on two cores, because a mutant is almost always killed by the check of its own operation.
 */
public final class MutantRunner {
    private final List<OperationCheck> checks;
    private final Backend reference;
    private final CheckOptions options;

    public MutantRunner(List<OperationCheck> checks, Backend reference, CheckOptions options) {
        this.checks = List.copyOf(checks);
        this.reference = reference;
        this.options = options;
    }

    /** The operation suite's checks at the quick size and fixed seed, against {@code reference}. */
    public static MutantRunner quick(Backend reference) {
        return new MutantRunner(OperationSuite.checks(), reference, CheckOptions.quickDefaults());
    }

    public CheckOptions options() { return options; }

    /** Runs the checks against {@code m} until one fails. {@code progress} receives the checks' own lines. */
    public MutantResult run(Mutant m, Progress progress) {
        long t0 = System.nanoTime();
        Backend candidate = m.backend().get();
        List<String> ran = new ArrayList<>();
        for (OperationCheck c : ordered(m)) {
            ran.add(OperationCatalog.label(c.operation()));
            for (CheckResult r : c.run(candidate, reference, options, progress)) {
                if (r.status() != Status.FAIL) continue;
                CaseResult failed = r.cases().stream().filter(x -> !x.passed()).findFirst().orElse(null);
                return new MutantResult(m, true, r.operation() + " " + r.mode() + "/" + r.tier().label(),
                        failed == null ? "" : failed.name(), failed == null ? r.note() : failed.failures().get(0),
                        ran, seconds(t0));
            }
        }
        return new MutantResult(m, false, "", "", "", ran, seconds(t0));
    }

    /**
     * The checks every mutant goes through, in the order tried for {@code m}: its own operation's check first.
     * Also what the control run of the unmutated reference uses, so that "killed" means something.
     */
    public List<OperationCheck> ordered(Mutant m) {
        List<OperationCheck> out = new ArrayList<>();
        for (OperationCheck c : checks) if (c.operation() == m.operation()) out.add(c);
        for (OperationCheck c : checks) if (c.operation() != m.operation()) out.add(c);
        return out;
    }

    /** Every check's results for {@code candidate} (the control run: the unmutated reference must pass them all). */
    public List<CheckResult> runAll(Backend candidate, Progress progress) {
        List<CheckResult> out = new ArrayList<>();
        for (OperationCheck c : checks) out.addAll(c.run(candidate, reference, options, progress));
        return out;
    }

    private static double seconds(long t0) { return (System.nanoTime() - t0) / 1e9; }
}
