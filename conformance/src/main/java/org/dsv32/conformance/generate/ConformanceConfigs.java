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

    /** {@link #small()} with plain (not power-of-two) activation scales. */
    public static ModelConfig smallPlainScales() {
        return small().withQuantization(new QuantizationConfig("e4m3", 128, 128, ScaleFormat.PLAIN, "dynamic"));
    }
}
