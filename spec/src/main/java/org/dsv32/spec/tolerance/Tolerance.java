package org.dsv32.spec.tolerance;

/**
 * The gates of one comparison, each derived in {@link Tolerances} (never a literal in a check). The three numbers are
 * THE GATES a check applies: where the operation has a predictive bound (spec/TOLERANCES.md §10), the predictive one
 * at the confidence of {@link Predictive}, capped by the rigorous one; {@link #rigorous} then holds the rigorous
 * worst-case bounds as context for reports (null when the gates are themselves the rigorous bounds).
 *
 * @param calcDiff   largest admissible calc_diff (DeepGEMM's 1 - 2Σxy/Σ(x²+y²))
 * @param maxErrInf  largest admissible max|x - y| / max|y| (the ∞-norm relative error), or NaN when not gated
 *                   (reductions with cancellation have no useful element-wise bound)
 * @param scoreRel   the relative score tolerance of top-k decisions (a selection is admissible when each chosen
 *                   candidate scores within scoreRel times the score scale of the k-th best), NaN when the
 *                   operation makes no decision
 * @param derivation how the numbers were obtained, for reports
 * @param rigorous   the rigorous worst-case bounds when the gates are predictive, else null
 */
public record Tolerance(double calcDiff, double maxErrInf, double scoreRel, String derivation, Rigorous rigorous) {
    /**
     * The rigorous worst-case bounds of a comparison whose gates are predictive: reported beside the gates; the
     * calc_diff one also gates a tensor too small for the predictive calc_diff (fewer than
     * {@link Predictive#MIN_ELEMENTS} elements). NaN where not stated.
     */
    public record Rigorous(double calcDiff, double maxErrInf, double scoreRel) {}

    public Tolerance {
        if (!(calcDiff >= 0)) throw new IllegalArgumentException("calc_diff bound must be >= 0, got " + calcDiff);
    }

    /** Gates that are themselves the rigorous bounds (no predictive model for this comparison). */
    public Tolerance(double calcDiff, double maxErrInf, double scoreRel, String derivation) {
        this(calcDiff, maxErrInf, scoreRel, derivation, null);
    }

    /** Whether the gates are predictive (and {@link #rigorous} holds the worst-case bounds). */
    public boolean predictive() { return rigorous != null; }

    /** Whether the ∞-norm relative error is gated. */
    public boolean gatesMaxErr() { return !Double.isNaN(maxErrInf); }

    /** Whether this operation makes decisions with a score tolerance. */
    public boolean hasDecisions() { return !Double.isNaN(scoreRel); }

    /**
     * The calc_diff gate of a tensor of {@code elements} elements: {@link #calcDiff}, except that a predictive gate
     * needs {@link Predictive#MIN_ELEMENTS} error terms to concentrate, so a smaller tensor is gated by the rigorous
     * bound.
     */
    public double calcDiffFor(long elements) {
        return rigorous != null && elements < Predictive.MIN_ELEMENTS ? rigorous.calcDiff() : calcDiff;
    }

    /** The same gates with a score tolerance added (the rigorous one unstated). */
    public Tolerance withScoreRel(double rel) {
        return new Tolerance(calcDiff, maxErrInf, rel, derivation,
                rigorous == null ? null : new Rigorous(rigorous.calcDiff(), rigorous.maxErrInf(), Double.NaN));
    }

    /** The same gates with the score tolerance of {@code other} (its gate, and its rigorous bound as context). */
    public Tolerance withScoreOf(Tolerance other) {
        Rigorous r = rigorous == null && other.rigorous == null ? null : new Rigorous(
                rigorous == null ? calcDiff : rigorous.calcDiff(), rigorous == null ? maxErrInf : rigorous.maxErrInf(),
                other.rigorous == null ? other.scoreRel : other.rigorous.scoreRel());
        return new Tolerance(calcDiff, maxErrInf, other.scoreRel, derivation, r);
    }
}
