package org.dsv32.spec.weights;

/** How a block or activation scale is represented: a plain fp32, or fp32 rounded up to a power of two (ue8m0). */
public enum ScaleFormat {
    PLAIN, UE8M0;

    public String label() { return this == PLAIN ? "plain" : "ue8m0"; }

    /** Parses {@code quantization_config.scale_fmt}: {@code "ue8m0"}, or absent / {@code "fp32"} / {@code "plain"}. */
    public static ScaleFormat parse(String s) {
        if (s == null || s.isEmpty() || s.equalsIgnoreCase("plain") || s.equalsIgnoreCase("fp32") || s.equalsIgnoreCase("float32")) return PLAIN;
        if (s.equalsIgnoreCase("ue8m0")) return UE8M0;
        throw new IllegalArgumentException("unknown scale format '" + s + "' (expected ue8m0 or plain)");
    }
}
