package org.dsv32.conformance;

import java.util.List;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;

/**
 * The result of one check: one operation of one backend in one precision mode and tier, over its cases.
 *
 * @param suite     the suite that produced it ("operations"; later "golden", "mutants")
 * @param backend   the candidate backend's name
 * @param operation the operation's report label (OperationCatalog.label)
 * @param mode      the candidate's precision mode label ("exact", "fp8")
 * @param tier      TIGHT (reference in the same mode) or LOOSE (reference in exact mode)
 * @param status    the verdict
 * @param note      why it is not a pass, or which backend it is delegated to; empty otherwise
 * @param tolerance the gates applied (null when nothing ran)
 * @param cases     the cases run
 * @param seconds   wall time of the check (reports only; never gated)
 */
public record CheckResult(String suite, String backend, String operation, String mode, Tier tier, Status status,
                          String note, Tolerance tolerance, List<CaseResult> cases, double seconds) {
    public CheckResult {
        cases = List.copyOf(cases);
        note = note == null ? "" : note;
    }

    public static CheckResult notRun(String suite, String backend, String operation, String mode, Tier tier, Status status, String note) {
        return new CheckResult(suite, backend, operation, mode, tier, status, note, null, List.of(), 0);
    }

    public double worstCalcDiff() { return cases.stream().mapToDouble(c -> c.stats().calcDiff()).max().orElse(0); }

    public double worstUlps() { return cases.stream().mapToDouble(c -> c.stats().ulps()).max().orElse(0); }

    public double worstMaxRel() { return cases.stream().mapToDouble(c -> c.stats().maxRel()).max().orElse(0); }

    public double worstMaxErrInf() { return cases.stream().mapToDouble(c -> c.stats().maxErrInf()).max().orElse(0); }

    public DecisionCounts decisions() {
        DecisionCounts d = DecisionCounts.NONE;
        for (CaseResult c : cases) d = d.plus(c.decisions());
        return d;
    }

    /**
     * The kill margin ({@link Margin}): the largest ratio over the failed cases; NaN when none failed or none of them
     * measured one.
     */
    public double margin() {
        return cases.stream().filter(c -> !c.passed()).mapToDouble(CaseResult::ratio).filter(r -> !Double.isNaN(r)).max().orElse(Double.NaN);
    }

    /**
     * The headroom of a passing check ({@link Margin}): gate / measured error, 1 / the largest ratio over its cases;
     * NaN unless it passed with every case measured.
     */
    public double headroom() {
        if (status != Status.PASS || cases.isEmpty() || cases.stream().anyMatch(c -> Double.isNaN(c.ratio()))) return Double.NaN;
        return Margin.headroom(cases.stream().mapToDouble(CaseResult::ratio).max().orElse(0));
    }

    public long failedCases() { return cases.stream().filter(c -> !c.passed()).count(); }

    /** A stable identifier: suite/backend/operation/mode/tier. */
    public String key() { return suite + "/" + backend + "/" + operation + "/" + mode + "/" + tier.label(); }
}
