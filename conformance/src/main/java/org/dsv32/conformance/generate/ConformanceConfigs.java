package org.dsv32.conformance.generate;

import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.QuantizationConfig;
import org.dsv32.spec.config.RopeScaling;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * Small but real configurations for the operation checks: every dimension that is a reduction length or a tile
 * stays a multiple of 128 where the model requires it, the kv down-projection keeps its ragged 576 rows, the
 * indexer head keeps 128 dims (one act_quant tile, a 128-point Hadamard), YaRN and the FP8 settings are the
 * published ones — only the widths and counts shrink, so a full run is quick on two cores.
 */
public final class ConformanceConfigs {
    private ConformanceConfigs() {}

    /**
     * D = 256, 4 heads of nope 64 + rope 64 (value 64), q_lora 256, kv_lora 512 (kv_a has 576 rows),
     * 16 experts in 4 groups (top-2 groups, top-4 experts) of width 128 (the K = 128 edge), dense width 384,
     * indexer 4 heads x 128 with top-8.
     */
    public static ModelConfig small() {
        return ModelConfig.builder()
                .vocabSize(512).hiddenSize(256).intermediateSize(384).moeIntermediateSize(128)
                .numHiddenLayers(2).numNextnPredictLayers(1).firstKDenseReplace(1)
                .numAttentionHeads(4).qLoraRank(256).kvLoraRank(512)
                .qkNopeHeadDim(64).qkRopeHeadDim(64).vHeadDim(64)
                .nRoutedExperts(16).numExpertsPerTok(4).nGroup(4).topkGroup(2).nSharedExperts(1)
                .scoringFunc("sigmoid").topkMethod("noaux_tc").normTopkProb(true).routedScalingFactor(2.5)
                .indexNHeads(4).indexHeadDim(128).indexTopk(8)
                .ropeTheta(10000.0).ropeScaling(RopeScaling.deepseekV32()).rmsNormEps(1e-6)
                .maxPositionEmbeddings(163840).quantization(QuantizationConfig.deepseekV32())
                .build();
    }

    /**
     * The published 671B configuration ({@link ModelConfig#deepseekV32()}): D = 7168, q_lora 1536, kv_lora 512, 128
     * heads of nope 128 + rope 64 (value 128), 256 routed experts of width 2048 in 8 groups (top-4 groups, top-8) plus
     * one shared, dense width 18432, indexer 64 heads x 128 with top-2048, vocabulary 129280. The {@code --dims real}
     * cases bind their operations to it.
     */
    public static ModelConfig real() { return ModelConfig.deepseekV32(); }

    /** {@link #real()} with plain (not power-of-two) activation scales. */
    public static ModelConfig realPlainScales() {
        return real().withQuantization(new QuantizationConfig("e4m3", 128, 128, ScaleFormat.PLAIN, "dynamic"));
    }

    /** The vocabulary of {@link #realModel()}: the real 129280 rows would make each reference logit row cost 0.9 G multiply-adds. */
    public static final int REAL_MODEL_VOCAB = 8192;

    /**
     * A whole model at the real layer dimensions for the checks that need one (mtp_loss, speculative_decoding): every
     * width of {@link #real()}, but one main layer (dense, width 18432), the one MTP module (an MoE layer, 256
     * experts) and a vocabulary of {@value #REAL_MODEL_VOCAB} instead of 129280 (the LM head is a plain bf16 GEMV whose
     * row count does not change the per-row arithmetic; the full one would dominate the reference's time).
     */
    public static ModelConfig realModel() {
        return real().toBuilder().vocabSize(REAL_MODEL_VOCAB).numHiddenLayers(1).firstKDenseReplace(1).numNextnPredictLayers(1).build();
    }

    /** {@link #small()} with plain (not power-of-two) activation scales. */
    public static ModelConfig smallPlainScales() {
        return small().withQuantization(new QuantizationConfig("e4m3", 128, 128, ScaleFormat.PLAIN, "dynamic"));
    }
}
