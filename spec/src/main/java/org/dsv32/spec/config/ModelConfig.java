package org.dsv32.spec.config;

import org.dsv32.spec.weights.ScaleFormat;

/**
 * The DeepSeek-V3.2 model configuration: every key of the Hugging Face {@code config.json} this project uses
 * (spec/SEMANTICS.md §0), plus the values derived from them, computed here and nowhere else.
 * Read one with {@link ModelConfigReader}; {@link #deepseekV32()} is the published 671B configuration.
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
        return new ModelConfig(129280, 7168, 18432, 2048, 61, 1, 3, 128, 1536, 512, 128, 64, 128,
                256, 8, 8, 4, 1, "sigmoid", "noaux_tc", true, 2.5, 64, 128, 2048,
                10000.0, RopeScaling.deepseekV32(), 1e-6, 163840, QuantizationConfig.deepseekV32());
    }

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

    /** A copy with other values for the fields tests most often change. */
    public ModelConfig withIndexTopk(int topk) {
        return new ModelConfig(vocabSize, hiddenSize, intermediateSize, moeIntermediateSize, numHiddenLayers,
                numNextnPredictLayers, firstKDenseReplace, numAttentionHeads, qLoraRank, kvLoraRank, qkNopeHeadDim,
                qkRopeHeadDim, vHeadDim, nRoutedExperts, numExpertsPerTok, nGroup, topkGroup, nSharedExperts,
                scoringFunc, topkMethod, normTopkProb, routedScalingFactor, indexNHeads, indexHeadDim, topk,
                ropeTheta, ropeScaling, rmsNormEps, maxPositionEmbeddings, quantization);
    }

    /** A copy with another rms_norm_eps. */
    public ModelConfig withRmsNormEps(double eps) {
        return new ModelConfig(vocabSize, hiddenSize, intermediateSize, moeIntermediateSize, numHiddenLayers,
                numNextnPredictLayers, firstKDenseReplace, numAttentionHeads, qLoraRank, kvLoraRank, qkNopeHeadDim,
                qkRopeHeadDim, vHeadDim, nRoutedExperts, numExpertsPerTok, nGroup, topkGroup, nSharedExperts,
                scoringFunc, topkMethod, normTopkProb, routedScalingFactor, indexNHeads, indexHeadDim, indexTopk,
                ropeTheta, ropeScaling, eps, maxPositionEmbeddings, quantization);
    }

    /** A copy with another quantization config (null for none). */
    public ModelConfig withQuantization(QuantizationConfig q) {
        return new ModelConfig(vocabSize, hiddenSize, intermediateSize, moeIntermediateSize, numHiddenLayers,
                numNextnPredictLayers, firstKDenseReplace, numAttentionHeads, qLoraRank, kvLoraRank, qkNopeHeadDim,
                qkRopeHeadDim, vHeadDim, nRoutedExperts, numExpertsPerTok, nGroup, topkGroup, nSharedExperts,
                scoringFunc, topkMethod, normTopkProb, routedScalingFactor, indexNHeads, indexHeadDim, indexTopk,
                ropeTheta, ropeScaling, rmsNormEps, maxPositionEmbeddings, q);
    }
}
