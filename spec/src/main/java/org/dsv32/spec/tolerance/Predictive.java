package org.dsv32.spec.tolerance;

/**
 * The predictive (calibrated) error model beside the rigorous one of {@link Tolerances} (spec/TOLERANCES.md §10): the
 * expected squared error of a computation under independent rounding errors, and the gates it gives at a stated
 * confidence. The conformance gates are these, capped by the rigorous bounds; the rigorous ones are reported as
 * context.
 *
 * <p>The model. Every rounding of a value v (fp32, E4M3, an accumulator of {@link Accumulator}) errs by an amount
 * uniform on its rounding interval, independently of every other rounding, so its relative mean square is at most
 * u²/3 ({@link Accumulator#variance()} for accumulators). A sum accumulates one such error per addition, relative
 * to the running partial sum S_j; for K independent random-sign terms E[S_j²] = (j / K) E[S_K²], so a sequential
 * sum's squared error is (u²/3) Σ_j S_j² ≈ (u²/3)(K + 1)/2 times the result's mean square: the relative RMS grows
 * like sqrt(K) u ({@link #sumVar}). Any other order (lanes, blocks, pairwise) has smaller partial sums, so the
 * sequential sum is the model's worst order. A linear map with random-sign coefficients preserves the relative mean
 * square of its input's errors (the condition sqrt(K) of the worst case does not appear in expectation), errors of
 * independent roundings add in mean square, and a softmax or a sigmoid scales them by its gain.
 *
 * <p>The gates. {@code var} is the predicted mean of ||δ||² / ||y||² (the norm-wise relative error squared).
 * calc_diff ≈ ||δ||² / (2||y||²) is a ratio of two sums over the compared elements; with at least
 * {@link #MIN_ELEMENTS} independent error terms, the numerator is at most χ²_N(1 − p/2)/N times its mean and the
 * denominator at least χ²_N(p/2)/N times its own, each except with probability p/2 ({@link #calcDiffFactor}). A
 * per-element gate takes the union bound over every element a Java array can hold ({@link #MAX_ELEMENTS}) of a
 * Gaussian tail: |δ_i| ≤ z σ with z the two-sided quantile at p / MAX_ELEMENTS ({@link #elementFactor}). Both carry
 * the safety factor {@link #SAFETY} on the error (its square on calc_diff) for what the model leaves out: errors that
 * are not exactly uniform or independent, inputs heavier-tailed than Gaussian.
 */
public final class Predictive {
    private Predictive() {}

    /** The probability with which a correct backend may exceed one gate on one compared tensor. */
    public static final double P_CHECK = 1e-6;
    /** The safety factor on the predicted error (SAFETY² on calc_diff), for what the model leaves out. */
    public static final double SAFETY = 2;
    /** The fewest elements a tensor needs for its calc_diff to be gated predictively (a smaller one: the rigorous bound). */
    public static final int MIN_ELEMENTS = 64;
    /** The union bound of the per-element gates covers this many elements: the most a Java array holds. */
    public static final double MAX_ELEMENTS = 0x1p31;

    private static final double U = Tolerances.U_FP32;
    private static final double CALC_DIFF_FACTOR = SAFETY * SAFETY
            * Stats.chiSquareUpper(MIN_ELEMENTS, P_CHECK / 2) / Stats.chiSquareLower(MIN_ELEMENTS, P_CHECK / 2);
    private static final double ELEMENT_FACTOR = SAFETY * Stats.normalUpper(P_CHECK / (2 * MAX_ELEMENTS));

    // ---------------------------------------------------------------- mean squares (relative) of the basic steps

    /** One rounding whose relative error is at most {@code rel}: rel²/3 (uniform). */
    public static double roundingVar(double rel) { return rel * rel / 3; }

    /** {@code n} independent fp32 roundings (element-wise steps): n u²/3. */
    public static double fp32Var(int n) { return n * roundingVar(U); }

    /**
     * A sequential sum of K random-sign terms in {@code acc}, relative to the result's mean square:
     * (u_acc²/3) Σ_j E[S_j²] / E[S_K²] = var_acc (K + 1)/2.
     */
    public static double sumVar(long k, Accumulator acc) { return acc.variance() * (k + 1) / 2.0; }

    /** A dot product of length K in fp32: the sum plus one rounding of each product (no FMA assumed). */
    public static double dotVar(long k) { return sumVar(k, Accumulator.FP32) + fp32Var(1); }

    /** A sequential sum of K positive terms: partial sums (j / K) S_K, so var_acc Σ_j (j/K)² = var_acc (K+1)(2K+1)/(6K). */
    public static double positiveSumVar(long k) {
        return Accumulator.FP32.variance() * (k + 1) * (2.0 * k + 1) / (6.0 * k) + fp32Var(1);
    }

    /**
     * A block-scaled FP8 GEMM of inner length K: each 128-product block summed in {@code acc} (the e4m3 products are
     * exact), scaled (one fp32 rounding) and promoted into an fp32 running sum of ceil(K/128) block sums: block sums
     * are random-sign, so each level contributes its (n + 1)/2 relative to the result.
     */
    public static double promotedVar(long k, Accumulator acc) {
        long block = Math.min(k, Tolerances.PROMOTION_BLOCK);
        long blocks = (k + Tolerances.PROMOTION_BLOCK - 1) / Tolerances.PROMOTION_BLOCK;
        return sumVar(block, acc) + sumVar(blocks, Accumulator.FP32) + fp32Var(1);
    }

    /** One E4M3 rounding of every element (normal range), which the other side does not make: u8²/3. */
    public static double e4m3Var() { return roundingVar(Tolerances.U_E4M3); }

    /**
     * E4M3 code flips at a rounding point both sides share, given the upstream relative mean square {@code upVar}: an
     * element with error δ_i flips with probability |δ_i| / spacing_i and then errs by spacing_i ≤ 2 u8 |x_i|, so the
     * expected squared error is Σ |δ_i| spacing_i ≤ 2 u8 ||δ|| ||x|| (Cauchy–Schwarz): relative 2 u8 sqrt(upVar).
     */
    public static double flipVar(double upVar) { return upVar <= 0 ? 0 : 2 * Tolerances.U_E4M3 * Math.sqrt(upVar); }

    // ---------------------------------------------------------------- the gates

    /** SAFETY² χ²_N(1 − p/2) / χ²_N(p/2) with N = {@link #MIN_ELEMENTS}: the calc_diff gate is this times var/2. */
    public static double calcDiffFactor() { return CALC_DIFF_FACTOR; }

    /** SAFETY z with z the Gaussian quantile at p / (2 MAX_ELEMENTS): a per-element gate is this times the RMS error. */
    public static double elementFactor() { return ELEMENT_FACTOR; }

    /** The predictive calc_diff gate of a predicted relative mean square {@code var}. */
    public static double calcDiff(double var) { return CALC_DIFF_FACTOR * var / 2; }

    /** The predictive per-element gate (relative to the tensor's RMS, so also to its max) of a predicted {@code var}. */
    public static double maxErr(double var) { return ELEMENT_FACTOR * Math.sqrt(var); }

    /**
     * A top-k score tolerance is relative to the largest |score| of the row, the per-element gate to the RMS: a
     * selection happens only in a row of more than k >= 8 candidates, and the largest |score| of n >= 9 roughly
     * Gaussian scores is at least a quarter of their RMS except with probability P(|Z| < 1/4)^9 = 0.197^9 ≈ 5·10⁻⁷.
     */
    public static final double ROW_MAX_FACTOR = 4;

    /**
     * The predictive score tolerance of a top-k decision, relative to the row's largest |score|: the candidate prefers
     * i to j when its scores say so, which the reference's scores contradict by at most |δ_i| + |δ_j|, each within the
     * per-element gate times {@link #ROW_MAX_FACTOR}.
     */
    public static double scoreRel(double var) { return 2 * ROW_MAX_FACTOR * maxErr(var); }

    /** Tail quantiles, computed from the regularised incomplete gamma function. */
    static final class Stats {
        private Stats() {}

        /** z with P(Z > z) = q for a standard Gaussian Z (q in (0, 1/2)). */
        static double normalUpper(double q) {
            // P(Z > z) = Q(1/2, z²/2) / 2
            double lo = 0, hi = 40;
            for (int i = 0; i < 200; i++) {
                double mid = (lo + hi) / 2;
                if (upperGamma(0.5, mid * mid / 2) / 2 > q) lo = mid; else hi = mid;
            }
            return (lo + hi) / 2;
        }

        /** x with P(χ²_n > x) = q. */
        static double chiSquareUpper(int n, double q) {
            double lo = 0, hi = n + 100.0 * Math.sqrt(n) + 200;
            for (int i = 0; i < 200; i++) {
                double mid = (lo + hi) / 2;
                if (upperGamma(n / 2.0, mid / 2) > q) lo = mid; else hi = mid;
            }
            return (lo + hi) / 2;
        }

        /** x with P(χ²_n < x) = q. */
        static double chiSquareLower(int n, double q) {
            double lo = 0, hi = n;
            for (int i = 0; i < 200; i++) {
                double mid = (lo + hi) / 2;
                if (lowerGamma(n / 2.0, mid / 2) < q) lo = mid; else hi = mid;
            }
            return (lo + hi) / 2;
        }

        /** The regularised lower incomplete gamma P(a, x). */
        static double lowerGamma(double a, double x) {
            if (x <= 0) return 0;
            return x < a + 1 ? series(a, x) : 1 - fraction(a, x);
        }

        /** The regularised upper incomplete gamma Q(a, x) = 1 − P(a, x), accurate in its far tail. */
        static double upperGamma(double a, double x) {
            if (x <= 0) return 1;
            return x < a + 1 ? 1 - series(a, x) : fraction(a, x);
        }

        /** P(a, x) = x^a e^-x / Γ(a + 1) Σ_n x^n / ((a + 1)...(a + n)), for x < a + 1. */
        private static double series(double a, double x) {
            double term = 1, sum = 1;
            for (int n = 1; n < 10_000; n++) {
                term *= x / (a + n);
                sum += term;
                if (term < sum * 1e-17) break;
            }
            return Math.exp(a * Math.log(x) - x - logGamma(a + 1)) * sum;
        }

        /** Q(a, x) by its continued fraction (modified Lentz), for x >= a + 1. */
        private static double fraction(double a, double x) {
            double tiny = 1e-300;
            double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
            for (int i = 1; i < 10_000; i++) {
                double an = -i * (i - a);
                b += 2;
                d = an * d + b;
                if (Math.abs(d) < tiny) d = tiny;
                c = b + an / c;
                if (Math.abs(c) < tiny) c = tiny;
                d = 1 / d;
                double delta = d * c;
                h *= delta;
                if (Math.abs(delta - 1) < 1e-16) break;
            }
            return Math.exp(a * Math.log(x) - x - logGamma(a)) * h;
        }

        /** ln Γ(x) for x > 0: the recurrence up to x >= 10, then Stirling's series. */
        static double logGamma(double x) {
            double shift = 0;
            while (x < 10) { shift -= Math.log(x); x += 1; }
            double x2 = x * x;
            double series = 1 / (12 * x) - 1 / (360 * x * x2) + 1 / (1260 * x * x2 * x2) - 1 / (1680 * x * x2 * x2 * x2);
            return shift + (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + series;
        }
    }
}
