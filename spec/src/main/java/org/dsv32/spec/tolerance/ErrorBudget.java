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
 *       candidate's rounding points, which the exact reference does not have.</li>
 * </ul>
 *
 * The total norm-wise relative error is {@code arith + sqrt(quantSq)}, and calc_diff ≈ ε²/2. Mutable; not
 * thread-safe; one per derivation.
 */
public final class ErrorBudget {
    private final PrecisionMode mode;
    private final Tier tier;
    private double arith;
    private double typical;
    private double quantSq;
    private final List<String> steps = new ArrayList<>();

    private ErrorBudget(PrecisionMode mode, Tier tier) {
        this.mode = mode;
        this.tier = tier;
    }

    /**
     * A budget for a comparison of the given tier. {@code mode} is the mode both sides run in under TIGHT; LOOSE
     * is always the candidate in fp8 against the reference in exact mode, whatever {@code mode} says.
     */
    public static ErrorBudget of(PrecisionMode mode, Tier tier) {
        return new ErrorBudget(tier == Tier.LOOSE ? PrecisionMode.FP8 : mode, tier);
    }

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
            add(name + " (fp8 GEMM, K=" + k + ", block-promoted)", Tolerances.promotedDotWorst(k, Tolerances.U_FP32) * Tolerances.kappa(k),
                    Tolerances.dotTypical(Math.min(k, Tolerances.PROMOTION_BLOCK), Tolerances.U_FP32) + Tolerances.dotTypical((k + 127) / 128, Tolerances.U_FP32));
        } else {
            add(name + " (K=" + k + ")", Tolerances.dotWorst(k, Tolerances.U_FP32) * Tolerances.kappa(k), Tolerances.dotTypical(k, Tolerances.U_FP32));
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
        add(name + " (fp8 GEMM, inner " + k + ", block-promoted)", Tolerances.promotedDotWorst(k, Tolerances.U_FP32) * Tolerances.kappa(k),
                Tolerances.dotTypical(Math.min(k, Tolerances.PROMOTION_BLOCK), Tolerances.U_FP32) + Tolerances.dotTypical((k + 127) / 128, Tolerances.U_FP32));
        return this;
    }

    /** A dot product or sum of length K whose terms are of one sign (no cancellation: condition 1). */
    public ErrorBudget positiveSum(String name, int k) {
        add(name + " (positive sum, K=" + k + ")", Tolerances.dotWorst(k, Tolerances.U_FP32), Tolerances.dotTypical(k, Tolerances.U_FP32));
        return this;
    }

    /** A reduction of length K with random-sign terms (condition sqrt(K)), not a linear layer. */
    public ErrorBudget reduction(String name, int k) {
        add(name + " (K=" + k + ")", Tolerances.dotWorst(k, Tolerances.U_FP32) * Tolerances.kappa(k), Tolerances.dotTypical(k, Tolerances.U_FP32));
        return this;
    }

    /** An element-wise step with the given relative error bound. */
    public ErrorBudget elementwise(String name, double rel) {
        add(name, rel, rel);
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
            if (flip > 0) add(name + " (code flips)", flip, flip);
        } else {
            quantSq += Tolerances.U_E4M3 * Tolerances.U_E4M3;
            steps.add(String.format(Locale.ROOT, "%s: e4m3 rounding u8=%.4g (independent)", name, Tolerances.U_E4M3));
        }
        return this;
    }

    /** Multiplies everything accumulated so far by {@code factor} (e.g. the softmax's sensitivity to its logits). */
    public ErrorBudget amplify(String name, double factor) {
        arith *= factor;
        typical *= factor;
        quantSq *= factor * factor;
        steps.add(String.format(Locale.ROOT, "%s: x%.4g", name, factor));
        return this;
    }

    /** Adds the errors of another path that meets this one (the two factors of a product, say). */
    public ErrorBudget merge(String name, ErrorBudget other) {
        arith += other.arith;
        typical += other.typical;
        quantSq += other.quantSq;
        steps.add(name + ": [" + String.join("; ", other.steps) + "]");
        return this;
    }

    /** The norm-wise relative error bound ε. */
    public double eps() { return arith + Math.sqrt(quantSq); }

    /** calc_diff bound ε²/2. */
    public double calcDiff() { return Tolerances.calcDiffOf(eps()); }

    /** The steps, for reports and TOLERANCES.md. */
    public String describe() {
        return String.join("; ", steps) + String.format(Locale.ROOT, " => eps=%.3g, calc_diff=%.3g", eps(), calcDiff());
    }

    /** The typical (random-walk) estimate of the arithmetic part, which the flip terms use. */
    public double typical() { return typical; }

    private void add(String name, double rel, double typ) {
        arith += rel;
        typical += typ;
        steps.add(String.format(Locale.ROOT, "%s: %.3g", name, rel));
    }
}
