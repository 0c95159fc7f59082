package org.dsv32.spec.tolerance;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.dsv32.spec.backend.PrecisionMode;

/**
 * A first-order, norm-wise error budget of a chain of operations, built step by step
 * (spec/TOLERANCES.md, "Composition"). It tracks two parts:
 *
 * <ul>
 *   <li>{@code arith}: the candidate's arithmetic — fp32 accumulation and element-wise rounding — as a norm-wise
 *       relative error that adds along the chain (first order), and, in fp8 mode under the TIGHT tier, the
 *       "flips" where an fp32 value one rounding away from an E4M3 midpoint rounds to the neighbouring code;</li>
 *   <li>{@code typical}: the same chain with typical (sqrt(K) u) instead of worst-case dot-product errors, used
 *       only for the expected number of code flips;</li>
 *   <li>{@code quantSq}: under the LOOSE tier, the sum of squares of the independent E4M3 rounding errors of the
 *       candidate's rounding points, which the exact reference does not have;</li>
 *   <li>{@code var}: the predictive model ({@link Predictive}, spec/TOLERANCES.md §10): the expected squared
 *       norm-wise relative error of the same chain under independent rounding errors, which adds in mean square.</li>
 * </ul>
 *
 * The total rigorous norm-wise relative error is {@code arith + sqrt(quantSq)}, and calc_diff ≈ ε²/2. The GEMMs'
 * in-block accumulator is {@link Accumulator#current()} when the budget is made (fp32 unless a backend's checks bind
 * another). Mutable; not thread-safe; one per derivation.
 */
public final class ErrorBudget {
    private final PrecisionMode mode;
    private final Tier tier;
    private double arith;
    private double typical;
    private double quantSq;
    private double var;
    private boolean flips;
    private final Accumulator acc;
    private final List<String> steps = new ArrayList<>();

    private ErrorBudget(PrecisionMode mode, Tier tier, Accumulator acc) {
        this.mode = mode;
        this.tier = tier;
        this.acc = acc;
    }

    /**
     * A budget for a comparison of the given tier. {@code mode} is the mode both sides run in under TIGHT; LOOSE
     * is always the candidate in fp8 against the reference in exact mode, whatever {@code mode} says.
     */
    public static ErrorBudget of(PrecisionMode mode, Tier tier) {
        return of(mode, tier, Accumulator.current());
    }

    /** {@link #of(PrecisionMode, Tier)} with an explicit in-block accumulator for the FP8 GEMMs. */
    public static ErrorBudget of(PrecisionMode mode, Tier tier, Accumulator acc) {
        return new ErrorBudget(tier == Tier.LOOSE ? PrecisionMode.FP8 : mode, tier, acc);
    }

    /** The in-block accumulator of this budget's FP8 GEMMs. */
    public Accumulator accumulator() { return acc; }

    /** Whether the candidate in this comparison quantises activations. */
    public boolean fp8() { return mode.hasFp8RoundingPoints(); }

    public Tier tier() { return tier; }

    /**
     * An FP8 or dense linear with reduction length K. An FP8 weight in fp8 mode first quantises its input (an
     * act_quant rounding point) and accumulates with per-128-block promotion; otherwise a plain fp32 dot product.
     */
    public ErrorBudget linear(String name, int k, boolean fp8Weight) {
        if (fp8() && fp8Weight) {
            roundingPoint(name + " act_quant");
            promotedGemm(name + " (fp8 GEMM, K=" + k + ", block-promoted)", k);
        } else {
            add(name + " (K=" + k + ")", Tolerances.dotWorst(k, Tolerances.U_FP32) * Tolerances.kappa(k), Tolerances.dotTypical(k, Tolerances.U_FP32),
                    Predictive.dotVar(k));
        }
        return this;
    }

    /**
     * A block-scaled FP8 GEMM of inner length K whose {@code quantised} operands are quantised at this point in fp8
     * mode (the training GEMMs, spec/SEMANTICS.md §5b: Dgrad quantises dY, its weight is FP8 in both modes, so 1;
     * Wgrad quantises dY and X, so 2): each operand is a rounding point (TIGHT: the first one sees exact inputs, no
     * flips; LOOSE: u8 each, independent), then the per-128-block promoted fp32 dot product, condition sqrt(K). In
     * exact mode the plain fp32 dot product of length K.
     */
    public ErrorBudget fp8Gemm(String name, int k, int quantised) {
        if (!fp8()) return reduction(name, k);
        for (int i = 0; i < quantised; i++) roundingPoint(name + " operand " + (i + 1) + " quantised");
        promotedGemm(name + " (fp8 GEMM, inner " + k + ", block-promoted)", k);
        return this;
    }

    /** The block-promoted GEMM's own arithmetic with this budget's in-block accumulator, condition sqrt(K) (rigorous). */
    private void promotedGemm(String name, int k) {
        add(name + (acc.equals(Accumulator.FP32) ? "" : ", " + acc.name()), Tolerances.promotedDotWorst(k, acc) * Tolerances.kappa(k),
                Tolerances.dotTypical(Math.min(k, Tolerances.PROMOTION_BLOCK), acc.unitRoundoff()) + Tolerances.dotTypical((k + 127) / 128, Tolerances.U_FP32),
                Predictive.promotedVar(k, acc));
    }

    /** A dot product or sum of length K whose terms are of one sign (no cancellation: condition 1). */
    public ErrorBudget positiveSum(String name, int k) {
        add(name + " (positive sum, K=" + k + ")", Tolerances.dotWorst(k, Tolerances.U_FP32), Tolerances.dotTypical(k, Tolerances.U_FP32),
                Predictive.positiveSumVar(k));
        return this;
    }

    /** A reduction of length K with random-sign terms (condition sqrt(K)), not a linear layer. */
    public ErrorBudget reduction(String name, int k) {
        add(name + " (K=" + k + ")", Tolerances.dotWorst(k, Tolerances.U_FP32) * Tolerances.kappa(k), Tolerances.dotTypical(k, Tolerances.U_FP32),
                Predictive.dotVar(k));
        return this;
    }

    /**
     * An element-wise step with the given relative error bound; predictively one uniform error within it (rel²/3),
     * which also bounds the mean square of several independent roundings whose bounds add up to rel.
     */
    public ErrorBudget elementwise(String name, double rel) {
        add(name, rel, rel, Predictive.roundingVar(rel));
        return this;
    }

    /** An element-wise step with a rigorous bound {@code rel} and a predicted relative mean square {@code predictedVar}. */
    public ErrorBudget elementwise(String name, double rel, double predictedVar) {
        add(name, rel, rel, predictedVar);
        return this;
    }

    /**
     * An act_quant rounding point that is not the input of a linear (the MLA kv latent round trip, the indexer's q
     * and k). TIGHT: both sides round here, so the candidate's upstream error ε can only flip codes near a
     * midpoint: expected ε² gains 2·u8·ε (a flip has probability ε/(2·u8) per element and costs 2·u8). Being an
     * expectation over elements, it takes the TYPICAL upstream error (sqrt(K) u per dot product), not the worst.
     * LOOSE: the candidate rounds and the reference does not, adding u8² to the independent part.
     */
    public ErrorBudget roundingPoint(String name) {
        if (!fp8()) return this;
        if (tier == Tier.TIGHT) {
            double flip = Tolerances.flip(typical);
            if (flip > 0) {
                add(name + " (code flips)", flip, flip, Predictive.flipVar(var));
                flips = true;
            }
        } else {
            quantSq += Tolerances.U_E4M3 * Tolerances.U_E4M3;
            var += Predictive.e4m3Var();
            steps.add(String.format(Locale.ROOT, "%s: e4m3 rounding u8=%.4g (independent)", name, Tolerances.U_E4M3));
        }
        return this;
    }

    /** Multiplies everything accumulated so far by {@code factor} (e.g. the softmax's sensitivity to its logits). */
    public ErrorBudget amplify(String name, double factor) {
        return amplify(name, factor, factor);
    }

    /**
     * Multiplies the rigorous budget by {@code factor} and the predicted RMS by {@code predictiveFactor}: a
     * random-sign sum's worst-case condition sqrt(K) does not act on the mean square of independent errors
     * (predictive factor 1), a softmax's gain does.
     */
    public ErrorBudget amplify(String name, double factor, double predictiveFactor) {
        arith *= factor;
        typical *= factor;
        quantSq *= factor * factor;
        var *= predictiveFactor * predictiveFactor;
        steps.add(factor == predictiveFactor ? String.format(Locale.ROOT, "%s: x%.4g", name, factor)
                : String.format(Locale.ROOT, "%s: x%.4g (predicted RMS x%.4g)", name, factor, predictiveFactor));
        return this;
    }

    /** Adds the errors of another path that meets this one (the two factors of a product, say). */
    public ErrorBudget merge(String name, ErrorBudget other) {
        arith += other.arith;
        typical += other.typical;
        quantSq += other.quantSq;
        var += other.var;
        flips |= other.flips;
        steps.add(name + ": [" + String.join("; ", other.steps) + "]");
        return this;
    }

    /** The norm-wise relative error bound ε. */
    public double eps() { return arith + Math.sqrt(quantSq); }

    /** calc_diff bound ε²/2. */
    public double calcDiff() { return Tolerances.calcDiffOf(eps()); }

    /** The predicted mean of the squared norm-wise relative error (spec/TOLERANCES.md §10). */
    public double predictedVar() { return var; }

    /** The predictive calc_diff gate, capped by the rigorous bound. */
    public double predictiveCalcDiff() { return Math.min(Predictive.calcDiff(var), calcDiff()); }

    /**
     * The comparison's tolerance: gated by {@link #predictiveCalcDiff}, the rigorous calc_diff as context; no
     * element-wise gate, no decisions.
     */
    public Tolerance tolerance() { return tolerance(Double.NaN, Double.NaN); }

    /**
     * The tolerance with a score tolerance: the predictive one ({@link Predictive#scoreRel} of the predicted mean
     * square, capped by {@code rigorousScoreRel}) gates, the rigorous one is context; a chain with code flips
     * ({@link #flips}) keeps the rigorous one. NaN: no decisions.
     */
    public Tolerance tolerance(double rigorousScoreRel) {
        return tolerance(rigorousScoreRel, flips ? rigorousScoreRel : Math.min(Predictive.scoreRel(var), rigorousScoreRel));
    }

    /**
     * Whether the chain has E4M3 code flips (TIGHT, fp8, a rounding point after the candidate's own error): one flip
     * moves a single downstream value by up to a code step of one of its terms, a heavy-tailed per-element error the
     * Gaussian union bound does not cover, so such a chain keeps the rigorous score tolerance (its calc_diff, a mean
     * over many elements, stays predictive).
     */
    public boolean flips() { return flips; }

    private Tolerance tolerance(double rigorousScoreRel, double scoreGate) {
        double cd = predictiveCalcDiff();
        String d = describe() + String.format(Locale.ROOT, "; predictive: RMS %.3g => calc_diff gate %.3g (x%.3g of var/2: p=%.0e, N>=%d, safety %.0f)",
                Math.sqrt(var), cd, Predictive.calcDiffFactor(), Predictive.P_CHECK, Predictive.MIN_ELEMENTS, Predictive.SAFETY)
                + (Double.isNaN(scoreGate) ? "" : String.format(Locale.ROOT, ", score tol %.3g (rigorous %.3g)", scoreGate, rigorousScoreRel));
        return new Tolerance(cd, Double.NaN, scoreGate, d, new Tolerance.Rigorous(calcDiff(), Double.NaN, rigorousScoreRel));
    }

    /** The steps, for reports and TOLERANCES.md. */
    public String describe() {
        return String.join("; ", steps) + String.format(Locale.ROOT, " => eps=%.3g, calc_diff=%.3g", eps(), calcDiff());
    }

    /** The typical (random-walk) estimate of the arithmetic part, which the flip terms use. */
    public double typical() { return typical; }

    private void add(String name, double rel, double typ, double predictedVar) {
        arith += rel;
        typical += typ;
        var += predictedVar;
        steps.add(String.format(Locale.ROOT, "%s: %.3g", name, rel));
    }
}
