package org.dsv32.reference.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.QuantizationConfig;
import org.dsv32.spec.config.RopeScaling;
import org.dsv32.spec.weights.AttentionWeights;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.IndexerWeights;
import org.dsv32.spec.weights.LayerWeights;
import org.dsv32.spec.weights.MlpWeights;
import org.dsv32.spec.weights.ModelWeights;
import org.dsv32.spec.weights.MoeWeights;
import org.dsv32.spec.weights.MtpWeights;
import org.dsv32.spec.weights.Weight;

/**
 * A micro DeepSeek-V3.2 (every structural feature, tiny widths) with float64 dense weights held by name, so that a
 * finite difference can perturb any element and rebuild the model: layer 0 dense, layer 1 MoE (8 experts in 4
 * groups, 2 kept, top-2, one shared), one MTP module (block 2, MoE), the indexer with 2 heads x 8 and top-3.
 */
final class MicroModel {
    static ModelConfig config() {
        return ModelConfig.builder()
                .vocabSize(24).hiddenSize(16).intermediateSize(20).moeIntermediateSize(8)
                .numHiddenLayers(2).numNextnPredictLayers(1).firstKDenseReplace(1)
                .numAttentionHeads(2).qLoraRank(12).kvLoraRank(8)
                .qkNopeHeadDim(4).qkRopeHeadDim(4).vHeadDim(4)
                .nRoutedExperts(8).numExpertsPerTok(2).nGroup(4).topkGroup(2).nSharedExperts(1)
                .scoringFunc("sigmoid").topkMethod("noaux_tc").normTopkProb(true).routedScalingFactor(2.5)
                .indexNHeads(2).indexHeadDim(8).indexTopk(3)
                .ropeTheta(10000.0).ropeScaling(RopeScaling.deepseekV32()).rmsNormEps(1e-6)
                .maxPositionEmbeddings(16384).quantization(QuantizationConfig.deepseekV32())
                .build();
    }

    final ModelConfig config = config();
    /** name -> {rows, cols} and name -> values, in creation order. */
    final Map<String, int[]> shapes = new LinkedHashMap<>();
    final Map<String, double[]> values = new LinkedHashMap<>();

    MicroModel(long seed) {
        Random rnd = new Random(seed);
        ModelConfig c = config;
        int d = c.hiddenSize();
        matrix("model.embed_tokens.weight", c.vocabSize(), d, 1.0, rnd);
        for (int l = 0; l < c.numHiddenLayers() + c.numNextnPredictLayers(); l++) layer(l, l >= c.firstKDenseReplace(), rnd);
        int mtp = c.numHiddenLayers();
        norm("model.layers." + mtp + ".enorm.weight", d, rnd);
        norm("model.layers." + mtp + ".hnorm.weight", d, rnd);
        matrix("model.layers." + mtp + ".eh_proj.weight", d, 2 * d, 1 / Math.sqrt(2 * d), rnd);
        norm("model.layers." + mtp + ".shared_head.norm.weight", d, rnd);
        norm("model.norm.weight", d, rnd);
        matrix("lm_head.weight", c.vocabSize(), d, 1.5 / Math.sqrt(d), rnd);
    }

    private void layer(int l, boolean moe, Random rnd) {
        ModelConfig c = config;
        String p = "model.layers." + l + ".";
        int d = c.hiddenSize(), h = c.numAttentionHeads();
        norm(p + "input_layernorm.weight", d, rnd);
        matrix(p + "self_attn.q_a_proj.weight", c.qLoraRank(), d, 1 / Math.sqrt(d), rnd);
        norm(p + "self_attn.q_a_layernorm.weight", c.qLoraRank(), rnd);
        matrix(p + "self_attn.q_b_proj.weight", h * (c.qkNopeHeadDim() + c.qkRopeHeadDim()), c.qLoraRank(), 2 / Math.sqrt(c.qLoraRank()), rnd);
        matrix(p + "self_attn.kv_a_proj_with_mqa.weight", c.kvLoraRank() + c.qkRopeHeadDim(), d, 1 / Math.sqrt(d), rnd);
        norm(p + "self_attn.kv_a_layernorm.weight", c.kvLoraRank(), rnd);
        matrix(p + "self_attn.kv_b_proj.weight", h * (c.qkNopeHeadDim() + c.vHeadDim()), c.kvLoraRank(), 2 / Math.sqrt(c.kvLoraRank()), rnd);
        matrix(p + "self_attn.o_proj.weight", d, h * c.vHeadDim(), 1 / Math.sqrt(h * c.vHeadDim()), rnd);
        int ih = c.indexNHeads(), id = c.indexHeadDim();
        matrix(p + "self_attn.indexer.wq_b.weight", ih * id, c.qLoraRank(), 1 / Math.sqrt(c.qLoraRank()), rnd);
        matrix(p + "self_attn.indexer.wk.weight", id, d, 1 / Math.sqrt(d), rnd);
        norm(p + "self_attn.indexer.k_norm.weight", id, rnd);
        matrix(p + "self_attn.indexer.k_norm.bias", 1, id, 0.1, rnd);
        matrix(p + "self_attn.indexer.weights_proj.weight", ih, d, 1 / Math.sqrt(d), rnd);
        norm(p + "post_attention_layernorm.weight", d, rnd);
        if (!moe) {
            mlp(p + "mlp.", d, c.intermediateSize(), rnd);
            return;
        }
        matrix(p + "mlp.gate.weight", c.nRoutedExperts(), d, 1 / Math.sqrt(d), rnd);
        matrix(p + "mlp.gate.e_score_correction_bias", 1, c.nRoutedExperts(), 0.05, rnd);
        for (int e = 0; e < c.nRoutedExperts(); e++) mlp(p + "mlp.experts." + e + ".", d, c.moeIntermediateSize(), rnd);
        mlp(p + "mlp.shared_experts.", d, c.moeIntermediateSize(), rnd);
    }

    private void mlp(String p, int d, int inter, Random rnd) {
        matrix(p + "gate_proj.weight", inter, d, 1 / Math.sqrt(d), rnd);
        matrix(p + "up_proj.weight", inter, d, 1 / Math.sqrt(d), rnd);
        matrix(p + "down_proj.weight", d, inter, 1 / Math.sqrt(inter), rnd);
    }

    private void matrix(String name, int rows, int cols, double std, Random rnd) {
        double[] v = new double[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = std * rnd.nextGaussian();
        shapes.put(name, new int[] {rows, cols});
        values.put(name, v);
    }

    private void norm(String name, int n, Random rnd) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = 1 + 0.2 * rnd.nextGaussian();
        shapes.put(name, new int[] {1, n});
        values.put(name, v);
    }

    /** The model with element {@code index} of {@code name} moved by {@code delta} (name null: unchanged). */
    ModelWeights weights(String name, int index, double delta) {
        Map<String, Weight> w = new LinkedHashMap<>();
        for (var e : values.entrySet()) {
            double[] v = e.getValue();
            if (e.getKey().equals(name)) {
                v = v.clone();
                v[index] += delta;
            }
            int[] s = shapes.get(e.getKey());
            w.put(e.getKey(), DenseWeight.ofDoubles(e.getKey(), v, s[0], s[1]));
        }
        ModelConfig c = config;
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.numHiddenLayers(); l++) layers.add(layer(w, l));
        int m = c.numHiddenLayers();
        String p = "model.layers." + m + ".";
        MtpWeights mtp = new MtpWeights(w.get(p + "enorm.weight"), w.get(p + "hnorm.weight"), w.get(p + "eh_proj.weight"), layer(w, m),
                w.get(p + "shared_head.norm.weight"), null);
        return new ModelWeights(c, w.get("model.embed_tokens.weight"), layers, w.get("model.norm.weight"), w.get("lm_head.weight"), List.of(mtp));
    }

    ModelWeights weights() { return weights(null, 0, 0); }

    private LayerWeights layer(Map<String, Weight> w, int l) {
        String p = "model.layers." + l + ".", a = p + "self_attn.", ix = a + "indexer.";
        IndexerWeights indexer = new IndexerWeights(w.get(ix + "wq_b.weight"), w.get(ix + "wk.weight"), w.get(ix + "k_norm.weight"),
                w.get(ix + "k_norm.bias"), w.get(ix + "weights_proj.weight"));
        AttentionWeights att = new AttentionWeights(w.get(a + "q_a_proj.weight"), w.get(a + "q_a_layernorm.weight"), w.get(a + "q_b_proj.weight"),
                w.get(a + "kv_a_proj_with_mqa.weight"), w.get(a + "kv_a_layernorm.weight"), w.get(a + "kv_b_proj.weight"), w.get(a + "o_proj.weight"), indexer);
        if (!w.containsKey(p + "mlp.gate.weight")) {
            return new LayerWeights(l, w.get(p + "input_layernorm.weight"), w.get(p + "post_attention_layernorm.weight"), att, mlp(w, p + "mlp."), null);
        }
        List<MlpWeights> experts = new ArrayList<>();
        for (int e = 0; e < config.nRoutedExperts(); e++) experts.add(mlp(w, p + "mlp.experts." + e + "."));
        MoeWeights moe = new MoeWeights(w.get(p + "mlp.gate.weight"), w.get(p + "mlp.gate.e_score_correction_bias"), experts, mlp(w, p + "mlp.shared_experts."));
        return new LayerWeights(l, w.get(p + "input_layernorm.weight"), w.get(p + "post_attention_layernorm.weight"), att, null, moe);
    }

    private static MlpWeights mlp(Map<String, Weight> w, String p) {
        return new MlpWeights(w.get(p + "gate_proj.weight"), w.get(p + "up_proj.weight"), w.get(p + "down_proj.weight"));
    }
}
