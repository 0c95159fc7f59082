package org.dsv32.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Scale;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.junit.jupiter.api.Test;

/**
 * {@link Margin}: the ratio of every kind of gate as {@link CaseEval} records it, a kill's margin and a pass's
 * headroom as {@link CheckResult} folds them.
 */
class MarginTest {
    /** x = y (1 + e) elementwise: calc_diff = e² / (2 + 2e + e²) (Σ(x−y)² / Σ(x² + y²)). */
    private static double[][] scaled(int n, double e) {
        double[] y = new double[n], x = new double[n];
        for (int i = 0; i < n; i++) { y[i] = 1 + i % 7; x[i] = y[i] * (1 + e); }
        return new double[][] {x, y};
    }

    @Property(tries = 200)
    void aNormwiseGateFailsExactlyWhenItsRatioExceedsOneAndTheRatioIsInEpsilonUnits(
            @ForAll @Scale(12) @DoubleRange(min = 1e-3, max = 0.2) double e, @ForAll @Scale(12) @DoubleRange(min = 1e-10, max = 1e-1) double bound,
            @ForAll @IntRange(min = 1, max = 50) int n) {
        double[][] xy = scaled(n, e);
        CaseEval ev = new CaseEval("c", new Tolerance(bound, Double.NaN, Double.NaN, "test"));
        ErrorStats s = ev.compare("y", xy[0], xy[1], ev.tolerance());
        CaseResult r = ev.result();
        assertEquals(Math.sqrt(s.calcDiff() / bound), r.ratio(), 1e-12 * r.ratio());
        assertEquals(r.ratio() > 1, !r.passed(), "ratio " + r.ratio() + " calc_diff " + s.calcDiff() + " bound " + bound);
        // in ε units: 4x the error is 4x the ratio (calc_diff itself grows 16x)
        CaseEval four = new CaseEval("c", ev.tolerance());
        four.compare("y", scaled(n, 4 * e)[0], xy[1], ev.tolerance());
        double expected = 4 * r.ratio() * Math.sqrt((2 + 2 * e + e * e) / (2 + 8 * e + 16 * e * e));
        assertEquals(expected, four.ratio(), 1e-6 * expected); // calc_diff = 1 - 2Σxy/Σ(x²+y²) cancels: ~1e-10 relative here
    }

    @Property(tries = 100)
    void anElementwiseGateIsThePlainRatio(@ForAll @Scale(12) @DoubleRange(min = 1e-6, max = 0.5) double e, @ForAll @Scale(12) @DoubleRange(min = 1e-8, max = 1) double bound) {
        double[][] xy = scaled(7, e);
        // calc_diff gated loosely so that only the element gate counts
        CaseEval ev = new CaseEval("c", new Tolerance(1, bound, Double.NaN, "test"));
        ErrorStats s = ev.compare("y", xy[0], xy[1], ev.tolerance());
        assertEquals(Math.max(s.maxErrInf() / bound, Math.sqrt(s.calcDiff())), ev.ratio(), 1e-12);
        assertEquals(s.maxErrInf() > bound, ev.failed());
    }

    @Test
    void exactContractsAndNanPositionsAreInfinite() {
        CaseEval ev = new CaseEval("c", new Tolerance(1e-3, Double.NaN, Double.NaN, "test"));
        ev.requireBitwise("scales", new double[] {1, 2}, new double[] {1, 2});
        assertEquals(0, ev.ratio());
        ev.requireBitwise("scales", new double[] {1, 2}, new double[] {1, 3});
        assertEquals(Double.POSITIVE_INFINITY, ev.result().margin());

        CaseEval nan = new CaseEval("c", new Tolerance(1e-3, Double.NaN, Double.NaN, "test"));
        nan.compare("y", new double[] {1, Double.NaN}, new double[] {1, 2}, nan.tolerance());
        assertEquals(Double.POSITIVE_INFINITY, nan.result().margin());
        assertEquals(Double.POSITIVE_INFINITY, CaseResult.failed("c", "threw").margin());
    }

    @Test
    void aDecisionViolationIsItsScoreDeficitOverTau() {
        double[] scores = {9.0, 8.0, 7.0, 6.0, 1.0};
        CaseEval ev = new CaseEval("c", new Tolerance(1e-3, Double.NaN, 0.1, "test"));
        // index 3 scores 1.0 below the 3rd best (7.0); τ = 0.25: margin 4
        ev.decision("keys", SelectionCheck.check(scores, new int[] {0, 1, 2}, new int[] {0, 1, 3}, 3, 0.25));
        assertEquals(4.0, ev.result().margin(), 1e-12);
        // a near-tie is within τ and fails nothing
        CaseEval tie = new CaseEval("c", ev.tolerance());
        tie.decision("keys", SelectionCheck.check(scores, new int[] {0, 1, 2}, new int[] {0, 1, 3}, 3, 1.5));
        assertTrue(tie.result().passed());
        assertTrue(tie.ratio() <= 1);
        // a malformed choice (wrong count) has no deficit: an exact contract
        CaseEval count = new CaseEval("c", ev.tolerance());
        count.decision("keys", SelectionCheck.check(scores, new int[] {0, 1, 2}, new int[] {0, 1}, 3, 1.5));
        assertEquals(Double.POSITIVE_INFINITY, count.result().margin());
    }

    @Property(tries = 100)
    void aCheckKillsWithItsLargestFailedRatioAndPassesWithTheInverseOfItsLargestRatio(
            @ForAll @Scale(12) @DoubleRange(min = 0, max = 1) double a, @ForAll @Scale(12) @DoubleRange(min = 0, max = 1) double b,
            @ForAll @Scale(12) @DoubleRange(min = 1.0001, max = 1e6) double f1, @ForAll @Scale(12) @DoubleRange(min = 1.0001, max = 1e6) double f2) {
        CaseResult passA = new CaseResult("a", ErrorStats.NONE, DecisionCounts.NONE, List.of(), a);
        CaseResult passB = new CaseResult("b", ErrorStats.NONE, DecisionCounts.NONE, List.of(), b);
        CaseResult fail1 = new CaseResult("f1", ErrorStats.NONE, DecisionCounts.NONE, List.of("x"), f1);
        CaseResult fail2 = new CaseResult("f2", ErrorStats.NONE, DecisionCounts.NONE, List.of("y"), f2);
        Tolerance t = new Tolerance(1e-3, Double.NaN, Double.NaN, "test");
        CheckResult pass = new CheckResult("s", "be", "op", "exact", Tier.TIGHT, Status.PASS, "", t, List.of(passA, passB), 0);
        assertEquals(Margin.headroom(Math.max(a, b)), pass.headroom());
        assertTrue(Double.isNaN(pass.margin()));
        CheckResult fail = new CheckResult("s", "be", "op", "exact", Tier.TIGHT, Status.FAIL, "", t, List.of(passA, fail1, passB, fail2), 0);
        assertEquals(Math.max(f1, f2), fail.margin());
        assertTrue(Double.isNaN(fail.headroom()), "a failed check has no headroom");
        // a case without a measured ratio (an older report) leaves the headroom unknown, not infinite
        CheckResult unknown = new CheckResult("s", "be", "op", "exact", Tier.TIGHT, Status.PASS, "", t,
                List.of(passA, new CaseResult("old", ErrorStats.NONE, DecisionCounts.NONE, List.of())), 0);
        assertTrue(Double.isNaN(unknown.headroom()));
    }

    @Test
    void formatting() {
        assertEquals("12.3x", Margin.format(12.34));
        assertEquals("inf", Margin.format(Double.POSITIVE_INFINITY));
        assertEquals("-", Margin.format(Double.NaN));
        assertEquals("2.5e+05x", Margin.format(2.5e5));
        assertFalse(Double.isNaN(Margin.headroom(0)));
        assertEquals(Double.POSITIVE_INFINITY, Margin.headroom(0));
    }
}
