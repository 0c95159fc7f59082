package org.dsv32.conformance;

import java.util.List;

/**
 * One generated case of a check: its metrics (the worst over the tensors it compares), its decisions, and the
 * reasons it failed (empty when it passed).
 */
public record CaseResult(String name, ErrorStats stats, DecisionCounts decisions, List<String> failures) {
    public CaseResult {
        failures = List.copyOf(failures);
    }

    public boolean passed() { return failures.isEmpty(); }

    public static CaseResult failed(String name, String why) {
        return new CaseResult(name, ErrorStats.NONE, DecisionCounts.NONE, List.of(why));
    }
}
