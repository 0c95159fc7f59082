package org.dsv32.spec.tolerance;

import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.format.BF16;

/**
 * The statistical gate of bf16 precision mode (spec/TOLERANCES.md §5b), a widening of the fp8-mode TIGHT tolerance
 * of the same operation. Kept apart from {@link Tolerances} and {@link ErrorBudget}: it only takes their fp8 bound.
 *
 * <p>Model: candidate and reference run the same bf16 rounding points (spec/SEMANTICS.md §5c); the candidate's own
 * arithmetic leaves a typical norm-wise relative error ε upstream of each point. A value within ε of a bf16 midpoint
 * flips (probability ε / 2u per element, u = 2^-8), and a flip costs one bf16 step 2u, so the expected squared
 * error grows by 2u ε per point; once ε reaches u the two sides round independently and the growth saturates at
 * the variance of the difference of two roundings, 2u²/3. Points add in quadrature (independent flips):
 * <pre>
 *   ε_0 = r · sqrt(K) · 2^-24 (typical fp32)   ε_{i+1}² = ε_i² + min(2u ε_i, 2u²/3)
 *   calcDiff_bf16 = max(calcDiff_fp8, (c · a · ε_r)² / 2, u²/4)
 * </pre>
 * with r the rounding points on the operation's longest path, a the amplification of a softmax downstream of them
 * (sqrt(2) · rms(logits), 1 when there is none) and c = {@link #CONFIDENCE} on ε: the gate of a norm over many
 * elements, each flip an independent event. Element-wise gates: one rounding point adds at most one bf16 step
 * relative to the largest element (|bf(a) − bf(b)| ≤ |a − b| + 2u|b|); behind more than one the error is no longer
 * element-wise bounded and the ∞-norm is not gated. Decisions (top-k scores) get the same norm-wise ε, as in the
 * fp8 tier they are replayed anyway.
 *
 * <p>That model, every point at its worst saturation, is the <em>context</em> bound; the calc_diff gate is predictive
 * in §10's model ({@link #predictedVar}, {@link #of}), capped by it.
 */
public final class Bf16Tolerance {
    private Bf16Tolerance() {}

    /** bf16 unit roundoff u = 2^-8. */
    public static final double U = BF16.UNIT_ROUNDOFF;

    /**
     * Factor on the norm-wise ε. The model is an expectation of the squared error; a calc_diff over many elements
     * with many independent flips concentrates around it, and with few flips (small shapes) it falls far below it,
     * so a modest margin suffices.
     */
    public static final double CONFIDENCE = 1.5;

    /**
     * The floor of the calc_diff gate, u²/4 ≈ 3.8e-6: a few flips' worth in a small case. The model above is an
     * expectation over independent flips; at small shapes the flips are a Poisson count with mean below one, so a
     * case either has none (calc_diff ~0) or one or two, each worth up to (2u)² x_i² / 2 Σx² — about 7e-7 for the
     * largest of 384 Gaussian elements. The floor keeps such a case from failing on a single admissible flip.
     */
    public static final double FEW_FLIPS_CALC_DIFF = U * U / 4;

    /** sqrt(2) · rms of the generated attention logits ({@link Tolerances#MLA_LOGIT_RMS}): a softmax downstream. */
    public static double softmaxAmplification() { return Math.sqrt(2) * Tolerances.MLA_LOGIT_RMS; }

    /** The norm-wise ε after {@code points} bf16 rounding points with upstream error eps0 (model above, c = 1). */
    public static double normwise(double eps0, int points) { return normwise(eps0, points, 0); }

    /**
     * The norm-wise ε after {@code points} bf16 rounding points, then {@code fp8Points} act_quant points that read
     * bf16-rounded values (each the same flip model with the e4m3 unit roundoff u8 = 2^-4: a bf16 flip moves an
     * e4m3 code with probability ε / 2u8). Taking every bf16 point before every e4m3 point is the pessimistic order.
     */
    public static double normwise(double eps0, int points, int fp8Points) {
        if (points < 0 || fp8Points < 0) throw new IllegalArgumentException("rounding points must be >= 0, got " + points + ", " + fp8Points);
        double e2 = eps0 * eps0;
        for (int i = 0; i < points; i++) e2 += Math.min(2 * U * Math.sqrt(e2), 2 * U * U / 3);
        double u8 = Tolerances.U_E4M3;
        for (int i = 0; i < fp8Points; i++) e2 += Math.min(2 * u8 * Math.sqrt(e2), 2 * u8 * u8 / 3);
        return Math.sqrt(e2);
    }

    /** The typical fp32 error of a path of {@code points} reductions of length at most k: points · sqrt(k) · 2^-24. */
    public static double typicalFp32(int k, int points) { return Math.max(1, points) * Math.sqrt(Math.max(1, k)) * Tolerances.U_FP32; }

    /**
     * The per-point mean square of the predictive model (spec/TOLERANCES.md §5b): the difference of two independent
     * bf16 roundings of the same value, uniform on a spacing s each (mean square s²/6), averaged over the mantissa
     * m = |x|/2^e of data spread over binades (log-uniform on [1, 2): s = 2u 2^e, E[1/m²] = 3/(8 ln 2)):
     * (4u²/6) · 3/(8 ln 2) = u²/(4 ln 2) ≈ 0.36 u² — about the u²/3 of one store's own rounding (§10, A1).
     */
    public static final double STORE_VAR = U * U / (4 * Math.log(2));

    /**
     * The predicted relative mean square (§10's {@code var}) of the bf16 stores along an operation's longest path of
     * {@code points} stores, reductions of length at most {@code k}, {@code amplification} a downstream softmax's
     * factor: the candidate's fp32 error upstream of the first store ({@link Predictive#dotVar}) moves a value across
     * a bf16 midpoint with probability |δ|/s and then costs s (§10's flip term with u: 2u sqrt(var) by
     * Cauchy–Schwarz), until the two sides round independently, where a store adds {@link #STORE_VAR}: independent
     * flips add in mean square, so the RMS grows like sqrt(points), not linearly. Every store is taken upstream of the
     * softmax (amplification² on all of them), the pessimistic order.
     */
    public static double predictedVar(int k, int points, double amplification) {
        if (points < 0) throw new IllegalArgumentException("rounding points must be >= 0, got " + points);
        double v = Predictive.dotVar(Math.max(1, k));
        for (int i = 0; i < points; i++) v += Math.min(2 * U * Math.sqrt(v), STORE_VAR);
        return amplification * amplification * v;
    }

    /**
     * {@code fp8} widened for bf16 mode when {@code mode} is BF16 (else {@code fp8} itself): reductions of length at
     * most {@code k}, {@code points} bf16 rounding points on the longest path, {@code fp8Points} act_quant points
     * reading bf16-rounded values, {@code amplification} a downstream softmax's factor (1 without one).
     *
     * <p>Two bounds (spec/TOLERANCES.md §5b). The <em>context</em> bound, reported as {@link Tolerance#rigorous()}, is
     * the worst-saturation flip model of {@link #normwise} (every store and every act_quant after them at full
     * saturation, {@link #CONFIDENCE} on ε). The <em>gate</em> is predictive, in §10's model: the fp8 tier's own
     * calc_diff gate (its arithmetic and E4M3 code flips) plus §10's calc_diff gate
     * ({@link Predictive#calcDiff}: χ² tail at p = 10⁻⁶, safety 2) of the stores' {@link #predictedVar}, never below
     * {@link #FEW_FLIPS_CALC_DIFF} (a single admissible flip in a small case) and never above the context bound.
     * The ∞-norm and the decision scores keep the context model's widening.
     */
    public static Tolerance of(Tolerance fp8, PrecisionMode mode, int k, int points, int fp8Points, double amplification) {
        if (mode != PrecisionMode.BF16) return fp8;
        double eps = CONFIDENCE * amplification * normwise(typicalFp32(k, points), points, fp8Points);
        double context = Math.max(fp8.calcDiff(), Math.max(eps * eps / 2, FEW_FLIPS_CALC_DIFF));
        double var = predictedVar(k, points, amplification);
        double cd = Math.min(context, Math.max(FEW_FLIPS_CALC_DIFF, fp8.calcDiff() + Predictive.calcDiff(var)));
        double inf = points <= 1 && fp8.gatesMaxErr() ? fp8.maxErrInf() + 2 * U : Double.NaN;
        double score = fp8.hasDecisions() ? Math.max(fp8.scoreRel(), eps) : Double.NaN;
        String why = String.format(java.util.Locale.ROOT,
                "bf16 tier (TOLERANCES.md §5b): K=%d, %d bf16 stores%s: predictive calc_diff %.3g (fp8 gate + stores' var %.3g, p=1e-6, safety 2),"
                        + " context bound %.3g (%d act_quant after them, worst saturation) [%s]",
                k, points, amplification != 1 ? String.format(java.util.Locale.ROOT, ", softmax x%.2f", amplification) : "",
                cd, var, context, fp8Points, fp8.derivation());
        return new Tolerance(cd, inf, score, why, new Tolerance.Rigorous(context, inf, score));
    }
}
