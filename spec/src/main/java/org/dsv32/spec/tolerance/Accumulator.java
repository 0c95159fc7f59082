package org.dsv32.spec.tolerance;

/**
 * The precision of the accumulator a GEMM sums a 128-product block in before DeepSeek's promotion to fp32
 * (spec/TOLERANCES.md §3 and §10): a parameter of both the rigorous and the predictive GEMM bounds.
 *
 * <p>An accumulator keeps {@code significandBits} bits (the leading one included; fp32: 24) and either rounds to
 * nearest or truncates (drops the bits below its last place, rounding towards zero). One addition into it errs, relative
 * to the running sum, by at most {@link #unitRoundoff()}: 2^-bits when rounding to nearest, 2^-(bits-1) (a whole unit
 * in the last place) when truncating. Modelled as uniform on that interval (round to nearest: symmetric; truncation:
 * [0, ulp) towards zero, whose sign follows the random sign of the sum), its relative mean square is at most
 * {@link #variance()}: u²/3 for round to nearest, ulp²/3 = 4u²/3 for truncation.
 *
 * @param name            for reports
 * @param significandBits bits kept, the leading one included
 * @param truncating      whether bits below the last place are dropped rather than rounded to nearest
 */
public record Accumulator(String name, int significandBits, boolean truncating) {
    /** IEEE fp32 with round to nearest: what the simd backend and every CPU kernel uses. */
    public static final Accumulator FP32 = new Accumulator("fp32", 24, false);

    /**
     * Hopper's FP8 tensor cores (wgmma / mma.sync with e4m3 operands and an fp32 accumulator): inside a block the
     * products are aligned and summed keeping about 14 significant bits, the bits below dropped — the reason
     * DeepSeek promotes the partial sum to a CUDA-core fp32 accumulator every 128 products. Modelled as a truncating
     * 14-bit accumulator (the DeepSeek-V3 report's "around 14 bits"; truncation and the lower reading of "14 bits"
     * are the pessimistic choices).
     */
    public static final Accumulator TENSOR_CORE_FP8 = new Accumulator("tensor core (14-bit, truncating)", 14, true);

    /**
     * The accumulator the FP8 GEMMs of the budgets made in the current scope assume ({@link ErrorBudget#of}); unbound,
     * {@link #FP32}. A backend built on tensor cores binds {@link #TENSOR_CORE_FP8} around its checks
     * (spec.backend.Backend#fp8GemmAccumulator). Not inherited by threads the scope does not fork.
     */
    public static final ScopedValue<Accumulator> FP8_GEMM = ScopedValue.newInstance();

    /** The accumulator bound to {@link #FP8_GEMM}, or {@link #FP32}. */
    public static Accumulator current() { return FP8_GEMM.orElse(FP32); }

    public Accumulator {
        if (significandBits < 2 || significandBits > 53) throw new IllegalArgumentException("significand bits must be in [2, 53], got " + significandBits);
    }

    /** The largest relative error of one addition: 2^-bits (nearest) or 2^-(bits-1) (truncation). */
    public double unitRoundoff() { return Math.scalb(1.0, truncating ? 1 - significandBits : -significandBits); }

    /** The largest relative mean square of one addition's error under the uniform model: (2^-bits)²/3 or (2^-(bits-1))²/3. */
    public double variance() { double u = unitRoundoff(); return u * u / 3; }

    /**
     * Rounds {@code v} to this accumulator's precision (float64 emulation; exponent range unlimited): to nearest even,
     * or towards zero when truncating. Exact for bits = 53.
     */
    public double round(double v) {
        if (v == 0 || !Double.isFinite(v)) return v;
        int e = Math.getExponent(v);
        double ulp = Math.scalb(1.0, e - (significandBits - 1));
        double q = v / ulp; // exact: a power-of-two division
        double r = truncating ? (q < 0 ? Math.ceil(q) : Math.floor(q)) : Math.rint(q);
        return r * ulp;
    }
}
