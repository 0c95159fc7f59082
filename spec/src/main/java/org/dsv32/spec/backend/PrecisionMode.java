package org.dsv32.spec.backend;

/**
 * Which arithmetic an operation simulates (spec/SEMANTICS.md §5).
 *
 * <ul>
 *   <li>{@link #EXACT}: dequantised weights, no activation rounding at all.</li>
 *   <li>{@link #FP8}: every deployment rounding point in place — act_quant before every FP8 linear,
 *       the FP8 round-trip of the MLA kv latent before caching, FP8 q/k in the indexer with the key
 *       cache holding codes and scales. Router, indexer weights projection and LM head stay fp32.</li>
 * </ul>
 */
public enum PrecisionMode {
    EXACT, FP8;

    /** The lower-case name used on the command line and in reports. */
    public String label() { return name().toLowerCase(java.util.Locale.ROOT); }

    public static PrecisionMode parse(String s) {
        for (PrecisionMode m : values()) if (m.label().equalsIgnoreCase(s)) return m;
        throw new IllegalArgumentException("unknown precision mode '" + s + "' (expected exact or fp8)");
    }
}
