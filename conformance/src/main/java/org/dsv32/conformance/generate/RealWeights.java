package org.dsv32.conformance.generate;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.dsv32.conformance.bench.BenchData;
import org.dsv32.conformance.bench.BenchLayers;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.weights.AttentionWeights;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.IndexerWeights;
import org.dsv32.spec.weights.LayerWeights;
import org.dsv32.spec.weights.MlpWeights;
import org.dsv32.spec.weights.ModelWeights;
import org.dsv32.spec.weights.MoeWeights;
import org.dsv32.spec.weights.MtpWeights;

/**
 * Seeded weights at the 671B model's sizes for the {@code --dims real} cases. {@link RandomWeights} quantises one
 * Gaussian per element, which takes about a minute for the real dense MLP alone; these draw the FP8 codes from a
 * table of e4m3-rounded Gaussians with power-of-two block scales ({@link BenchData#fp8}), filled in parallel off the
 * heap, so that every real projection exists in seconds and the Java heap holds only activations. The MoE layer
 * routes over all 256 experts, whose weights cycle through a few distinct sets ({@link BenchLayers#moe}: 256 distinct
 * experts would take 11 GB). Memory is released when the weights are unreachable ({@link Arena#ofAuto()}).
 */
public final class RealWeights {
    private RealWeights() {}

    /** Distinct expert weight sets the 256 routed experts share (expert e uses set e mod this). */
    public static final int DISTINCT_EXPERTS = 4;

    /** An FP8 linear weight [rows][cols] whose products keep about the input's magnitude. */
    public static Fp8BlockWeight fp8(String name, int rows, int cols, long seed) {
        return BenchData.fp8(Arena.ofAuto(), name, rows, cols, seed);
    }

    /** A bf16 weight with N(mean, std²) entries. */
    public static DenseWeight bf16(String name, int rows, int cols, double mean, double std, long seed) {
        return BenchData.bf16(Arena.ofAuto(), name, rows, cols, mean, std, seed);
    }

    /** The SwiGLU weights {@code prefix}.gate_proj / up_proj / down_proj of width {@code inter}. */
    public static MlpWeights mlp(String prefix, int d, int inter, long seed) {
        return new MlpWeights(fp8(prefix + ".gate_proj.weight", inter, d, seed + 1), fp8(prefix + ".up_proj.weight", inter, d, seed + 2),
                fp8(prefix + ".down_proj.weight", d, inter, seed + 3));
    }

    /** MLA attention with its indexer at {@code c}'s sizes. */
    public static AttentionWeights attention(ModelConfig c, long seed) { return BenchLayers.attention(Arena.ofAuto(), c, seed); }

    /** The lightning indexer at {@code c}'s sizes. */
    public static IndexerWeights indexer(ModelConfig c, long seed) { return BenchLayers.indexer(Arena.ofAuto(), c, seed); }

    /** An MoE layer: every one of {@code c}'s experts addressable, {@link #DISTINCT_EXPERTS} distinct weight sets. */
    public static MoeWeights moe(ModelConfig c, long seed) { return BenchLayers.moe(Arena.ofAuto(), c, DISTINCT_EXPERTS, seed); }

    /** A decoder layer: dense MLP before first_k_dense_replace, MoE from it on. */
    public static LayerWeights layer(ModelConfig c, int index, long seed) {
        String p = "model.layers." + index + ".";
        SplittableRandom rng = new SplittableRandom(seed);
        boolean moe = c.isMoeLayer(index);
        return new LayerWeights(index, RandomWeights.normWeight(rng, p + "input_layernorm.weight", c.hiddenSize()),
                RandomWeights.normWeight(rng, p + "post_attention_layernorm.weight", c.hiddenSize()), attention(c, seed + 1000),
                moe ? null : mlp(p + "mlp", c.hiddenSize(), c.intermediateSize(), seed + 2000),
                moe ? moe(c, seed + 3000) : null);
    }

    private record ModelKey(ModelConfig config, long seed) {}

    /** The last model built: mtp_loss and speculative_decoding share one (about 1 GB, several seconds to generate). */
    private static final java.util.Map<ModelKey, ModelWeights> LAST_MODEL = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(2, 0.75f, true) {
                @Override protected boolean removeEldestEntry(java.util.Map.Entry<ModelKey, ModelWeights> e) { return size() > 1; }
            });

    /** {@link #model} of {@code c} and {@code seed}, built once while it is the last one asked for. */
    public static ModelWeights sharedModel(ModelConfig c, long seed) {
        return LAST_MODEL.computeIfAbsent(new ModelKey(c, seed), k -> model(c, seed));
    }

    /**
     * {@code base} (a model of one MTP module) with {@code depth} chained modules for configuration {@code c}: module
     * j >= 2 draws its own three norm weights but reuses module 1's eh_proj and block, the ~0.6 GB that one more real
     * MoE module would add. Module j still reads module j − 1's output and its own shifted tokens, so the chain, the
     * targets and the combination (λ / D) Σ_k L^k act at the real shapes; a bug that hands module 2 module 1's
     * weights is left to the small-dims cases, whose modules are all distinct.
     */
    public static ModelWeights chainedModules(ModelWeights base, ModelConfig c, int depth, long seed) {
        if (base.mtp().isEmpty()) throw new IllegalArgumentException("chainedModules: the base model has no MTP module");
        SplittableRandom rng = new SplittableRandom(seed);
        MtpWeights first = base.mtp().get(0);
        int d = c.hiddenSize();
        List<MtpWeights> mtp = new ArrayList<>(List.of(first));
        for (int j = 1; j < depth; j++) {
            String p = "model.layers." + (c.numHiddenLayers() + j) + ".";
            mtp.add(new MtpWeights(RandomWeights.normWeight(rng, p + "enorm.weight", d), RandomWeights.normWeight(rng, p + "hnorm.weight", d),
                    first.ehProj(), first.block(), RandomWeights.normWeight(rng, p + "shared_head.norm.weight", d), first.head()));
        }
        return new ModelWeights(c, base.embedding(), base.layers(), base.finalNorm(), base.lmHead(), mtp);
    }

    /** A whole model: bf16 embedding and LM head, the main layers, the final norm and the MTP modules (head shared). */
    public static ModelWeights model(ModelConfig c, long seed) {
        int d = c.hiddenSize();
        SplittableRandom rng = new SplittableRandom(seed);
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) layers.add(layer(c, i, seed + 10_000L * (i + 1)));
        List<MtpWeights> mtp = new ArrayList<>();
        for (int j = 0; j < c.numNextnPredictLayers(); j++) {
            int i = c.numHiddenLayers() + j;
            String p = "model.layers." + i + ".";
            mtp.add(new MtpWeights(RandomWeights.normWeight(rng, p + "enorm.weight", d), RandomWeights.normWeight(rng, p + "hnorm.weight", d),
                    bf16(p + "eh_proj.weight", d, 2 * d, 0, 1 / Math.sqrt(2 * d), seed + 7 + i), layer(c, i, seed + 10_000L * (i + 1)),
                    RandomWeights.normWeight(rng, p + "shared_head.norm.weight", d), null));
        }
        return new ModelWeights(c, bf16("model.embed_tokens.weight", c.vocabSize(), d, 0, 1, seed + 1),
                layers, RandomWeights.normWeight(rng, "model.norm.weight", d), bf16("lm_head.weight", c.vocabSize(), d, 0, 1 / Math.sqrt(d), seed + 2), mtp);
    }
}
