package org.dsv32.spec.tolerance;

import java.util.List;
import org.dsv32.spec.backend.PrecisionMode;

/**
 * The bounds of one implementation against another on the same inputs, element by element or row by row, as the
 * backends' own tests and the benchmark's sanity checks use them: a kernel against its float64 counterpart, the
 * reference against a test's float64 oracle. Built from the unit roundoffs and γ_n of {@link Tolerances} (one
 * tolerance model for the harness and the unit tests); where a bound is a design margin rather than a derivation, the
 * margin and its reason are stated here, once.
 */
public final class KernelTolerances {
    private KernelTolerances() {}

    // ---------------------------------------------------------------- roundings along a path

    /**
     * The relative error of {@code roundings} float64 roundings along one path, γ_n(2^-53); a K-long sum counts K,
     * a library function (exp, sin, cos, pow: within one ulp) two. Relative to whatever the path's roundings are
     * relative to: the value itself for element-wise steps, Σ|terms| for a sum.
     */
    public static double float64(long roundings) { return Tolerances.gamma(roundings, Tolerances.U_FP64); }

    /** {@link #float64} in fp32: γ_n(2^-24). */
    public static double fp32(long roundings) { return Tolerances.gamma(roundings, Tolerances.U_FP32); }

    /** Two evaluations of the same n-term float64 sum in different orders, relative to Σ|terms|: each within γ_n. */
    public static double float64Reordered(long n) { return 2 * float64(n); }

    /** Two evaluations of the same n-term fp32 sum in different orders, relative to Σ|terms|: each within γ_n. */
    public static double fp32Reordered(long n) { return 2 * fp32(n); }

    /**
     * A float64 chain of random-sign reductions of lengths {@code k} (a linear layer, a dot product, a head sum), each
     * with a few element-wise roundings around it, against another float64 evaluation of the same formula in another
     * order, relative to the output's largest |value|: per reduction 2 γ_K sqrt(K) (two evaluations, condition
     * sqrt(K) as in {@link Tolerances#kappa}) plus 2 γ_4, added along the chain (first order).
     */
    public static double float64Chain(int... k) {
        double e = 0;
        for (int n : k) e += float64Reordered(n) * Tolerances.kappa(n) + float64Reordered(4);
        return e;
    }

    /**
     * The float64 evaluation error of {@code Metrics.calcDiff} over n pairs: 1 - 2 Σxy / Σ(x² + y²) cancels, so its
     * own roundings (sums of n and 2n terms, the quotient) leave an absolute error up to γ_{3n+2}(2^-53). A calc_diff
     * bound below this floor cannot be met even by equal computations in another order.
     */
    public static double calcDiffEvaluation(long n) { return float64(3 * n + 2); }

    // ---------------------------------------------------------------- the FP8 GEMM against its float64 product

    /**
     * A float32 FP8 GEMM with per-block promotion, relative to T = Σ_k |a_k w_k sa sw| of the output element: per
     * k-block a chain of blockCols FMAs (at most blockCols u of the block's T), the scale product sa sw (u), and the
     * B = ceil(K / blockCols) promotions into the running sum (u each): (blockCols + B + 3) u.
     */
    public static double fp8GemmBlocked(int k, int blockCols) {
        int blocks = (k + blockCols - 1) / blockCols;
        return (blockCols + blocks + 3) * Tolerances.U_FP32;
    }

    /**
     * {@link #fp8GemmBlocked(int, int)} with each block summed in {@code acc} (rigorous, relative to T): blockCols
     * additions of at most acc's unit roundoff each, then the scale product and B promotions in fp32 (u each).
     * {@link Accumulator#FP32} gives (blockCols + B + 1) u.
     */
    public static double fp8GemmBlocked(int k, int blockCols, Accumulator acc) {
        int blocks = (k + blockCols - 1) / blockCols;
        return Math.min(k, blockCols) * acc.unitRoundoff() + (blocks + 1) * Tolerances.U_FP32;
    }

    /**
     * The predictive bound of the same GEMM per element, relative to T = Σ_k |a_k w_k sa sw| (spec/TOLERANCES.md §10):
     * the block sums' errors (n = min(K, blockCols) additions in {@code acc}, mean square var_acc (n + 1)/2 times the
     * block's), the scale products and the promotions (fp32), all relative to E[t²] per product; turned relative to
     * T = K E|t| with the assumption E[t²] ≤ (π/2)² E[|t|]² (products of independent Gaussians: E[(xy)²] = 1,
     * E|xy| = 2/π; uniform operands give 16/9), then the per-element gate {@link Predictive#maxErr}.
     */
    public static double fp8GemmPredicted(int k, int blockCols, Accumulator acc) {
        int n = Math.min(k, blockCols);
        long blocks = (k + blockCols - 1) / blockCols;
        double u2 = Predictive.fp32Var(1);
        double perTerm = acc.variance() * (n + 1) / 2.0 * n * blocks + u2 * n * blocks * ((blocks + 1) / 2.0 + 1);
        double var = TERM_RATIO * perTerm / ((double) k * k);
        return Predictive.maxErr(var);
    }

    /** E[t²] / E[|t|]² of a product of two independent Gaussians, (π/2)²: the data assumption of {@link #fp8GemmPredicted}. */
    public static final double TERM_RATIO = Math.PI * Math.PI / 4;

    /**
     * The tensor-core tier (the cuda backend's FP8 GEMM, DeepGEMM): relative to T, the predictive bound of a
     * {@link Accumulator#TENSOR_CORE_FP8} block accumulator capped by its rigorous one. At K = 384 about 2^-10.4, at
     * K = 7168 2^-12.5: inside {@link #TENSOR_CORE_SUM}, the ceiling measured on Hopper before the tier was derived.
     */
    public static double tensorCore(int k, int blockCols) {
        return Math.min(fp8GemmPredicted(k, blockCols, Accumulator.TENSOR_CORE_FP8), fp8GemmBlocked(k, blockCols, Accumulator.TENSOR_CORE_FP8));
    }

    /** Any summation order of K products of exact fp32 inputs (dequantised values with power-of-two scales): (K + 2) u of T. */
    public static double fp32AnyOrder(int k) { return (k + 2) * Tolerances.U_FP32; }

    /**
     * A GPU's FP8 GEMM, relative to T, as measured on Hopper: the tensor core sums a block's products keeping fewer
     * bits than fp32 (the products are aligned to the largest before the sum), so the error is about 2^-9 T at most
     * rather than a multiple of u. The derived tier is {@link #tensorCore}, which {@link #gemm} gives for cuda; this
     * constant remains the ceiling of tests that compare two tensor-core kernels with each other.
     */
    public static final double TENSOR_CORE_SUM = 0x1p-9;

    /** The variants {@link #gemm} knows. */
    public static final List<String> GEMM_VARIANTS = List.of("simd", "ejml", "cuda");

    /**
     * The GEMM bound of a variant by name (simd, ejml, or the cuda backend). Any other name is an error: a new
     * backend must state its bound here rather than inherit a GPU's.
     */
    public static double gemm(String variant, int k, int blockCols) {
        return switch (variant) {
            case "simd" -> fp8GemmBlocked(k, blockCols);
            case "ejml" -> fp32AnyOrder(k);
            case "cuda" -> tensorCore(k, blockCols);
            default -> throw new IllegalArgumentException("no FP8 GEMM tolerance for '" + variant + "' (known: " + GEMM_VARIANTS
                    + "); state the new backend's bound in KernelTolerances.gemm");
        };
    }

    // ---------------------------------------------------------------- fp32 layers against the float64 reference

    /**
     * Indexer scores in fp32 against the float64 reference, exact mode, relative to the largest |score| of the
     * query's row: about ten roundings per value on the way (the 256-long projections, LayerNorm, RoPE, the Hadamard
     * stages, the 128-long dot, the head sum), each at most u relative to absolute sums that for Gaussian-like
     * activations lie within a factor 16 of the results: 160 u.
     */
    public static double scoreRowExact() { return fp32(10 * 16); }

    /**
     * MLA and MoE outputs in fp32 against the float64 reference (decisions replayed), exact mode, relative to the
     * row's largest |value|: the output chains two such paths (query and cached key/value; gate/up and down), so
     * twice {@link #scoreRowExact}.
     */
    public static double outputRowExact() { return 2 * scoreRowExact(); }

    /**
     * fp8 mode, element-wise relative to the row's scale, a design margin: a value whose fp32 and float64 versions
     * straddle an e4m3 rounding midpoint takes the neighbouring code (one step, 1/8 to 1/16 of it), which moves a
     * 128-long dot product by about (1/12) / sqrt(128) = 0.7% of its scale. 2e-2 admits two or three such flips in a
     * row; a formula error (a missing ReLU, scale, head factor, rotation layout) moves values by tens of percent.
     */
    public static final double FP8_FLIP_ROW = 2e-2;

    /**
     * fp8 mode, the calc_diff of a row, a design margin: flips are rare, so the norm-wise error of a row stays near
     * a few 1e-3 (calc_diff near 1e-6); 1e-5 admits several flips per row and refuses an O(1) error.
     */
    public static final double FP8_FLIP_ROW_CALC_DIFF = 1e-5;

    /**
     * Exact mode, the calc_diff of an fp32 output row (or logits vector) against float64: a norm-wise relative error
     * of {@link #outputRowExact} would give calc_diff 1.8e-10; 1e-9 leaves a factor 5 for the few rows whose largest
     * element is small against their norm.
     */
    public static final double EXACT_ROW_CALC_DIFF = 1e-9;

    /** The row calc_diff bound of a precision mode: {@link #FP8_FLIP_ROW_CALC_DIFF} or {@link #EXACT_ROW_CALC_DIFF}. */
    public static double rowCalcDiff(PrecisionMode mode) { return mode.hasFp8RoundingPoints() ? FP8_FLIP_ROW_CALC_DIFF : EXACT_ROW_CALC_DIFF; }

    /** The element-wise row bound of indexer scores: {@link #FP8_FLIP_ROW} or {@link #scoreRowExact}. */
    public static double scoreRow(PrecisionMode mode) { return mode.hasFp8RoundingPoints() ? FP8_FLIP_ROW : scoreRowExact(); }

    /** The element-wise row bound of MLA and MoE outputs: {@link #FP8_FLIP_ROW} or {@link #outputRowExact}. */
    public static double outputRow(PrecisionMode mode) { return mode.hasFp8RoundingPoints() ? FP8_FLIP_ROW : outputRowExact(); }

    /**
     * The benchmark's layer check (MLA decode, indexer scores, MoE at the real dimensions, fp8 mode, decisions
     * replayed): a norm-wise relative error ||y - y64|| / ||y64|| of at most 2^-6. fp32 accumulation alone leaves
     * about K u (K up to 16384: 2^-10 at worst, far less in the norm), but every FP8 linear re-quantises its input,
     * and an activation whose fp32 value lands across an e4m3 midpoint from its float64 value moves by one e4m3
     * step: {@link Tolerances#flip} of a 2^-10 upstream error is 2^-6.5. A formula error moves the output by O(1);
     * 2^-6 separates the two. A typical-error sanity bound, tighter than the worst-case budgets of
     * {@link Tolerances} at the real dimensions; correctness is judged by the conformance harness.
     */
    public static final double BENCH_LAYER_NORMWISE = 0x1p-6;
}
