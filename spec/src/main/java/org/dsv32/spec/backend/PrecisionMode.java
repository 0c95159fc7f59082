package org.dsv32.spec.backend;

/**
 * Which arithmetic an operation simulates (spec/SEMANTICS.md §5 and §5c).
 *
 * <ul>
 *   <li>{@link #EXACT}: dequantised weights, no activation rounding at all.</li>
 *   <li>{@link #FP8}: every deployment FP8 rounding point in place — act_quant before every FP8 linear,
 *       the FP8 round-trip of the MLA kv latent before caching, FP8 q/k in the indexer with the key
 *       cache holding codes and scales. Router, indexer weights projection and LM head stay fp32; every other
 *       value is float64 (reference) or fp32 (simd).</li>
 *   <li>{@link #BF16}: the deployment as DeepSeek's {@code inference/model.py} runs it with bf16 as the default
 *       dtype: every FP8 rounding point of {@link #FP8}, plus a bf16 rounding at each point listed in
 *       spec/SEMANTICS.md §5c (linear outputs, norm and RoPE outputs, the attention's scores, probabilities and
 *       products, the MLP's gated product, the MoE sum, the stored residual stream). The fp32 islands of the
 *       deployment (router, indexer weights projection and scores, LM head, the norms' and the MoE accumulator's
 *       arithmetic) are not rounded.</li>
 * </ul>
 */
public enum PrecisionMode {
    EXACT, FP8, BF16;

    /** The lower-case name used on the command line and in reports. */
    public String label() { return name().toLowerCase(java.util.Locale.ROOT); }

    /** Whether the FP8 rounding points (act_quant, the kv latent's round trip, the indexer's FP8 q/k) are in place. */
    public boolean hasFp8RoundingPoints() { return this != EXACT; }

    /** Whether the bf16 rounding points of spec/SEMANTICS.md §5c are in place. */
    public boolean hasBf16RoundingPoints() { return this == BF16; }

    public static PrecisionMode parse(String s) {
        for (PrecisionMode m : values()) if (m.label().equalsIgnoreCase(s)) return m;
        throw new IllegalArgumentException("unknown precision mode '" + s + "' (expected exact, fp8 or bf16)");
    }
}
