package org.dsv32.spec.config;

import org.dsv32.spec.weights.ScaleFormat;

/**
 * The DeepSeek-V3.2 model configuration: every key of the Hugging Face {@code config.json} this project uses
 * (spec/SEMANTICS.md §0), plus the values derived from them, computed here and nowhere else.
 * Read one with {@link ModelConfigReader}, build one by name with {@link #builder()} (or {@link #toBuilder()} for a
 * variant); {@link #deepseekV32()} is the published 671B configuration.
 */
public record ModelConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int moeIntermediateSize,
        int numHiddenLayers,
        int numNextnPredictLayers,
        int firstKDenseReplace,
        int numAttentionHeads,
        int qLoraRank,
        int kvLoraRank,
        int qkNopeHeadDim,
        int qkRopeHeadDim,
        int vHeadDim,
        int nRoutedExperts,
        int numExpertsPerTok,
        int nGroup,
        int topkGroup,
        int nSharedExperts,
        String scoringFunc,
        String topkMethod,
        boolean normTopkProb,
        double routedScalingFactor,
        int indexNHeads,
        int indexHeadDim,
        int indexTopk,
        double ropeTheta,
        RopeScaling ropeScaling,
        double rmsNormEps,
        int maxPositionEmbeddings,
        QuantizationConfig quantization) {

    /** The published 671B DeepSeek-V3.2 configuration (spec/SEMANTICS.md §0). */
    public static ModelConfig deepseekV32() {
        return builder()
                .vocabSize(129280).hiddenSize(7168).intermediateSize(18432).moeIntermediateSize(2048)
                .numHiddenLayers(61).numNextnPredictLayers(1).firstKDenseReplace(3)
                .numAttentionHeads(128).qLoraRank(1536).kvLoraRank(512)
                .qkNopeHeadDim(128).qkRopeHeadDim(64).vHeadDim(128)
                .nRoutedExperts(256).numExpertsPerTok(8).nGroup(8).topkGroup(4).nSharedExperts(1)
                .scoringFunc("sigmoid").topkMethod("noaux_tc").normTopkProb(true).routedScalingFactor(2.5)
                .indexNHeads(64).indexHeadDim(128).indexTopk(2048)
                .ropeTheta(10000.0).ropeScaling(RopeScaling.deepseekV32()).rmsNormEps(1e-6)
                .maxPositionEmbeddings(163840).quantization(QuantizationConfig.deepseekV32())
                .build();
    }

    /** A builder with no component set ({@link ModelConfigBuilder}). */
    public static ModelConfigBuilder builder() { return new ModelConfigBuilder(); }

    /** A builder holding every component of this configuration, to make a variant of it. */
    public ModelConfigBuilder toBuilder() { return ModelConfigBuilder.of(this); }

    /** Per-head query/key dimension: nope + rope (192 for V3.2). */
    public int qkHeadDim() { return qkNopeHeadDim + qkRopeHeadDim; }

    /** Width of the MLA cache entry per token and layer: kv_lora_rank + qk_rope_head_dim (576). */
    public int kvCacheWidth() { return kvLoraRank + qkRopeHeadDim; }

    /** Experts per group (32 for V3.2). */
    public int expertsPerGroup() { return nRoutedExperts / nGroup; }

    /** Whether layer {@code i} (main model or MTP) has an MoE FFN rather than a dense one. */
    public boolean isMoeLayer(int layer) { return nRoutedExperts > 0 && layer >= firstKDenseReplace; }

    /** Scale format of the dynamic activation quantisation; plain when the model has no quantization_config. */
    public ScaleFormat activationScaleFormat() {
        return quantization == null ? ScaleFormat.PLAIN : quantization.scaleFormat();
    }

    /** YaRN attention magnitude correction m = 0.1 * mscale_all_dim * ln(factor) + 1 (1 without YaRN or factor <= 1). */
    public double yarnMscale() { return Rope.yarnMscale(ropeScaling); }

    /** MLA softmax scale (qk_head_dim)^-0.5 * m^2 (spec/SEMANTICS.md §7). */
    public double softmaxScale() {
        double m = yarnMscale();
        return Math.pow(qkHeadDim(), -0.5) * m * m;
    }

    /** RoPE inverse frequencies f_i (i < qk_rope_head_dim / 2) with YaRN applied (spec/SEMANTICS.md §6). */
    public double[] ropeFrequencies() { return Rope.frequencies(qkRopeHeadDim, ropeTheta, ropeScaling); }

    /** A copy with another index_topk. */
    public ModelConfig withIndexTopk(int topk) { return toBuilder().indexTopk(topk).build(); }

    /** A copy with another rms_norm_eps. */
    public ModelConfig withRmsNormEps(double eps) { return toBuilder().rmsNormEps(eps).build(); }

    /** A copy with another quantization config (null for none). */
    public ModelConfig withQuantization(QuantizationConfig q) { return toBuilder().quantization(q).build(); }
}
