package org.dsv32.conformance.mutants;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * (NOT_IMPLEMENTED never kills). A kill counts only if the unmutated reference passes that same check (run once
 * per check and remembered): otherwise {@link #run} throws, since the check would fail anything. With
 * {@link CheckOptions#quickDefaults()} the whole catalogue takes well under a minute on two cores, because a
 * mutant is almost always killed by the check of its own operation. Each kill carries its {@link
 * org.dsv32.conformance.Margin}: the largest measure / bound over the killing check's failed cases.
 *
 * <p>At {@code --dims real} a mutant goes through its own operation's check and the check the catalogue expects to
 * kill it, no others (a real-dims check costs minutes): when none of them has cases at the real shapes, the mutant is
 * <em>not reachable</em> (neither killed nor SURVIVED), with the checks' reason. Not thread-safe.
 */
public final class MutantRunner {
    private final List<OperationCheck> checks;
    private final Backend reference;
    private final CheckOptions options;
    /** Per check: the comparisons the unmutated reference FAILS (the control; empty when it passes). */
    private final Map<OperationCheck, List<String>> control = new HashMap<>();

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

    /** The checks, in the suite's order. */
    public List<OperationCheck> checks() { return checks; }

    /** Runs the checks against {@code m} until one fails. {@code progress} receives the checks' own lines. */
    public MutantResult run(Mutant m, Progress progress) {
        long t0 = System.nanoTime();
        Backend candidate = m.backend().get();
        List<String> ran = new ArrayList<>();
        List<String> notImplemented = new ArrayList<>();
        boolean judged = false;
        for (OperationCheck c : ordered(m)) {
            ran.add(OperationCatalog.label(c.operation()));
            for (CheckResult r : c.run(candidate, reference, options, progress)) {
                if (r.status() == Status.NOT_IMPLEMENTED) {
                    if (!notImplemented.contains(r.note())) notImplemented.add(r.note());
                    continue;
                }
                judged = true;
                if (r.status() != Status.FAIL) continue;
                List<String> refFails = controlFailures(c);
                if (!refFails.isEmpty()) {
                    throw new IllegalStateException("the unmutated reference fails " + refFails + " too: killing " + m.id() + " with it means nothing");
                }
                CaseResult failed = r.cases().stream().filter(x -> !x.passed()).findFirst().orElse(null);
                return new MutantResult(m, true, r.operation() + " " + r.mode() + "/" + r.tier().label(),
                        failed == null ? "" : failed.name(), failed == null ? r.note() : failed.failures().get(0),
                        ran, seconds(t0), r.margin(), null);
            }
        }
        if (!judged && options.realDims()) {
            return MutantResult.notReachable(m, String.join("; ", notImplemented), ran, seconds(t0)); // the notes say why (no real cases)
        }
        return new MutantResult(m, false, "", "", "", ran, seconds(t0));
    }

    /**
     * The checks every mutant goes through, in the order tried for {@code m}: its own operation's check first, then
     * every other (at {@code --dims real} only the expected killer's).
     */
    public List<OperationCheck> ordered(Mutant m) {
        List<OperationCheck> out = new ArrayList<>();
        for (OperationCheck c : checks) if (c.operation() == m.operation()) out.add(c);
        for (OperationCheck c : checks) {
            if (c.operation() != m.operation() && (!options.realDims() || c.operation() == m.expectedKiller())) out.add(c);
        }
        return out;
    }

    /** The comparisons of check {@code c} that the unmutated reference fails (run once, remembered); empty when it passes. */
    public List<String> controlFailures(OperationCheck c) {
        return control.computeIfAbsent(c, k -> k.run(reference, reference, options, Progress.NONE).stream()
                .filter(r -> r.status() == Status.FAIL)
                .map(r -> r.operation() + " " + r.mode() + "/" + r.tier().label()).toList());
    }

    /** The checks whose control has run (each passed, or {@link #run} would have thrown). */
    public int controlledChecks() { return control.size(); }

    private static double seconds(long t0) { return (System.nanoTime() - t0) / 1e9; }
}
