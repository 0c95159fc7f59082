package org.dsv32.conformance.checks;

import java.lang.foreign.Arena;
import java.util.List;
import org.dsv32.conformance.bench.BenchData;
import org.dsv32.conformance.bench.BenchLayers;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.weights.LayerWeights;
import org.dsv32.spec.weights.ModelWeights;
import org.dsv32.spec.weights.MtpWeights;

/**
 * The weights of one decoder layer at the 671B configuration's dimensions (an MoE layer: MLA with its indexer, the
 * router over all 256 experts, the shared expert), and of the MTP module around it, generated as the benchmark does
 * ({@link BenchLayers}): FP8 projections with 128x128 block scales, bf16 norms, router and embeddings. The routed
 * experts reuse {@link #DISTINCT_EXPERTS} distinct weight sets (expert e has set e mod that), so routing over all 256
 * indices costs ~180 MB instead of 11 GB; which set an expert has does not change what the routing or a replay does.
 * The MTP head and embedding have {@link #MTP_VOCAB} rows instead of 129280 (the reduction length of the head,
 * hidden 7168, is the real one; only the number of logits shrinks), so that the module fits beside the block.
 * Everything lives off-heap in one shared arena for the process (~0.9 GB), built on first use and kept: the checks
 * that use it run once per conform or mutants run, and a second build would cost as long as the first.
 */
final class RealLayerWeights {
    /** Distinct routed-expert weight sets reused across the 256 expert indices. */
    static final int DISTINCT_EXPERTS = 4;
    /** Rows of the MTP module's embedding and head at real dims. */
    static final int MTP_VOCAB = 4096;

    private static RealLayerWeights instance;

    final ModelConfig config;
    /** Layer 3, the first MoE layer. */
    final LayerWeights moeLayer;
    /** The MTP module's weights ({@link #MTP_VOCAB} tokens), its block reusing the MoE layer's attention and FFN. */
    final ModelWeights mtp;

    private RealLayerWeights(ModelConfig real, long seed) {
        Arena arena = Arena.ofShared(); // kept for the life of the process (see the class comment)
        this.config = real;
        int d = real.hiddenSize();
        String p = "model.layers.3.";
        moeLayer = new LayerWeights(3, BenchData.bf16(arena, p + "input_layernorm.weight", 1, d, 1, 0.1, seed + 1),
                BenchData.bf16(arena, p + "post_attention_layernorm.weight", 1, d, 1, 0.1, seed + 2),
                BenchLayers.attention(arena, real, seed + 10), null, BenchLayers.moe(arena, real, DISTINCT_EXPERTS, seed + 1000));
        ModelConfig small = mtpConfig(real);
        int i = real.numHiddenLayers();
        String m = "model.layers." + i + ".";
        LayerWeights block = new LayerWeights(i, BenchData.bf16(arena, m + "input_layernorm.weight", 1, d, 1, 0.1, seed + 3),
                BenchData.bf16(arena, m + "post_attention_layernorm.weight", 1, d, 1, 0.1, seed + 4), moeLayer.attention(), null, moeLayer.moe());
        MtpWeights module = new MtpWeights(BenchData.bf16(arena, m + "enorm.weight", 1, d, 1, 0.1, seed + 5),
                BenchData.bf16(arena, m + "hnorm.weight", 1, d, 1, 0.1, seed + 6),
                BenchData.bf16(arena, m + "eh_proj.weight", d, 2 * d, 0, 1 / Math.sqrt(2 * d), seed + 7), block,
                BenchData.bf16(arena, m + "shared_head.norm.weight", 1, d, 1, 0.1, seed + 8),
                BenchData.bf16(arena, m + "shared_head.head.weight", MTP_VOCAB, d, 0, 1 / Math.sqrt(d), seed + 9));
        mtp = new ModelWeights(small, BenchData.bf16(arena, "model.embed_tokens.weight", MTP_VOCAB, d, 0, 1, seed + 11), List.of(),
                BenchData.bf16(arena, "model.norm.weight", 1, d, 1, 0.1, seed + 12), module.head(), List.of(module));
    }

    /** The 671B configuration with the MTP module's reduced vocabulary. */
    static ModelConfig mtpConfig(ModelConfig real) { return real.toBuilder().vocabSize(MTP_VOCAB).build(); }

    private long seed;

    /** The weights for {@code real} and {@code seed} (built on the first call for them, then kept). */
    static synchronized RealLayerWeights of(ModelConfig real, long seed) {
        if (instance == null || !instance.config.equals(real) || instance.seed != seed) {
            instance = new RealLayerWeights(real, seed);
            instance.seed = seed;
        }
        return instance;
    }
}
