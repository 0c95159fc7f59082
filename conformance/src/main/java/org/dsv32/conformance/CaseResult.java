package org.dsv32.conformance;

import java.util.List;

/**
 * One generated case of a check: its metrics (the worst over the tensors it compares), its decisions, the reasons it
 * failed (empty when it passed), and its {@link Margin} ratio: the largest measure / bound over the gates it applied
 * (NaN when nothing was measured, e.g. a case read back from an older report). A failed case has a ratio above 1
 * (its kill margin); a passed one at most 1 (its headroom is the inverse).
 */
public record CaseResult(String name, ErrorStats stats, DecisionCounts decisions, List<String> failures, double ratio) {
    public CaseResult {
        failures = List.copyOf(failures);
    }

    /** A case without a measured ratio (reports of older versions, suites that do not gate through {@link CaseEval}). */
    public CaseResult(String name, ErrorStats stats, DecisionCounts decisions, List<String> failures) {
        this(name, stats, decisions, failures, Double.NaN);
    }

    public boolean passed() { return failures.isEmpty(); }

    /** A case that could not be compared (an exception, a missing output): an exact contract violated, ratio +∞. */
    public static CaseResult failed(String name, String why) {
        return new CaseResult(name, ErrorStats.NONE, DecisionCounts.NONE, List.of(why), Margin.EXACT);
    }

    /** The kill margin of a failed case (its ratio), NaN for a passed one. */
    public double margin() { return passed() ? Double.NaN : ratio; }

    /** The headroom of a passed case (1 / its ratio), NaN for a failed one. */
    public double headroom() { return passed() ? Margin.headroom(ratio) : Double.NaN; }
}
