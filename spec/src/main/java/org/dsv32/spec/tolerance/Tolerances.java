package org.dsv32.spec.tolerance;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.format.BF16;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * Every tolerance of the conformance harness, computed from the formulas of spec/TOLERANCES.md as functions of
 * the reduction lengths and the number formats — no literal thresholds anywhere else.
 *
 * <p>The model: a conforming backend computes in fp32 or better (u = 2^-24) at the operation boundary; the
 * reference computes in float64 (its own error, 2^-53, is negligible). A dot product of length K accumulated in
 * precision u has a relative error (to Σ|x_k w_k|) of at most γ_K = K u / (1 - K u), typically sqrt(K) u. For
 * random-sign data Σ|x_k w_k| is at most sqrt(K) times the root-mean-square of the result (Cauchy–Schwarz), so
 * the norm-wise relative error of a linear layer is at most ε = γ_K sqrt(K), and since
 * calc_diff = Σ(x-y)² / Σ(x²+y²) ≈ ε²/2 for a small relative error ε, its calc_diff is at most ε²/2.
 */
public final class Tolerances {
    private Tolerances() {}

    /** Unit roundoff of E4M3 (2^-4). */
    public static final double U_E4M3 = E4M3.UNIT_ROUNDOFF;
    /** Unit roundoff of BF16 (2^-8). */
    public static final double U_BF16 = BF16.UNIT_ROUNDOFF;
    /** Unit roundoff of FP32 (2^-24): the least precise arithmetic a conforming backend may use. */
    public static final double U_FP32 = 0x1p-24;
    /** Unit roundoff of float64 (2^-53): the reference's arithmetic. */
    public static final double U_FP64 = 0x1p-53;
    /** The block length of the FP8 GEMM's promotion to the fp32 accumulator. */
    public static final int PROMOTION_BLOCK = 128;

    /**
     * Design value of the root-mean-square MLA logit (q·k times the softmax scale) of the conformance generator's
     * inputs. The softmax turns a logit error δl into a probability error δp/p = δl - Σ p δl, so for independent
     * logit errors it amplifies a norm-wise relative logit error by about sqrt(2) times the logits' RMS.
     */
    public static final double MLA_LOGIT_RMS = 2.0;
    /** Design bound of |router logit| in the generator's MoE inputs (sigmoid'(l) = s(1-s), |δs|/s <= |δl|). */
    public static final double GATE_MAX_LOGIT = 4.0;

    /**
     * Teacher-forced logits parity, a requirement rather than a derivation (the optimized-path issue's bound): at
     * every step calc_diff at most 1e-6 between a candidate and the reference in the same precision mode, and the
     * same argmax. Far above the fp32 arithmetic's own calc_diff on the tiny model (about 1e-12), far below what a
     * formula error does (order 1).
     */
    public static final double LOGITS_PARITY_CALC_DIFF = 1e-6;

    // ---------------------------------------------------------------- the basic formulas

    /** γ_n = n u / (1 - n u): the worst-case relative error of a sum of n terms in precision u. */
    public static double gamma(long n, double u) {
        double nu = n * u;
        if (nu >= 1) return Double.POSITIVE_INFINITY;
        return nu / (1 - nu);
    }

    /** Worst-case relative error (to Σ|x_k w_k|) of a length-K dot product accumulated in precision u: γ_K. */
    public static double dotWorst(long k, double u) { return gamma(k, u); }

    /** Typical (random-walk) relative error of a length-K dot product: sqrt(K) u. */
    public static double dotTypical(long k, double u) { return Math.sqrt(k) * u; }

    /**
     * Worst-case relative error of a length-K dot product whose 128-long block partial sums are promoted to an
     * fp32 accumulator (spec/SEMANTICS.md §4): each block sum carries γ_128, the sum of the ceil(K/128) scaled
     * block sums γ_ceil(K/128), so γ_128 + γ_B + γ_128 γ_B instead of γ_K — for K = 7168, 184 u instead of 7168 u.
     */
    public static double promotedDotWorst(long k, double u) {
        long block = Math.min(k, PROMOTION_BLOCK);
        long blocks = (k + PROMOTION_BLOCK - 1) / PROMOTION_BLOCK;
        double a = gamma(block, u), b = gamma(blocks, u);
        return a + b + a * b + u; // + u: the multiplication by the two scales (ue8m0 scales make it exact)
    }

    /**
     * {@link #promotedDotWorst(long, double)} with the block sums accumulated in {@code acc} (spec/TOLERANCES.md §10):
     * γ_128 of the accumulator's unit roundoff (a truncating one errs by up to a whole unit in the last place), then the
     * fp32 promotion as before. {@link Accumulator#FP32} gives exactly the fp32 bound.
     */
    public static double promotedDotWorst(long k, Accumulator acc) {
        long block = Math.min(k, PROMOTION_BLOCK);
        long blocks = (k + PROMOTION_BLOCK - 1) / PROMOTION_BLOCK;
        double a = gamma(block, acc.unitRoundoff()), b = gamma(blocks, U_FP32);
        return a + b + a * b + U_FP32;
    }

    /** Condition of a random-sign reduction of length K: Σ|x_k w_k| <= sqrt(K) RMS(Σ x_k w_k). */
    public static double kappa(long k) { return Math.sqrt(k); }

    /** calc_diff for a small norm-wise relative error ε: Σ(x-y)²/Σ(x²+y²) ≈ ε²/(2 + ε²) ≈ ε²/2. */
    public static double calcDiffOf(double eps) { return eps * eps / 2; }

    /** The norm-wise relative error whose calc_diff is {@code calcDiff}: sqrt(2 calc_diff). */
    public static double epsOfCalcDiff(double calcDiff) { return Math.sqrt(2 * Math.max(calcDiff, 0)); }

    /**
     * Norm-wise error added by E4M3 code flips at a rounding point both sides share, given the candidate's
     * upstream relative error ε: a code flips with probability ε/(2 u8) and then errs by 2 u8, so the expected
     * squared error is 2 u8 ε, a norm-wise sqrt(2 u8 ε).
     */
    public static double flip(double upstreamEps) {
        return upstreamEps <= 0 ? 0 : Math.sqrt(2 * U_E4M3 * upstreamEps);
    }

    // ---------------------------------------------------------------- per operation

    /**
     * act_quant. TIGHT: scales must be bit-equal (the formula is fp32 throughout); with ue8m0 scales x/s is a
     * division by a power of two, exact in fp32, so the codes must be equal too; with plain scales x/s is rounded
     * once in fp32, which can move a value across an E4M3 midpoint: at most one code step (2 u8 relative) on
     * rare elements, calc_diff at most u8 u per flip budget. LOOSE: the dequantised codes against x itself —
     * each element off by at most u8 relative (normal range), so ε <= u8.
     */
    public static Tolerance actQuant(Tier tier, ScaleFormat format) {
        if (tier == Tier.LOOSE) {
            return new Tolerance(calcDiffOf(U_E4M3), U_E4M3, Double.NaN,
                    fmt("dequant(q) vs x: e4m3 rounding u8=%.4g per element => max err u8, calc_diff u8^2/2", U_E4M3));
        }
        if (format == ScaleFormat.UE8M0) {
            return new Tolerance(0, 0, Double.NaN, "ue8m0: x/s exact in fp32 => codes and scales bit-equal");
        }
        double cd = calcDiffOf(flip(U_FP32));
        return new Tolerance(cd, 2 * U_E4M3, Double.NaN,
                fmt("plain scale: x/s rounded once in fp32 => rare one-code flips (2u8=%.4g), calc_diff %.3g", 2 * U_E4M3, cd));
    }

    /** A linear layer with reduction length K; {@code fp8Weight} for an FP8 block-scaled weight. */
    public static Tolerance linear(int k, boolean fp8Weight, PrecisionMode mode, Tier tier) {
        ErrorBudget b = ErrorBudget.of(mode, tier).linear("linear", k, fp8Weight);
        return b.tolerance();
    }

    /**
     * The FP8 Dgrad dX = dY W (spec/SEMANTICS.md §5b), inner length N: dY quantised in 1x128 tiles along N is one
     * rounding point (W is FP8 in both modes, as in the forward linear), then the block-promoted GEMM. The same
     * budget as a linear of K = N: the tile shape does not change the per-element rounding (u8) or the promotion.
     * A dense weight is the exact product in both modes.
     */
    public static Tolerance fp8Dgrad(int n, boolean fp8Weight, PrecisionMode mode, Tier tier) {
        ErrorBudget b = fp8Weight ? ErrorBudget.of(mode, tier).fp8Gemm("dgrad", n, 1)
                : ErrorBudget.of(PrecisionMode.EXACT, Tier.TIGHT).reduction("dgrad, dense weight (exact in both modes)", n);
        return b.tolerance();
    }

    /**
     * The FP8 Wgrad dW = dY^T X (spec/SEMANTICS.md §5b), inner length M (tokens): dY and X, both in 128x1 tiles, are
     * two independent rounding points (LOOSE: sqrt(2) u8; TIGHT: neither sees a candidate's upstream error, no
     * flips), then the block-promoted GEMM over M. Exact mode: a plain fp32 dot product of length M.
     */
    public static Tolerance fp8Wgrad(int m, PrecisionMode mode, Tier tier) {
        ErrorBudget b = ErrorBudget.of(mode, tier).fp8Gemm("wgrad", m, 2);
        return b.tolerance();
    }

    /**
     * RMSNorm over D: the mean of squares is a positive sum (γ_D, no cancellation), the square root halves its
     * relative error, then a division, a product with w and the eps add a few u: every element is within
     * (γ_D/2 + 4u) of the reference, relative to itself. {@code fused}: the residual add rounds once more.
     */
    public static Tolerance rmsNorm(int d, boolean fused) {
        double e = gamma(d, U_FP32) / 2 + (fused ? 5 : 4) * U_FP32;
        return elementwise(e, rmsNormVar(d, fused), true,
                fmt("gamma_D/2 + %du, D=%d => element-wise %.3g", fused ? 5 : 4, d, e));
    }

    /**
     * RMSNorm's predicted relative mean square per element: the positive sum of D squares, halved in RMS by the square
     * root ({@link Predictive#positiveSumVar} / 4), and 4 (fused: 5) roundings.
     */
    static double rmsNormVar(int d, boolean fused) { return Predictive.positiveSumVar(d) / 4 + Predictive.fp32Var(fused ? 5 : 4); }

    /**
     * The tolerance of an element-wise computation whose error is relative to each element (or shared by a row, as a
     * normaliser's): rigorous ε per element, predicted mean square {@code var}. The per-element gate is
     * {@link Predictive#maxErr}; calc_diff is gated by its square over 2 (the per-element bound holds for every
     * element at once, so it needs no concentration over a row whose error may be one shared value); each capped by
     * the rigorous bound.
     */
    static Tolerance elementwise(double rigorousEps, double var, boolean gateMaxErr, String derivation) {
        double me = Math.min(Predictive.maxErr(var), rigorousEps);
        double cd = Math.min(calcDiffOf(Predictive.maxErr(var)), calcDiffOf(rigorousEps));
        return new Tolerance(cd, gateMaxErr ? me : Double.NaN, Double.NaN,
                derivation + fmt("; predictive: RMS %.3g => element-wise %.3g (x%.3g: union over 2^31 elements at p=%.0e, safety %.0f), calc_diff %.3g",
                        Math.sqrt(var), me, Predictive.elementFactor(), Predictive.P_CHECK, Predictive.SAFETY, cd),
                new Tolerance.Rigorous(calcDiffOf(rigorousEps), gateMaxErr ? rigorousEps : Double.NaN, Double.NaN));
    }

    /**
     * LayerNorm over D: the mean (γ_D relative to mean|x|), the centred values and the variance lose relative
     * accuracy by the input's condition c = max|x| / sqrt(var + eps) (a row with a large common offset cancels), so the
     * norm-wise error is at most (2 γ_D + 3u) c + 4u. Not gated element-wise: the bias can dominate max|y|.
     */
    public static Tolerance layerNorm(int d, double condition) {
        double c = Math.max(1, condition);
        double e = (2 * gamma(d, U_FP32) + 3 * U_FP32) * c + 4 * U_FP32;
        // predictive: the mean and the variance (two sums of D) and 3 roundings, scaled by the condition; 4 roundings
        double var = (4 * Predictive.sumVar(d, Accumulator.FP32) + Predictive.fp32Var(3)) * c * c + Predictive.fp32Var(4);
        return elementwise(e, var, false, fmt("(2 gamma_D + 3u) c + 4u, D=%d, c=%.3g => eps %.3g", d, c, e));
    }

    /**
     * The condition {@link #layerNorm} takes, from the input [rows][D]: the worst row's max|x| / sqrt(var(x) + eps),
     * the factor by which the centring's rounding (relative to max|x|) grows once divided by the normaliser. eps
     * bounds it: a constant row (var 0) has condition max|x| / sqrt(eps), not infinity, and its fp32 output carries
     * the centring's rounding times 1/sqrt(eps) on top of the bias.
     */
    public static double layerNormCondition(TensorF64 x, double eps) {
        double worst = 1;
        for (int r = 0; r < x.rows(); r++) {
            double mean = 0, max = 0;
            for (int c = 0; c < x.cols(); c++) { mean += x.at(r, c); max = Math.max(max, Math.abs(x.at(r, c))); }
            mean /= x.cols();
            double var = 0;
            for (int c = 0; c < x.cols(); c++) { double d = x.at(r, c) - mean; var += d * d; }
            double scale = Math.sqrt(var / x.cols() + eps);
            if (Double.isFinite(max)) worst = Math.max(worst, max / scale);
        }
        return worst;
    }

    /**
     * RoPE up to position P with largest frequency f: the angle p f computed in fp32 from an fp32 frequency errs by
     * at most 2u p f (absolute, radians), the cos/sin and the rotation by a few u. A rotation by a wrong angle δθ
     * moves a pair by δθ times its norm: ε = 2u P f + 4u; element-wise, relative to max|y|, at most 2ε.
     */
    public static Tolerance rope(long maxPosition, double maxFrequency) {
        double e = angleError(maxPosition, maxFrequency) + 4 * U_FP32;
        // predictive: the frequency's and the product's roundings of the angle (each (u P f)²/3), 4 roundings; x2 element-wise
        double a = U_FP32 * maxPosition * maxFrequency;
        Tolerance t = elementwise(2 * e, 4 * (2 * a * a / 3 + Predictive.fp32Var(4)), true,
                fmt("2u P f + 4u, P=%d, f=%.3g => eps %.3g, element-wise 2 eps", maxPosition, maxFrequency, e));
        return new Tolerance(Math.min(t.calcDiff(), calcDiffOf(e)), t.maxErrInf(), Double.NaN, t.derivation(),
                new Tolerance.Rigorous(calcDiffOf(e), 2 * e, Double.NaN));
    }

    /**
     * RoPE's predicted relative mean square: the angle p·f from a frequency rounded once and a product rounded once,
     * each (u P f)²/3 (a rotation by δθ moves a pair by δθ times its norm), and 4 roundings of the rotation.
     */
    static double ropeVar(long maxPosition, double maxFrequency) {
        double a = U_FP32 * maxPosition * maxFrequency;
        return 2 * a * a / 3 + Predictive.fp32Var(4);
    }

    /**
     * {@link #ropeVar(long, double)} over the configuration's frequencies: the pairs rotate at frequencies that fall
     * geometrically from the largest, so the norm-wise mean square takes the mean of f² over the pairs, not f_max².
     */
    static double ropeVar(long maxPosition, double[] frequencies) {
        double meanSq = 0;
        for (double f : frequencies) meanSq += f * f;
        return ropeVar(maxPosition, Math.sqrt(meanSq / frequencies.length));
    }

    /** Absolute error of the fp32 angle p f: 2u P f. */
    public static double angleError(long maxPosition, double maxFrequency) { return angleError(maxPosition, maxFrequency, U_FP32); }

    /** Absolute error of the angle p f computed in precision u from a frequency rounded once: 2u P f. */
    public static double angleError(long maxPosition, double maxFrequency, double u) { return 2 * u * maxPosition * maxFrequency; }

    /**
     * Hadamard transform of length n: each output is a ±1 sum of n inputs (γ_n whatever the order, γ_log2(n) for
     * the fast transform), then the scale n^-1/2: ε = γ_n sqrt(n) + u, as for a linear layer.
     */
    public static Tolerance hadamard(int n) {
        ErrorBudget b = ErrorBudget.of(PrecisionMode.EXACT, Tier.TIGHT)
                .elementwise(fmt("hadamard gamma_n sqrt(n) + u, n=%d", n), gamma(n, U_FP32) * kappa(n) + U_FP32,
                        Predictive.sumVar(n, Accumulator.FP32) + Predictive.fp32Var(1));
        return b.tolerance();
    }

    /**
     * The expert bias update b' = b + γ sign(c̄ − c_i) (no decision to round: the sign is decided in integers). A
     * float32 backend rounds b and γ to fp32 and the sum once, so each element is off by at most
     * u (|b_i| + γ + |b_i'|) <= u (maxAbsBias + γ + maxAbsResult); relative to the result's largest element that is
     * eps = u (maxAbsBias + γ + maxAbsResult) / maxAbsResult, gated element-wise and as calc_diff eps²/2.
     */
    public static Tolerance expertBiasUpdate(double maxAbsBias, double gamma, double maxAbsResult) {
        double e = maxAbsResult > 0 ? U_FP32 * (maxAbsBias + gamma + maxAbsResult) / maxAbsResult : U_FP32;
        return new Tolerance(calcDiffOf(e), e, Double.NaN,
                fmt("u (max|b| + gamma + max|b'|) / max|b'|, max|b|=%.3g gamma=%.3g max|b'|=%.3g => eps %.3g", maxAbsBias, gamma, maxAbsResult, e));
    }

    /**
     * The float32 error of one affinity s = sigmoid(l) = 1 / (1 + e^-l) from an fp32 logit: e^-l rounded (u), 1 + e
     * (u; relative to the sum at most u whatever e), the division (u): γ_3. The same holds for 1 - s taken as
     * e / (1 + e).
     */
    static double sigmoidError() { return gamma(3, U_FP32); }

    /** s'_{i,t} = s_i / Σ_j s_j over n experts: each s (ε_σ), the positive sum (ε_σ + γ_{n-1}), the division (u). */
    static double normalisedAffinityError(int experts) { return 2 * sigmoidError() + gamma(experts - 1, U_FP32) + U_FP32; }

    /**
     * The sequence-wise balance loss's values in float32 (spec/TOLERANCES.md, balance_loss), element-wise relative:
     * every term is positive, so relative errors add without cancellation. f_i = N c_i / (K T) is one division of
     * exact integers (u); P_i = (1/T) Σ_t s'_{i,t} adds γ_{T-1} and the division (u) to ε_s'; a sequence's Σ_i f_i P_i
     * adds the products (u) and γ_{n-1}; the batch's mean adds γ_{B-1} and α / B (2u). The bound of L also bounds f
     * and P, which the same gate compares.
     */
    public static Tolerance balanceLoss(int experts, int maxSequenceLength, int sequences) {
        double p = normalisedAffinityError(experts) + gamma(maxSequenceLength - 1, U_FP32) + U_FP32;
        double e = p + U_FP32 + U_FP32 + gamma(experts - 1, U_FP32) + gamma(sequences - 1, U_FP32) + 2 * U_FP32;
        return new Tolerance(calcDiffOf(e), e, Double.NaN,
                fmt("eps_P + u (f) + u + gamma_{N-1} + gamma_{B-1} + 2u, eps_P = eps_s' + gamma_{T-1} + u, N=%d T<=%d B=%d => eps %.3g",
                        experts, maxSequenceLength, sequences, e));
    }

    /**
     * The balance loss's gradient ∂L/∂l_{m,t} = s'_{m,t} (1 − s_{m,t}) (g_m − ḡ_t), g_i = α f_i / (B T) (ε_g = u for f
     * plus 2u), ḡ_t = Σ_i g_i s'_{i,t}. The difference g_m − ḡ_t cancels (it is exactly 0 for a balanced sequence), so
     * the bound is absolute, per element, in units of s'_{m,t} · max_i g_i: ḡ is off by (ε_g + ε_s' + u + γ_{n-1})
     * max g, the difference by ε_g max g more plus u; the factors s' (ε_s'), 1 − s (ε_σ) and two products (2u) add
     * their relative errors on |g_m − ḡ| <= max g. Total ε = 2 ε_g + 2 ε_s' + γ_{n-1} + ε_σ + 5u: a check passes when
     * |δ_{m,t}| <= ε s'_{m,t} max_i g_i for every element.
     */
    public static Tolerance balanceLossGradient(int experts) {
        double g = 3 * U_FP32;
        double e = 2 * g + 2 * normalisedAffinityError(experts) + gamma(experts - 1, U_FP32) + sigmoidError() + 5 * U_FP32;
        return new Tolerance(calcDiffOf(e), e, Double.NaN,
                fmt("per element, relative to s'_{m,t} max g: 2 eps_g + 2 eps_s' + gamma_{N-1} + eps_sigma + 5u, N=%d => eps %.3g", experts, e));
    }

    /**
     * The indexer's scores I_{t,s} = Σ_h w_h d^-1/2 ReLU(q_h · k_s) in float32 (spec/TOLERANCES.md, indexer_loss): the
     * dot product γ_d (relative to Σ_i |q_i k_i|), the factors w_h d^-1/2 and the product with ReLU(z) (2u) and the sum
     * over H heads γ_{H-1}: per element |δI_{t,s}| <= ε_I M_{t,s}, M_{t,s} = d^-1/2 Σ_h |w_h(t)| Σ_i |q_{h,i}(t) k_i(s)|.
     */
    public static Tolerance indexerLossScores(int headDim, int heads) {
        double e = gamma(headDim, U_FP32) + gamma(heads + 1, U_FP32);
        return new Tolerance(calcDiffOf(e), e, Double.NaN,
                fmt("per element, relative to M = d^-1/2 sum_h |w_h| sum_i |q_i k_i|: gamma_d + gamma_{H+1}, d=%d H=%d => eps %.3g", headDim, heads, e));
    }

    /**
     * The indexer loss's values in float32, per query absolutely in units of U_t = 1 + σ_t + Σ_s p_s (|log p_s| +
     * |log q_s|) + |log Σ_s a_s| + KL_t (σ_t = max over K_t of M_{t,s}; a_s the head sums of the main attention): a
     * score error moves log q by at most 2 ε_I σ_t (its own and the log-sum-exp's); exp, the sum over n keys, the log
     * and two subtractions add γ_{n+1} + 4u |log q|; the head sums (γ_{H_a}) and their total (γ_n + γ_{H_a}) give p
     * ε_p = 2γ_{H_a} + γ_n + u, and log p = log a − log Σ a adds 2u (|log p| + |log Σ a|); the products and the sum of
     * a KL add (ε_p + γ_{n+1}) Σ p |log p − log q|, the sum over T queries γ_T Σ KL_t (all terms ≥ 0). One ε_L =
     * 2ε_I + 4γ_{H_a} + 5γ_{n+2} + γ_T + 6u covers every coefficient; the target p (relative ε_p < ε_L) and each KL_t
     * are gated by it too.
     */
    public static Tolerance indexerLoss(int headDim, int heads, int mainHeads, int keys, int queries) {
        double e = 2 * indexerLossScores(headDim, heads).maxErrInf() + 4 * gamma(mainHeads, U_FP32) + 5 * gamma(keys + 2, U_FP32)
                + gamma(queries, U_FP32) + 6 * U_FP32;
        return new Tolerance(calcDiffOf(e), e, Double.NaN,
                fmt("per query, in units of 1 + sigma_t + sum p(|log p|+|log q|) + |log sum a| + KL_t: 2 eps_I + 4 gamma_Ha + 5 gamma_{n+2} + gamma_T + 6u,"
                        + " d=%d H=%d Ha=%d n=%d T=%d => eps %.3g", headDim, heads, mainHeads, keys, queries, e));
    }

    /**
     * The indexer loss's gradients in float32. ∂L/∂I = q − p cancels (exactly 0 when Softmax(I) = p), so every
     * gradient is gated absolutely, per element, in a unit built from G_{t,s} = (q_s + p_s)(1 + σ_t + |log q_s|) +
     * |g_s|: q_s = e_s / Σ e carries 2 ε_I σ_t + γ_{n+1} + u |log q_s| relatively, p_s ε_p, the subtraction u |g_s|,
     * so |δg_{t,s}| <= ε_L G_{t,s}. Through the head sum: ∂L/∂w_h = d^-1/2 Σ_s g_s ReLU(z) adds γ_d (z) and γ_{n+2}
     * (two products, the sum) in units of d^-1/2 Σ_s G_s Σ_i |q_i k_i|; ∂L/∂q_h = Σ_s g_s d^-1/2 w_h k_s adds γ_{n+3}
     * in units of d^-1/2 |w_h| Σ_s G_s |k_s|; ∂L/∂k_s = Σ_{t,h} (…) q_h(t) adds γ_{TH+3} in units of
     * d^-1/2 Σ_{t,h} |w_h(t)| G_{t,s} |q_h(t)|. One ε_G = ε_L + γ_d + γ_{max(n, T H)+3} gates all four. A ReLU decision
     * is not covered: inputs with |z| within the dot's error of 0 are kept out of the checks.
     */
    public static Tolerance indexerLossGradient(int headDim, int heads, int mainHeads, int keys, int queries) {
        double e = indexerLoss(headDim, heads, mainHeads, keys, queries).maxErrInf() + gamma(headDim, U_FP32)
                + gamma(Math.max(keys, (long) queries * heads) + 3, U_FP32);
        return new Tolerance(calcDiffOf(e), e, Double.NaN,
                fmt("per element, in units built from G = (q+p)(1 + sigma + |log q|) + |g|: eps_L + gamma_d + gamma_{max(n,TH)+3}, d=%d H=%d n=%d T=%d => eps %.3g",
                        headDim, heads, keys, queries, e));
    }

    /** SwiGLU MLP D -> I -> D: gate and up (K=D), silu and product (element-wise), down (K=I). */
    public static Tolerance mlp(int d, int intermediate, PrecisionMode mode, Tier tier) {
        ErrorBudget b = mlpBudget(d, intermediate, mode, tier);
        return b.tolerance();
    }

    static ErrorBudget mlpBudget(int d, int intermediate, PrecisionMode mode, Tier tier) {
        return ErrorBudget.of(mode, tier)
                .linear("gate/up", d, true)
                .elementwise("silu(g)*u", 6 * U_FP32, Predictive.fp32Var(6))
                .linear("down", intermediate, true);
    }

    /**
     * The indexer's scores, and the tolerance of its top-k key selection. q path: wq_b (K = q_lora_rank), RoPE,
     * Hadamard, act_quant; k path: wk (K = D), LayerNorm, RoPE, Hadamard, act_quant; the two meet in the
     * length-d dot products (ReLU adds nothing), weighted by weights_proj (K = D, fp32) and summed over H heads.
     * The head weights have random signs, so the head sum can cancel: like any random-sign sum of H terms it
     * amplifies the relative errors of its terms by up to sqrt(H) — which matters for a single score, where no
     * averaging over elements helps (one query over one key).
     */
    public static Tolerance indexer(ModelConfig c, PrecisionMode mode, Tier tier, long maxPosition) {
        ErrorBudget b = indexerBudget(c, mode, tier, maxPosition);
        return b.tolerance(b.eps());
    }

    static ErrorBudget indexerBudget(ModelConfig c, PrecisionMode mode, Tier tier, long maxPosition) {
        double maxF = c.ropeFrequencies()[0];
        double rope = angleError(maxPosition, maxF) + 4 * U_FP32;
        int d = c.indexHeadDim();
        double had = gamma(d, U_FP32) * kappa(d) + U_FP32;
        double hadVar = Predictive.sumVar(d, Accumulator.FP32) + Predictive.fp32Var(1), ropeVar = ropeVar(maxPosition, c.ropeFrequencies());
        ErrorBudget q = ErrorBudget.of(mode, tier)
                .linear("wq_b", c.qLoraRank(), true)
                .elementwise("q rope", rope, ropeVar).elementwise("q hadamard", had, hadVar)
                .roundingPoint("q act_quant");
        ErrorBudget k = ErrorBudget.of(mode, tier)
                .linear("wk", c.hiddenSize(), true)
                .elementwise("k layernorm", 2 * gamma(d, U_FP32) + 7 * U_FP32, 4 * Predictive.sumVar(d, Accumulator.FP32) + Predictive.fp32Var(7))
                .elementwise("k rope", rope, ropeVar).elementwise("k hadamard", had, hadVar)
                .roundingPoint("k act_quant");
        return ErrorBudget.of(mode, tier)
                .merge("q", q).merge("k", k)
                .reduction("q.k", d)
                .linear("weights_proj", c.hiddenSize(), false)
                .reduction("sum over heads", c.indexNHeads())
                .amplify("random-sign head weights (condition sqrt(H))", kappa(c.indexNHeads()), 1);
    }

    /**
     * MLA attention output given the same key selection (decisions replayed). Query: q_a (K=D), RMSNorm, q_b
     * (K=q_lora), RoPE. Key: kv_a (K=D), RMSNorm, the kv latent's FP8 round trip, RoPE. Logits: a length
     * (kv_lora + rope) dot product, then the softmax (amplification sqrt(2) times {@link #MLA_LOGIT_RMS}), the
     * positive weighted sum over at most {@code maxKeys} keys, W_uv (K = kv_lora) and o_proj (K = H v).
     */
    public static Tolerance mla(ModelConfig c, PrecisionMode mode, Tier tier, long maxPosition, int maxKeys) {
        ErrorBudget b = mlaBudget(c, mode, tier, maxPosition, maxKeys);
        return b.tolerance();
    }

    static ErrorBudget mlaBudget(ModelConfig c, PrecisionMode mode, Tier tier, long maxPosition, int maxKeys) {
        double rope = angleError(maxPosition, c.ropeFrequencies()[0]) + 4 * U_FP32;
        ErrorBudget q = ErrorBudget.of(mode, tier)
                .linear("q_a_proj", c.hiddenSize(), true)
                .elementwise("q_a_layernorm", gamma(c.qLoraRank(), U_FP32) / 2 + 4 * U_FP32, rmsNormVar(c.qLoraRank(), false))
                .linear("q_b_proj", c.qLoraRank(), true)
                .elementwise("q rope", rope, ropeVar(maxPosition, c.ropeFrequencies()));
        ErrorBudget k = mlaCacheBudget(c, mode, tier, maxPosition);
        return ErrorBudget.of(mode, tier)
                .merge("query", q).merge("key", k)
                .linear("absorb W_uk", c.qkNopeHeadDim(), false)
                .reduction("logits", c.kvLoraRank() + c.qkRopeHeadDim())
                .amplify("softmax", Math.sqrt(2) * MLA_LOGIT_RMS)
                .positiveSum("sum over keys", Math.max(1, maxKeys))
                .linear("W_uv", c.kvLoraRank(), false)
                .linear("o_proj", c.numAttentionHeads() * c.vHeadDim(), true);
    }

    /**
     * One cached MLA entry (c_kv | k_pe) — the key path of {@link #mla} alone: kv_a (K = D), kv_a_layernorm, the kv
     * latent's FP8 round trip, RoPE of k_pe. Much tighter than the attention output's tolerance, so that a cache
     * written without the FP8 round trip cannot hide inside the output's budget.
     */
    public static Tolerance mlaCache(ModelConfig c, PrecisionMode mode, Tier tier, long maxPosition) {
        ErrorBudget b = mlaCacheBudget(c, mode, tier, maxPosition);
        return b.tolerance();
    }

    static ErrorBudget mlaCacheBudget(ModelConfig c, PrecisionMode mode, Tier tier, long maxPosition) {
        double rope = angleError(maxPosition, c.ropeFrequencies()[0]) + 4 * U_FP32;
        return ErrorBudget.of(mode, tier)
                .linear("kv_a_proj", c.hiddenSize(), true)
                .elementwise("kv_a_layernorm", gamma(c.kvLoraRank(), U_FP32) / 2 + 4 * U_FP32, rmsNormVar(c.kvLoraRank(), false))
                .roundingPoint("kv latent fp8 round trip")
                .elementwise("k rope", rope, ropeVar(maxPosition, c.ropeFrequencies()));
    }

    /**
     * The router: logits W_g x (K = D, fp32 in both modes, so LOOSE equals TIGHT), sigmoid (|δs|/s <= |δl| <=
     * ε_l {@link #GATE_MAX_LOGIT}), selection scores s + bias, weights s_i / Σ s * factor (two relative errors
     * of s and a few u). calc_diff gates the sigmoid scores, the element-wise bound the routing weights, and the
     * score tolerance (absolute, selection scores are O(1)) the expert and group choices.
     */
    public static Tolerance moeGate(ModelConfig c) {
        double logit = dotWorst(c.hiddenSize(), U_FP32) * kappa(c.hiddenSize());
        double s = logit * GATE_MAX_LOGIT + 4 * U_FP32;
        double w = moeGateWeightsRigorous(c);
        double varS = moeGateScoreVar(c), varW = moeGateWeightsVar(c);
        double cd = Math.min(Predictive.calcDiff(varS), calcDiffOf(s));
        double me = Math.min(Predictive.maxErr(varW), w);
        double sr = Math.min(Predictive.scoreRel(varS), s);
        return new Tolerance(cd, me, sr,
                fmt("logit gamma_D sqrt(D), D=%d: %.3g; sigmoid x%.3g: %.3g; weights 2 eps_s + gamma_k: %.3g",
                        c.hiddenSize(), logit, GATE_MAX_LOGIT, s, w)
                        + fmt("; predictive: score RMS %.3g, weights RMS %.3g => calc_diff %.3g, weights %.3g, score tol %.3g",
                        Math.sqrt(varS), Math.sqrt(varW), cd, me, sr),
                new Tolerance.Rigorous(calcDiffOf(s), w, s));
    }

    /** The router's routing weights, rigorous: 2 eps_s + gamma_k + 2u (the scores' bound twice: s_i and the sum). */
    static double moeGateWeightsRigorous(ModelConfig c) {
        double s = dotWorst(c.hiddenSize(), U_FP32) * kappa(c.hiddenSize()) * GATE_MAX_LOGIT + 4 * U_FP32;
        return 2 * s + gamma(c.numExpertsPerTok(), U_FP32) + 2 * U_FP32;
    }

    /** The affinities' predicted relative mean square: the logit's dot product times the sigmoid's gain GATE_MAX_LOGIT², 4 roundings. */
    static double moeGateScoreVar(ModelConfig c) {
        return Predictive.dotVar(c.hiddenSize()) * GATE_MAX_LOGIT * GATE_MAX_LOGIT + Predictive.fp32Var(4);
    }

    /** The routing weights' predicted mean square: s_i and the sum's (at most s's each, independent), k + 2 roundings. */
    static double moeGateWeightsVar(ModelConfig c) { return 2 * moeGateScoreVar(c) + Predictive.fp32Var(c.numExpertsPerTok() + 2); }

    /** The MoE output given the same routing (replayed): an expert MLP, the routing weights, the sum over top-k + shared. */
    public static Tolerance moe(ModelConfig c, PrecisionMode mode, Tier tier) {
        ErrorBudget b = mlpBudget(c.hiddenSize(), c.moeIntermediateSize(), mode, tier)
                .elementwise("routing weights", moeGateWeightsRigorous(c), moeGateWeightsVar(c))
                .reduction("sum over experts", c.numExpertsPerTok() + c.nSharedExperts());
        return b.tolerance();
    }

    /**
     * A decoder block h = x + Attn(RMSNorm(x)); out = h + FFN(RMSNorm(h)), its decisions NOT replayed (the contract
     * exposes none), so TIGHT only: the two norms, the attention and the FFN budgets add (the residual adds are
     * one rounding each).
     */
    public static Tolerance block(ModelConfig c, PrecisionMode mode, Tier tier, long maxPosition, int maxKeys, boolean moe) {
        ErrorBudget b = blockBudget(c, mode, tier, maxPosition, maxKeys, moe);
        return b.tolerance();
    }

    static ErrorBudget blockBudget(ModelConfig c, PrecisionMode mode, Tier tier, long maxPosition, int maxKeys, boolean moe) {
        ErrorBudget ffn = moe
                ? mlpBudget(c.hiddenSize(), c.moeIntermediateSize(), mode, tier).elementwise("routing weights", moeGateWeightsRigorous(c), moeGateWeightsVar(c))
                        .reduction("sum over experts", c.numExpertsPerTok() + c.nSharedExperts())
                : mlpBudget(c.hiddenSize(), c.intermediateSize(), mode, tier);
        return ErrorBudget.of(mode, tier)
                .elementwise("input_layernorm", gamma(c.hiddenSize(), U_FP32) / 2 + 4 * U_FP32, rmsNormVar(c.hiddenSize(), false))
                .merge("attention", mlaBudget(c, mode, tier, maxPosition, maxKeys))
                .elementwise("residual add + post_attention_layernorm", gamma(c.hiddenSize(), U_FP32) / 2 + 5 * U_FP32, rmsNormVar(c.hiddenSize(), true))
                .merge(moe ? "moe" : "mlp", ffn)
                .elementwise("residual add", U_FP32);
    }

    /**
     * The whole model's logits: every block (the MoE budget for layers from first_k_dense_replace on), the final
     * norm and the fp32 LM head (K = D). TIGHT only, like the block.
     */
    public static Tolerance model(ModelConfig c, PrecisionMode mode, Tier tier, long maxPosition, int maxKeys) {
        ErrorBudget b = modelBudget(c, mode, tier, maxPosition, maxKeys);
        return b.tolerance();
    }

    static ErrorBudget modelBudget(ModelConfig c, PrecisionMode mode, Tier tier, long maxPosition, int maxKeys) {
        ErrorBudget b = ErrorBudget.of(mode, tier);
        for (int i = 0; i < c.numHiddenLayers(); i++) b.merge("layer " + i, blockBudget(c, mode, tier, maxPosition, maxKeys, c.isMoeLayer(i)));
        return b.elementwise("final norm", gamma(c.hiddenSize(), U_FP32) / 2 + 4 * U_FP32, rmsNormVar(c.hiddenSize(), false)).linear("lm_head", c.hiddenSize(), false);
    }

    /** The MTP module: enorm and hnorm, eh_proj (K = 2D, bf16), one MoE block, shared_head.norm and the head (K = D). */
    public static Tolerance mtp(ModelConfig c, PrecisionMode mode, Tier tier, long maxPosition, int maxKeys) {
        ErrorBudget b = mtpBudget(c, mode, tier, maxPosition, maxKeys);
        return b.tolerance();
    }

    static ErrorBudget mtpBudget(ModelConfig c, PrecisionMode mode, Tier tier, long maxPosition, int maxKeys) {
        return ErrorBudget.of(mode, tier)
                .elementwise("enorm / hnorm", gamma(c.hiddenSize(), U_FP32) / 2 + 4 * U_FP32, rmsNormVar(c.hiddenSize(), false))
                .linear("eh_proj", 2 * c.hiddenSize(), false)
                .merge("block", blockBudget(c, mode, tier, maxPosition, maxKeys, c.isMoeLayer(c.numHiddenLayers())))
                .elementwise("shared_head.norm", gamma(c.hiddenSize(), U_FP32) / 2 + 4 * U_FP32, rmsNormVar(c.hiddenSize(), false))
                .linear("head", c.hiddenSize(), false);
    }

    /**
     * One loss of the MTP objective (spec/TOLERANCES.md, "mtp_loss" in §6 and §10.6): the main loss, an L^k, or L_MTP.
     * The logits of module k carry the main model's error and that of k modules, since each reads the previous one's
     * hidden state: a norm-wise relative ε (the model's budget plus {@code modules} MTP budgets).
     *
     * <p>Rigorous: a log-probability moves by at most 2·max_j |δ_j| under a logits error δ (its gradient e_t − p has
     * 1-norm at most 2), and max_j |δ_j| ≤ ε·‖z‖₂, so by 2ε·maxLogitNorm. The float32 log-softmax adds, with R the
     * largest logit range (max − min of a row) and V the vocabulary: the shifted exponent's argument u·R and the
     * exponential u (relative, per term, so to the sum), the positive sum of V terms γ_V, the logarithm and the final
     * difference u·(R + ln V), an NLL being at most R + ln V; the mean over {@code rows} terms adds γ_rows times that.
     * A loss scaled by {@code weight} (λ/D·D = λ for L_MTP, 1 otherwise) scales the bound, and the combination adds
     * (D + 2)·u relative to the result.
     *
     * <p>Predictive (the gate, capped by the rigorous bound): {@link #mtpLossRms} times {@link Predictive#elementFactor},
     * the per-element gate of every compared loss (each is one number, or a few per-position NLLs, so no calc_diff
     * concentrates: the calc_diff gate is the per-element one squared over 2, as for the normalisers). A chain with
     * E4M3 code flips (fp8 TIGHT, {@link ErrorBudget#flips}) keeps the rigorous gate, as the score tolerances do: a
     * flip is a heavy-tailed error of every logit of its row. The bound is absolute; it is returned relative to |loss|.
     */
    public static Tolerance mtpLoss(ModelConfig c, PrecisionMode mode, Tier tier, long maxPosition, int maxKeys, int modules, int rows,
                                    double maxLogitNorm, double maxLogitRange, double weight, double loss) {
        ErrorBudget b = mtpLossLogits(c, mode, tier, maxPosition, maxKeys, modules);
        double logits = 2 * b.eps() * maxLogitNorm;
        double nllMax = maxLogitRange + Math.log(c.vocabSize());
        double softmax = U_FP32 * (maxLogitRange + 1) + gamma(c.vocabSize(), U_FP32) + U_FP32 * nllMax;
        double mean = gamma(rows, U_FP32) * nllMax;
        double abs = weight * (logits + softmax + mean) + (c.numNextnPredictLayers() + 2) * U_FP32 * Math.abs(loss);
        double scale = Math.max(Math.abs(loss), Double.MIN_NORMAL);
        double rel = abs / scale;
        double rms = mtpLossRms(c.vocabSize(), c.numNextnPredictLayers(), b.predictedVar(), rows, maxLogitNorm, maxLogitRange, weight, loss);
        double predicted = Predictive.elementFactor() * rms / scale, gate = Math.min(predicted, rel);
        String derivation = fmt("logits 2 eps max|z|_2 = 2 x %.3g x %.3g; log-softmax u(R+1) + gamma_V + u(R + ln V), R=%.3g; "
                + "mean gamma_%d (R + ln V); weight %.3g => |dL| <= %.3g, relative to |L|=%.3g: %.3g; predictive: logits RMS %.3g (relative), "
                + "loss error RMS %.3g => element-wise %.3g (x%.3g: union over 2^31 elements at p=%.0e, safety %.0f)",
                b.eps(), maxLogitNorm, maxLogitRange, rows, weight, abs, Math.abs(loss), rel, Math.sqrt(b.predictedVar()), rms, predicted,
                Predictive.elementFactor(), Predictive.P_CHECK, Predictive.SAFETY);
        if (b.flips()) {
            // one E4M3 code flip upstream moves every logit of its row at once: a heavy tail the Gaussian union bound
            // does not cover (measured: 20 predicted RMS in 1 of 120 small-dims seeds), so the rigorous bound gates
            return new Tolerance(calcDiffOf(rel), rel, Double.NaN, derivation + "; E4M3 code flips in the chain: the rigorous bound gates");
        }
        return new Tolerance(calcDiffOf(gate), gate, Double.NaN, derivation, new Tolerance.Rigorous(calcDiffOf(rel), rel, Double.NaN));
    }

    /** The predicted relative mean square of module {@code modules}'s logits (0: the main model's), for {@link #mtpLossRms}. */
    public static double mtpLossLogitsVar(ModelConfig c, PrecisionMode mode, Tier tier, long maxPosition, int maxKeys, int modules) {
        return mtpLossLogits(c, mode, tier, maxPosition, maxKeys, modules).predictedVar();
    }

    /** The budget of module {@code modules}'s logits (0: the main model's): the model's and {@code modules} MTP budgets. */
    private static ErrorBudget mtpLossLogits(ModelConfig c, PrecisionMode mode, Tier tier, long maxPosition, int maxKeys, int modules) {
        ErrorBudget b = modelBudget(c, mode, tier, maxPosition, maxKeys);
        for (int k = 1; k <= modules; k++) b.merge("module " + k, mtpBudget(c, mode, tier, maxPosition, maxKeys));
        return b;
    }

    /**
     * The predicted RMS of one MTP loss's absolute error (spec/TOLERANCES.md §10.6), from the predicted relative mean
     * square {@code logitsVar} of its logits (rows of V logits, the largest row norm {@code maxLogitNorm} and range
     * R = {@code maxLogitRange}), the mean over {@code rows} NLLs, a {@code weight} (λ for L_MTP, 1 otherwise) and the
     * loss's value. Per NLL ℓ = log Σ_j e^(z_j − max) − (z_t − max):
     * <ul>
     *   <li>logits: dℓ = −(e_t − p)·δ, and with the V logit errors independent of mean square logitsVar·‖z‖²/V each,
     *       E[dℓ²] = ‖e_t − p‖² logitsVar ‖z‖²/V ≤ 2 logitsVar ‖z‖²/V;</li>
     *   <li>the float32 log-softmax: per term the shifted argument (|z_j − max| ≤ R) and the exponential, weighted by
     *       p_j in log Σ (Σ p_j² ≤ 1): (u²/3)(R² + 1); the positive sum of V terms {@link Predictive#positiveSumVar};
     *       the logarithm (≤ ln V), the target's shift (≤ R) and the final difference (≤ R + ln V): u²/3 each times
     *       the value squared;</li>
     *   <li>the mean: its rows' errors may be correlated (they share the weights), so its mean square is at most the
     *       largest NLL's (Cauchy–Schwarz, no independence assumed), plus the fp32 positive sum of the rows and the
     *       division, relative to the mean;</li>
     *   <li>L_MTP = (λ/D) Σ_k L^k: again at most λ times the deepest module's RMS (Cauchy–Schwarz), plus D + 2
     *       roundings relative to L_MTP.</li>
     * </ul>
     */
    public static double mtpLossRms(int vocab, int depth, double logitsVar, int rows, double maxLogitNorm, double maxLogitRange,
                                    double weight, double loss) {
        double lnV = Math.log(vocab), r = maxLogitRange, u2 = Predictive.fp32Var(1);
        double nll = 2 * logitsVar * maxLogitNorm * maxLogitNorm / vocab
                + u2 * ((r * r + 1) + lnV * lnV + r * r + (r + lnV) * (r + lnV))
                + Predictive.positiveSumVar(vocab);
        double meanLoss = weight == 0 ? 0 : loss / weight;
        double mean = nll + meanLoss * meanLoss * (Predictive.positiveSumVar(Math.max(rows, 1)) + u2);
        return Math.sqrt(weight * weight * mean + (depth + 2) * u2 * loss * loss);
    }

    // ---------------------------------------------------------------- the table of spec/TOLERANCES.md

    /** One row of the tolerance table. */
    public record Row(String operation, String reduction, String mode, Tier tier, Tolerance tolerance) {}

    /** The modes of {@link #table}: bf16 has its own statistical tier ({@link Bf16Tolerance}, TOLERANCES.md §5b). */
    private static final PrecisionMode[] TABLE_MODES = {PrecisionMode.EXACT, PrecisionMode.FP8};

    /** The tolerance of every operation for configuration {@code c} (e.g. the real 671B model). */
    public static List<Row> table(ModelConfig c) {
        List<Row> rows = new ArrayList<>();
        long maxPos = c.maxPositionEmbeddings();
        int keys = c.indexTopk();
        for (Tier t : Tier.values()) {
            rows.add(new Row("act_quant", "tile 128", t == Tier.LOOSE ? "fp8 vs x" : "any", t, actQuant(t, c.activationScaleFormat())));
        }
        for (PrecisionMode m : TABLE_MODES) rows.add(new Row("linear", "K=" + c.hiddenSize(), m.label(), Tier.TIGHT, linear(c.hiddenSize(), true, m, Tier.TIGHT)));
        rows.add(new Row("linear", "K=" + c.hiddenSize(), "fp8 vs exact", Tier.LOOSE, linear(c.hiddenSize(), true, PrecisionMode.FP8, Tier.LOOSE)));
        addModes(rows, "fp8_backward (dgrad, 1x128 dY, 128x128 W)", "N=" + c.hiddenSize(), (m, t) -> fp8Dgrad(c.hiddenSize(), true, m, t));
        addModes(rows, "fp8_backward (wgrad, 128x1 dY and X)", "M=4096 tokens", (m, t) -> fp8Wgrad(4096, m, t));
        rows.add(new Row("rms_norm", "D=" + c.hiddenSize(), "any", Tier.TIGHT, rmsNorm(c.hiddenSize(), false)));
        rows.add(new Row("rms_norm (fused residual)", "D=" + c.hiddenSize(), "any", Tier.TIGHT, rmsNorm(c.hiddenSize(), true)));
        rows.add(new Row("layer_norm", "D=" + c.indexHeadDim() + ", c=4", "any", Tier.TIGHT, layerNorm(c.indexHeadDim(), 4)));
        rows.add(new Row("rope", "P=" + maxPos, "any", Tier.TIGHT, rope(maxPos, c.ropeFrequencies()[0])));
        rows.add(new Row("hadamard", "n=" + c.indexHeadDim(), "any", Tier.TIGHT, hadamard(c.indexHeadDim())));
        addModes(rows, "indexer (scores; score tol)", "D=" + c.hiddenSize() + ", H=" + c.indexNHeads(), (m, t) -> indexer(c, m, t, maxPos));
        addModes(rows, "mla_attention", "keys<=" + keys, (m, t) -> mla(c, m, t, maxPos, keys));
        rows.add(new Row("moe_gate (scores; weights; score tol)", "D=" + c.hiddenSize(), "any", Tier.TIGHT, moeGate(c)));
        addModes(rows, "moe", "I=" + c.moeIntermediateSize(), (m, t) -> moe(c, m, t));
        rows.add(new Row("expert_bias_update", "N_r=" + c.nRoutedExperts() + ", b up to 0.1, gamma 1e-3", "any", Tier.TIGHT, expertBiasUpdate(0.1, 1e-3, 0.1)));
        rows.add(new Row("balance_loss (L, f, P)", "N_r=" + c.nRoutedExperts() + ", T=4096, B=16", "any", Tier.TIGHT, balanceLoss(c.nRoutedExperts(), 4096, 16)));
        rows.add(new Row("balance_loss (gradient; per s' max g)", "N_r=" + c.nRoutedExperts(), "any", Tier.TIGHT, balanceLossGradient(c.nRoutedExperts())));
        rows.add(new Row("indexer_loss (scores; per M)", "d=" + c.indexHeadDim() + ", H=" + c.indexNHeads(), "any", Tier.TIGHT,
                indexerLossScores(c.indexHeadDim(), c.indexNHeads())));
        rows.add(new Row("indexer_loss (L, KL_t, p; per U_t)", "S=4096, H_a=" + c.numAttentionHeads() + ", T=4096", "any", Tier.TIGHT,
                indexerLoss(c.indexHeadDim(), c.indexNHeads(), c.numAttentionHeads(), 4096, 4096)));
        rows.add(new Row("indexer_loss (gradients; per G unit)", "S=4096, T=4096", "any", Tier.TIGHT,
                indexerLossGradient(c.indexHeadDim(), c.indexNHeads(), c.numAttentionHeads(), 4096, 4096)));
        addModes(rows, "mlp", "I=" + c.intermediateSize(), (m, t) -> mlp(c.hiddenSize(), c.intermediateSize(), m, t));
        for (PrecisionMode m : TABLE_MODES) {
            rows.add(new Row("block (MoE layer)", "D=" + c.hiddenSize(), m.label(), Tier.TIGHT, block(c, m, Tier.TIGHT, maxPos, keys, true)));
        }
        for (PrecisionMode m : TABLE_MODES) {
            rows.add(new Row("model (logits)", c.numHiddenLayers() + " layers", m.label(), Tier.TIGHT, model(c, m, Tier.TIGHT, maxPos, keys)));
        }
        for (PrecisionMode m : TABLE_MODES) {
            rows.add(new Row("mtp (logits)", "D=" + c.hiddenSize(), m.label(), Tier.TIGHT, mtp(c, m, Tier.TIGHT, maxPos, keys)));
        }
        for (PrecisionMode m : TABLE_MODES) {
            // a 4k-token sequence whose logits rows have norm 100 and range 30, the loss near ln V (an untrained model)
            double ln = Math.log(c.vocabSize());
            rows.add(new Row("mtp_loss (L^1)", "T=4096, norm(z)=100, R=30", m.label(), Tier.TIGHT,
                    mtpLoss(c, m, Tier.TIGHT, 4096, keys, 1, 4094, 100, 30, 1, ln)));
        }
        return rows;
    }

    private interface ModeTier { Tolerance of(PrecisionMode m, Tier t); }

    private static void addModes(List<Row> rows, String op, String red, ModeTier f) {
        for (PrecisionMode m : TABLE_MODES) rows.add(new Row(op, red, m.label(), Tier.TIGHT, f.of(m, Tier.TIGHT)));
        rows.add(new Row(op, red, "fp8 vs exact", Tier.LOOSE, f.of(PrecisionMode.FP8, Tier.LOOSE)));
    }

    /**
     * The table as Markdown (pasted into spec/TOLERANCES.md, which a test keeps in step): each gate, and beside it the
     * rigorous worst-case bound ("=" where the gate is the rigorous bound itself).
     */
    public static String markdownTable(ModelConfig c) {
        StringBuilder sb = new StringBuilder();
        sb.append("| operation | reduction | mode | tier | calc_diff gate | rigorous | max err gate (∞-norm rel.) | = fp32 ulps | rigorous | score tol. gate (rel.) | rigorous |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : table(c)) {
            Tolerance t = r.tolerance();
            Tolerance.Rigorous g = t.rigorous();
            sb.append("| ").append(r.operation()).append(" | ").append(r.reduction()).append(" | ").append(r.mode())
                    .append(" | ").append(r.tier().label()).append(" | ").append(sci(t.calcDiff()))
                    .append(" | ").append(g == null ? "=" : sci(g.calcDiff()))
                    .append(" | ").append(t.gatesMaxErr() ? sci(t.maxErrInf()) : "—")
                    .append(" | ").append(t.gatesMaxErr() ? sci(t.maxErrInf() / U_FP32) : "—")
                    .append(" | ").append(!t.gatesMaxErr() ? "—" : g == null ? "=" : sci(g.maxErrInf()))
                    .append(" | ").append(t.hasDecisions() ? sci(t.scoreRel()) : "—")
                    .append(" | ").append(!t.hasDecisions() ? "—" : g == null ? "=" : sci(g.scoreRel())).append(" |\n");
        }
        return sb.toString();
    }

    static String sci(double v) {
        if (v == 0) return "0";
        if (Double.isInfinite(v)) return "inf";
        return String.format(Locale.ROOT, "%.2e", v);
    }

    private static String fmt(String f, Object... args) { return String.format(Locale.ROOT, f, args); }
}
