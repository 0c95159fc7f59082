package org.dsv32.spec.config;

/**
 * {@code rope_scaling} of config.json. {@code type} is {@code "yarn"} for DeepSeek-V3.x; a config without
 * {@code rope_scaling} is represented by {@link #none()} (factor 1, no frequency change, mscale 1).
 */
public record RopeScaling(String type, double factor, int originalMaxPositionEmbeddings,
                          double betaFast, double betaSlow, double mscale, double mscaleAllDim) {

    /** The published V3.2 values: YaRN factor 40, original 4096, beta_fast 32, beta_slow 1, mscale 1, mscale_all_dim 1. */
    public static RopeScaling deepseekV32() { return new RopeScaling("yarn", 40, 4096, 32, 1, 1, 1); }

    /** No scaling. */
    public static RopeScaling none() { return new RopeScaling("none", 1, 0, 32, 1, 1, 0); }

    public boolean isYarn() { return "yarn".equals(type); }
}
