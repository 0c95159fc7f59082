package org.dsv32.conformance.bench;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.weights.AttentionWeights;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.IndexerWeights;
import org.dsv32.spec.weights.MlpWeights;
import org.dsv32.spec.weights.MoeWeights;
import org.dsv32.spec.weights.Weight;

/**
 * Random weights of one layer at a configuration's dimensions, with the checkpoint's dtypes (spec/SEMANTICS.md §2):
 * FP8 for every projection, bf16 for norms, the router and the indexer weights projection, fp32 for the correction
 * bias. Norm weights are 1 + N(0, 0.1²), so activations keep their scale through the layer.
 */
public final class BenchLayers {
    private BenchLayers() {}

    /** MLA attention with its indexer. */
    public static AttentionWeights attention(Arena arena, ModelConfig c, long seed) {
        int d = c.hiddenSize(), h = c.numAttentionHeads();
        String p = "model.layers.3.self_attn.";
        IndexerWeights indexer = indexer(arena, c, seed);
        return new AttentionWeights(
                BenchData.fp8(arena, p + "q_a_proj.weight", c.qLoraRank(), d, seed + 1),
                BenchData.bf16(arena, p + "q_a_layernorm.weight", 1, c.qLoraRank(), 1, 0.1, seed + 2),
                BenchData.fp8(arena, p + "q_b_proj.weight", h * c.qkHeadDim(), c.qLoraRank(), seed + 3),
                BenchData.fp8(arena, p + "kv_a_proj_with_mqa.weight", c.kvCacheWidth(), d, seed + 4),
                BenchData.bf16(arena, p + "kv_a_layernorm.weight", 1, c.kvLoraRank(), 1, 0.1, seed + 5),
                BenchData.fp8(arena, p + "kv_b_proj.weight", h * (c.qkNopeHeadDim() + c.vHeadDim()), c.kvLoraRank(), seed + 6),
                BenchData.fp8(arena, p + "o_proj.weight", d, h * c.vHeadDim(), seed + 7),
                indexer);
    }

    /** The lightning indexer of one layer. */
    public static IndexerWeights indexer(Arena arena, ModelConfig c, long seed) {
        int d = c.hiddenSize();
        String p = "model.layers.3.self_attn.indexer.";
        return new IndexerWeights(
                BenchData.fp8(arena, p + "wq_b.weight", c.indexNHeads() * c.indexHeadDim(), c.qLoraRank(), seed + 11),
                BenchData.fp8(arena, p + "wk.weight", c.indexHeadDim(), d, seed + 12),
                BenchData.bf16(arena, p + "k_norm.weight", 1, c.indexHeadDim(), 1, 0.1, seed + 13),
                BenchData.bf16(arena, p + "k_norm.bias", 1, c.indexHeadDim(), 0, 0.1, seed + 14),
                BenchData.bf16(arena, p + "weights_proj.weight", c.indexNHeads(), d, 0, 1 / Math.sqrt(d), seed + 15));
    }

    /**
     * An MoE layer whose routed experts reuse {@code distinct} random weight sets in turn (expert e has set
     * e mod distinct): the real model's 256 experts would take 11 GB. With the sets together much larger than the
     * caches, every expert's weights still stream from memory; {@code distinct} = expert count gives all distinct.
     */
    public static MoeWeights moe(Arena arena, ModelConfig c, int distinct, long seed) {
        int d = c.hiddenSize(), e = c.nRoutedExperts();
        String p = "model.layers.3.mlp.";
        List<MlpWeights> pool = new ArrayList<>();
        for (int i = 0; i < Math.min(distinct, e); i++) pool.add(mlp(arena, p + "experts." + i + ".", d, c.moeIntermediateSize(), seed + 100L * i));
        List<MlpWeights> experts = new ArrayList<>();
        for (int i = 0; i < e; i++) experts.add(pool.get(i % pool.size()));
        MlpWeights shared = c.nSharedExperts() == 0 ? null
                : mlp(arena, p + "shared_experts.", d, c.moeIntermediateSize() * c.nSharedExperts(), seed - 1);
        return new MoeWeights(BenchData.bf16(arena, p + "gate.weight", e, d, 0, 1 / Math.sqrt(d), seed + 7),
                BenchData.f32(arena, p + "gate.e_score_correction_bias", e, 0.01, seed + 8), experts, shared);
    }

    static MlpWeights mlp(Arena arena, String prefix, int d, int inter, long seed) {
        return new MlpWeights(BenchData.fp8(arena, prefix + "gate_proj.weight", inter, d, seed + 1),
                BenchData.fp8(arena, prefix + "up_proj.weight", inter, d, seed + 2),
                BenchData.fp8(arena, prefix + "down_proj.weight", d, inter, seed + 3));
    }

    /** Bytes of one weight as stored: 1 per e4m3 code plus the fp32 scales, or the dense bytes. */
    public static double bytes(Weight w) {
        if (w instanceof Fp8BlockWeight f) return f.codes().byteSize() + f.scales().byteSize();
        return ((org.dsv32.spec.weights.DenseWeight) w).data().byteSize();
    }

    /** Multiply-adds of x W^T for one row of x. */
    public static double macs(Weight w) { return (double) w.rows() * w.cols(); }
}
