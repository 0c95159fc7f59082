package org.dsv32.spec.config;

import java.util.List;
import java.util.Locale;

/**
 * Named configurations: the published 671B model and the tiny model every test and the CLI default to.
 *
 * <p>The tiny model keeps every structural feature of the real one at a size a unit test can run: dense layer 0
 * and MoE layers 1-2, one MTP layer, grouped routing (16 experts in 4 groups, 2 kept, top-4, one shared expert),
 * the indexer with a top-k (8) below the sequence lengths tests use, the real YaRN settings, and FP8 e4m3 128x128
 * blocks with ue8m0 scales. Its kv down-projection has 128 + 64 = 192 rows, so one 128-row block is ragged, as the
 * real model's 576 rows are. Every FP8 linear's input dimension is a multiple of 128.
 */
public final class ModelPresets {
    private ModelPresets() {}

    /** The published DeepSeek-V3.2 671B configuration. */
    public static ModelConfig deepseekV32() { return ModelConfig.deepseekV32(); }

    /**
     * vocab 512, hidden 256, intermediate 384, moe_intermediate 128, 3 layers (first 1 dense) + 1 MTP, 4 heads,
     * q_lora 256, kv_lora 128, nope/rope/v 64, 16 experts top-4 in 4 groups (2 kept), 1 shared, scale 2.5,
     * indexer 4 x 128 top-8, theta 10^4 with the V3.2 YaRN, eps 1e-6, max positions 16384, e4m3 128x128 ue8m0.
     */
    public static ModelConfig tiny() {
        return ModelConfig.builder()
                .vocabSize(512).hiddenSize(256).intermediateSize(384).moeIntermediateSize(128)
                .numHiddenLayers(3).numNextnPredictLayers(1).firstKDenseReplace(1)
                .numAttentionHeads(4).qLoraRank(256).kvLoraRank(128)
                .qkNopeHeadDim(64).qkRopeHeadDim(64).vHeadDim(64)
                .nRoutedExperts(16).numExpertsPerTok(4).nGroup(4).topkGroup(2).nSharedExperts(1)
                .scoringFunc("sigmoid").topkMethod("noaux_tc").normTopkProb(true).routedScalingFactor(2.5)
                .indexNHeads(4).indexHeadDim(128).indexTopk(8)
                .ropeTheta(10000.0).ropeScaling(RopeScaling.deepseekV32()).rmsNormEps(1e-6)
                .maxPositionEmbeddings(16384).quantization(QuantizationConfig.deepseekV32())
                .build();
    }

    /** Preset names accepted by {@link #byName}. */
    public static List<String> names() { return List.of("deepseek-v32", "tiny"); }

    /** A preset by name ({@code deepseek-v32} or its aliases {@code 671b}, {@code v32}; {@code tiny}). */
    public static ModelConfig byName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "deepseek-v32", "deepseek_v32", "v32", "671b" -> deepseekV32();
            case "tiny" -> tiny();
            default -> throw new IllegalArgumentException("unknown preset '" + name + "' (known: " + String.join(", ", names()) + ")");
        };
    }
}
