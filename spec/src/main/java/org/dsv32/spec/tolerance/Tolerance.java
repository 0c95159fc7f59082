package org.dsv32.spec.tolerance;

/**
 * The gates of one comparison, each derived in {@link Tolerances} (never a literal in a check).
 *
 * @param calcDiff   largest admissible calc_diff (DeepGEMM's 1 - 2Σxy/Σ(x²+y²))
 * @param maxErrInf  largest admissible max|x - y| / max|y| (the ∞-norm relative error), or NaN when not gated
 *                   (reductions with cancellation have no useful element-wise bound)
 * @param scoreRel   the relative score tolerance of top-k decisions (a selection is admissible when each chosen
 *                   candidate scores within scoreRel times the score scale of the k-th best), NaN when the
 *                   operation makes no decision
 * @param derivation how the numbers were obtained, for reports
 */
public record Tolerance(double calcDiff, double maxErrInf, double scoreRel, String derivation) {
    public Tolerance {
        if (!(calcDiff >= 0)) throw new IllegalArgumentException("calc_diff bound must be >= 0, got " + calcDiff);
    }

    /** Whether the ∞-norm relative error is gated. */
    public boolean gatesMaxErr() { return !Double.isNaN(maxErrInf); }

    /** Whether this operation makes decisions with a score tolerance. */
    public boolean hasDecisions() { return !Double.isNaN(scoreRel); }

    /** The same gates with a score tolerance added. */
    public Tolerance withScoreRel(double rel) { return new Tolerance(calcDiff, maxErrInf, rel, derivation); }
}
