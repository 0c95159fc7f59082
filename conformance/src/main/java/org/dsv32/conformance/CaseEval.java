package org.dsv32.conformance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Predictive;
import org.dsv32.spec.tolerance.Tolerance;

/**
 * Accumulates the comparisons of one case against its {@link Tolerance} and turns them into a {@link CaseResult}.
 * Each gate that fails adds a reason naming the tensor, the value and the bound. Mutable; one per case.
 */
public final class CaseEval {
    private final String name;
    private final Tolerance tolerance;
    private ErrorStats stats = ErrorStats.NONE;
    private DecisionCounts decisions = DecisionCounts.NONE;
    private final List<String> failures = new ArrayList<>();
    /** The largest {@link Margin} ratio over the gates applied so far (0: none measured yet). */
    private double ratio;

    public CaseEval(String name, Tolerance tolerance) {
        this.name = name;
        this.tolerance = tolerance;
    }

    public Tolerance tolerance() { return tolerance; }

    /** Compares a candidate tensor with its reference under the case's tolerance. */
    public ErrorStats compare(String what, TensorF64 candidate, TensorF64 reference) {
        return compare(what, candidate, reference, tolerance);
    }

    /** Compares under an explicit tolerance (a tensor of a case gated differently, e.g. routing weights). */
    public ErrorStats compare(String what, TensorF64 candidate, TensorF64 reference, Tolerance t) {
        if (candidate == null) { fail(what + ": candidate returned null"); return ErrorStats.NONE; }
        if (!Arrays.equals(candidate.shape(), reference.shape())) {
            fail(what + ": shape " + Arrays.toString(candidate.shape()) + ", reference " + Arrays.toString(reference.shape()));
            return ErrorStats.NONE;
        }
        return compare(what, candidate.toArray(), reference.toArray(), t);
    }

    public ErrorStats compare(String what, double[] candidate, double[] reference, Tolerance t) {
        if (candidate.length != reference.length) {
            fail(what + ": " + candidate.length + " elements, reference " + reference.length);
            return ErrorStats.NONE;
        }
        ErrorStats s = ErrorStats.of(candidate, reference);
        stats = stats == ErrorStats.NONE ? s : stats.worst(s);
        if (s.nonFiniteMismatches() > 0) gateFail(what + ": " + s.nonFiniteMismatches() + " NaN/inf positions differ from the reference");
        double gate = t.calcDiffFor(candidate.length);
        // the margin is measured against the gate actually applied (the rigorous one for a tensor too small to predict)
        ratio = Math.max(ratio, s.nonFiniteMismatches() > 0 ? Margin.EXACT : Math.max(Margin.normwise(s.calcDiff(), gate),
                t.gatesMaxErr() ? Margin.elementwise(s.maxErrInf(), t.maxErrInf()) : 0));
        if (!(s.calcDiff() <= gate)) {
            gateFail(String.format(Locale.ROOT, "%s: calc_diff %.3g > %.3g%s", what, s.calcDiff(), gate, !t.predictive() ? ""
                    : gate == t.calcDiff() ? String.format(Locale.ROOT, " (predictive gate; rigorous bound %.3g)", t.rigorous().calcDiff())
                    : String.format(Locale.ROOT, " (rigorous: %d elements, fewer than the predictive gate's %d)", candidate.length, Predictive.MIN_ELEMENTS)));
        }
        if (t.gatesMaxErr() && !(s.maxErrInf() <= t.maxErrInf())) {
            gateFail(String.format(Locale.ROOT, "%s: max|x-y|/max|y| %.3g > %.3g%s", what, s.maxErrInf(), t.maxErrInf(),
                    t.predictive() ? String.format(Locale.ROOT, " (predictive gate; rigorous bound %.3g)", t.rigorous().maxErrInf()) : ""));
        }
        return s;
    }

    /** Requires bit-for-bit equality (scales, codes, a second run of the candidate). */
    public void requireBitwise(String what, double[] candidate, double[] reference) {
        if (!ErrorStats.bitwiseEqual(candidate, reference)) {
            int i = 0;
            while (i < Math.min(candidate.length, reference.length)
                    && Double.doubleToLongBits(candidate[i]) == Double.doubleToLongBits(reference[i])) i++;
            fail(what + ": not bit-equal" + (i < Math.min(candidate.length, reference.length)
                    ? " (first at element " + i + ": " + candidate[i] + " vs " + reference[i] + ")" : " (lengths differ)"));
        }
    }

    /** Determinism: the candidate run twice on the same inputs must give the same bits. */
    public void requireDeterministic(String what, TensorF64 first, TensorF64 second) {
        if (first == null || second == null) return;
        if (!ErrorStats.bitwiseEqual(first.toArray(), second.toArray())) fail(what + ": two runs on the same inputs differ (not deterministic)");
    }

    /** The operation must not modify an input it does not document as modified. */
    public void requireUnchanged(String what, TensorF64 before, TensorF64 after) {
        if (!ErrorStats.bitwiseEqual(before.toArray(), after.toArray())) fail(what + ": input modified by the candidate");
    }

    public void decision(String what, SelectionCheck.Outcome o) {
        decisions = decisions.plus(o.decision());
        if (o.decision() == Decision.VIOLATION) fail(what + ": decision violation: " + o.reason(), o.margin());
    }

    /**
     * Fails the case for a violated exact contract (a shape, a count, determinism, an input modified, a cache
     * length): no tolerance to measure against, so its {@link Margin} ratio is +∞.
     */
    public void fail(String why) { fail(why, Margin.EXACT); }

    /** Fails the case for a gate this check applies itself, {@code margin} its {@link Margin} ratio (above 1). */
    public void fail(String why, double margin) {
        ratio = Math.max(ratio, Double.isNaN(margin) ? Margin.EXACT : margin);
        gateFail(why);
    }

    /** A failure whose ratio {@link #compare} has already recorded. */
    private void gateFail(String why) {
        if (failures.size() < 20) failures.add(why);
    }

    /** The largest {@link Margin} ratio over the gates applied so far. */
    public double ratio() { return ratio; }

    public boolean failed() { return !failures.isEmpty(); }

    public CaseResult result() { return new CaseResult(name, stats, decisions, failures, ratio); }
}
