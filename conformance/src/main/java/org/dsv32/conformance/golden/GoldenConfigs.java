package org.dsv32.conformance.golden;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.dsv32.spec.config.ConfigException;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.ModelConfigReader;
import org.dsv32.spec.config.ModelConfigWriter;
import org.dsv32.spec.config.QuantizationConfig;
import org.dsv32.spec.config.RopeScaling;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * The configurations of the shipped golden cases, and the {@code config} metadata value: the Hugging Face
 * {@code config.json} of the case, as compact JSON with sorted keys (what {@link ModelConfigWriter} writes).
 *
 * <p>Both configurations keep the published structure and numerics — YaRN, eps, e4m3 128x128 blocks, rope 64,
 * indexer heads of 128 (one act_quant tile, a 128-point Hadamard), grouped sigmoid routing — and shrink only widths
 * and counts, so that the whole shipped set stays a few megabytes:
 * <ul>
 *   <li>{@link #operations}: D = 256 (two 128-blocks in every K = D reduction), 2 heads, q_lora 128, kv_lora 128
 *       (kv_a_proj_with_mqa has 192 rows: a ragged row block), 8 experts in 4 groups (2 kept, top-2) of width 128,
 *       indexer 2 x 128 with top-4, so sequences of a dozen tokens already have more keys than the top-k;</li>
 *   <li>{@link #model}: the same with D = 128, vocab 256, dense width 256, layer 0 dense and layer 1 MoE, one MTP
 *       layer: the whole checkpoint is under 2 MB.</li>
 * </ul>
 */
public final class GoldenConfigs {
    private GoldenConfigs() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    public static ModelConfig operations(ScaleFormat scales) {
        return withScales(model(scales).toBuilder().hiddenSize(256).intermediateSize(384).build(), scales);
    }

    public static ModelConfig model(ScaleFormat scales) {
        return withScales(ModelConfig.builder()
                .vocabSize(256).hiddenSize(128).intermediateSize(256).moeIntermediateSize(128)
                .numHiddenLayers(2).numNextnPredictLayers(1).firstKDenseReplace(1)
                .numAttentionHeads(2).qLoraRank(128).kvLoraRank(128)
                .qkNopeHeadDim(64).qkRopeHeadDim(64).vHeadDim(64)
                .nRoutedExperts(8).numExpertsPerTok(2).nGroup(4).topkGroup(2).nSharedExperts(1)
                .scoringFunc("sigmoid").topkMethod("noaux_tc").normTopkProb(true).routedScalingFactor(2.5)
                .indexNHeads(2).indexHeadDim(128).indexTopk(4)
                .ropeTheta(10000.0).ropeScaling(RopeScaling.deepseekV32()).rmsNormEps(1e-6)
                .maxPositionEmbeddings(163840).quantization(QuantizationConfig.deepseekV32())
                .build(), scales);
    }

    static ModelConfig withScales(ModelConfig c, ScaleFormat scales) {
        QuantizationConfig q = c.quantization();
        return c.withQuantization(new QuantizationConfig(q.fmt(), q.blockRows(), q.blockCols(), scales, q.activationScheme()));
    }

    /** The config.json of {@code c} as one line of JSON, keys sorted. */
    public static String toJson(ModelConfig c) {
        try {
            return JSON.writeValueAsString(ModelConfigWriter.tree(c));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses a {@code config} metadata value; {@code source} names the file in errors. */
    public static ModelConfig parse(String json, String source) throws ConfigException {
        return ModelConfigReader.parse(json, source + " (__metadata__ config)");
    }
}
