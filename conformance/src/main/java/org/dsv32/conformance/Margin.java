package org.dsv32.conformance;

import java.util.Locale;
import org.dsv32.spec.tolerance.Tolerance;

/**
 * How far a measured error is from the gate that judges it, in one unit for every kind of gate (spec/TOLERANCES.md
 * §4a). The <em>ratio</em> of a comparison is measure / bound:
 * <ul>
 *   <li>a norm-wise gate (calc_diff): calc_diff is quadratic in the norm-wise relative error ε (calc_diff ≈ ε²/2), so
 *       the ratio is taken in ε units, {@code sqrt(calc_diff / bound)};</li>
 *   <li>an element-wise gate (max|x−y|/max|y|, or an element gate of a check): the plain ratio {@code error / bound};</li>
 *   <li>a decision (top-k) violation: the score deficit (how far the chosen candidate falls below the k-th best, or
 *       how far a left-out one beats the worst chosen) divided by the score tolerance τ;</li>
 *   <li>an exact contract (bit-equal scales and codes, NaN/inf positions, determinism, inputs unchanged, a shape or
 *       count, an exception): met gives 0, violated gives +∞ — there is no tolerance to be a multiple of.</li>
 * </ul>
 * A comparison fails exactly when its ratio exceeds 1. A killed mutant's <em>margin</em> is the largest ratio over
 * the failed cases of the check that killed it (how many gates wide the bug is); a correct backend's
 * <em>headroom</em> is 1 / the largest ratio over a passing check's cases (how many times its error fits under the
 * gate). A bound of 0 with a measure of 0 gives 0; a NaN measure (e.g. calc_diff of NaN outputs) gives +∞.
 */
public final class Margin {
    private Margin() {}

    /** The ratio of an exact contract that is violated. */
    public static final double EXACT = Double.POSITIVE_INFINITY;

    /** Target of the mutant catalogue: a kill narrower than this many gates is named in the report with its reason. */
    public static final double TARGET = 10;

    /** A norm-wise gate in ε units: sqrt(calcDiff / bound). */
    public static double normwise(double calcDiff, double bound) { return Math.sqrt(ratio(calcDiff, bound)); }

    /** An element-wise gate: error / bound. */
    public static double elementwise(double error, double bound) { return ratio(error, bound); }

    /** A decision: the score deficit over the score tolerance τ (an admissible choice has deficit <= τ). */
    public static double decision(double deficit, double tau) { return ratio(Math.max(deficit, 0), tau); }

    /** The ratio of one tensor's comparison under {@code t}: the worst of its gates (NaN/inf positions are exact). */
    public static double of(ErrorStats s, Tolerance t) {
        if (s.nonFiniteMismatches() > 0) return EXACT;
        double r = normwise(s.calcDiff(), t.calcDiff());
        if (t.gatesMaxErr()) r = Math.max(r, elementwise(s.maxErrInf(), t.maxErrInf()));
        return r;
    }

    /** The headroom of a passing comparison whose ratio is {@code ratio}: 1 / ratio (+∞ for an error of 0). */
    public static double headroom(double ratio) {
        if (Double.isNaN(ratio)) return Double.NaN;
        return ratio == 0 ? Double.POSITIVE_INFINITY : 1 / ratio;
    }

    /** As printed: "12.3x", "1.2e+04x", "inf" or "-" (NaN: nothing measured). */
    public static String format(double m) {
        if (Double.isNaN(m)) return "-";
        if (Double.isInfinite(m)) return m > 0 ? "inf" : "-inf";
        return m >= 1e4 ? String.format(Locale.ROOT, "%.1ex", m) : String.format(Locale.ROOT, "%.3gx", m);
    }

    private static double ratio(double measure, double bound) {
        if (Double.isNaN(measure)) return EXACT;
        if (measure <= 0) return 0;
        if (!(bound > 0)) return EXACT;
        return measure / bound;
    }
}
