package org.dsv32.conformance.generate;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.format.BF16;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.format.UE8M0;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.weights.AttentionWeights;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.IndexerWeights;
import org.dsv32.spec.weights.LayerWeights;
import org.dsv32.spec.weights.ModelWeights;
import org.dsv32.spec.weights.MtpWeights;
import org.dsv32.spec.weights.MlpWeights;
import org.dsv32.spec.weights.MoeWeights;
import org.dsv32.spec.weights.ScaleFormat;
import org.dsv32.spec.weights.Weight;

/**
 * Seeded heap weights in the checkpoint's formats: FP8 block-scaled (128x128 blocks, ragged edges, ue8m0 or plain
 * scales, quantised from Gaussian values the way a converter does: s = amax/448 per block) and dense bf16 / fp32.
 * Names follow the Hugging Face checkpoint (spec/SEMANTICS.md §11) so failures name a real tensor. Stateless.
 */
public final class RandomWeights {
    private RandomWeights() {}

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** An FP8 weight [rows][cols] whose dequantised entries are about N(0, std²). */
    public static Fp8BlockWeight fp8(SplittableRandom rng, String name, int rows, int cols, double std, ScaleFormat scales) {
        int sr = Fp8BlockWeight.scaleRows(rows, 128), sc = Fp8BlockWeight.scaleCols(cols, 128);
        double[] v = new double[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = RandomInputs.gauss(rng) * std;
        MemorySegment codes = MemorySegment.ofArray(new byte[rows * cols]);
        MemorySegment s = MemorySegment.ofArray(new byte[4 * sr * sc]);
        for (int br = 0; br < sr; br++) {
            for (int bc = 0; bc < sc; bc++) {
                double amax = 0;
                for (int r = br * 128; r < Math.min(rows, (br + 1) * 128); r++)
                    for (int c = bc * 128; c < Math.min(cols, (bc + 1) * 128); c++) amax = Math.max(amax, Math.abs(v[r * cols + c]));
                float scale = (float) (Math.max(amax, 1e-12) / E4M3.MAX);
                if (scales == ScaleFormat.UE8M0) scale = UE8M0.roundUp(scale);
                s.set(F32, 4L * (br * sc + bc), scale);
                for (int r = br * 128; r < Math.min(rows, (br + 1) * 128); r++)
                    for (int c = bc * 128; c < Math.min(cols, (bc + 1) * 128); c++)
                        codes.set(ValueLayout.JAVA_BYTE, (long) r * cols + c, E4M3.encode(v[r * cols + c] / scale));
            }
        }
        return Fp8BlockWeight.of(name, codes, s, rows, cols);
    }

    /** A dense fp32 weight with N(mean, std²) entries. */
    public static DenseWeight fp32(SplittableRandom rng, String name, int rows, int cols, double mean, double std) {
        float[] f = new float[rows * cols];
        for (int i = 0; i < f.length; i++) f[i] = (float) (mean + RandomInputs.gauss(rng) * std);
        return DenseWeight.ofFloats(name, f, rows, cols);
    }

    /** A dense bf16 weight with N(mean, std²) entries (norm weights, router, weights_proj, embeddings). */
    public static DenseWeight bf16(SplittableRandom rng, String name, int rows, int cols, double mean, double std) {
        MemorySegment seg = MemorySegment.ofArray(new byte[2 * rows * cols]);
        for (int i = 0; i < rows * cols; i++) seg.set(I16, 2L * i, BF16.fromDouble(mean + RandomInputs.gauss(rng) * std));
        return new DenseWeight(name, seg, DType.BF16, rows, cols);
    }

    /** A 1-D bf16 norm weight around 1. */
    public static DenseWeight normWeight(SplittableRandom rng, String name, int n) { return bf16(rng, name, 1, n, 1.0, 0.1); }

    /** A linear weight [n][k] with std 1/sqrt(k) (outputs about as large as inputs). */
    public static Weight linear(SplittableRandom rng, String name, int n, int k, boolean fp8, ScaleFormat scales) {
        double std = 1 / Math.sqrt(k);
        return fp8 ? fp8(rng, name, n, k, std, scales) : bf16(rng, name, n, k, 0, std);
    }

    /** The SwiGLU weights {@code prefix}.gate_proj / up_proj / down_proj, FP8. */
    public static MlpWeights mlp(SplittableRandom rng, String prefix, int d, int inter, ScaleFormat scales) {
        return new MlpWeights(linear(rng, prefix + ".gate_proj.weight", inter, d, true, scales),
                linear(rng, prefix + ".up_proj.weight", inter, d, true, scales),
                linear(rng, prefix + ".down_proj.weight", d, inter, true, scales));
    }

    /** An MoE layer: bf16 router (logits about N(0, 1) for unit inputs), fp32 bias, FP8 experts and shared expert. */
    public static MoeWeights moe(SplittableRandom rng, ModelConfig c, int layer, ScaleFormat scales, double biasStd) {
        String p = "model.layers." + layer + ".mlp.";
        int d = c.hiddenSize();
        Weight router = bf16(rng, p + "gate.weight", c.nRoutedExperts(), d, 0, 1 / Math.sqrt(d));
        Weight bias = fp32(rng, p + "gate.e_score_correction_bias", 1, c.nRoutedExperts(), 0, biasStd);
        List<MlpWeights> experts = new ArrayList<>();
        for (int e = 0; e < c.nRoutedExperts(); e++) experts.add(mlp(rng, p + "experts." + e, d, c.moeIntermediateSize(), scales));
        MlpWeights shared = mlp(rng, p + "shared_experts", d, c.moeIntermediateSize() * Math.max(1, c.nSharedExperts()), scales);
        return new MoeWeights(router, bias, experts, shared);
    }

    /** The indexer of a layer: FP8 wq_b and wk, bf16 k_norm and weights_proj. */
    public static IndexerWeights indexer(SplittableRandom rng, ModelConfig c, int layer, ScaleFormat scales) {
        String p = "model.layers." + layer + ".self_attn.indexer.";
        int hd = c.indexNHeads() * c.indexHeadDim();
        return new IndexerWeights(
                linear(rng, p + "wq_b.weight", hd, c.qLoraRank(), true, scales),
                linear(rng, p + "wk.weight", c.indexHeadDim(), c.hiddenSize(), true, scales),
                normWeight(rng, p + "k_norm.weight", c.indexHeadDim()),
                bf16(rng, p + "k_norm.bias", 1, c.indexHeadDim(), 0, 0.1),
                bf16(rng, p + "weights_proj.weight", c.indexNHeads(), c.hiddenSize(), 0, 1 / Math.sqrt(c.hiddenSize())));
    }

    /** A decoder block: the two norms, attention and a dense MLP or (from first_k_dense_replace on) an MoE. */
    public static LayerWeights layer(SplittableRandom rng, ModelConfig c, int index, ScaleFormat scales) {
        String p = "model.layers." + index + ".";
        boolean moe = c.isMoeLayer(index);
        return new LayerWeights(index, normWeight(rng, p + "input_layernorm.weight", c.hiddenSize()),
                normWeight(rng, p + "post_attention_layernorm.weight", c.hiddenSize()), attention(rng, c, index, scales),
                moe ? null : mlp(rng, p + "mlp", c.hiddenSize(), c.intermediateSize(), scales),
                moe ? moe(rng, c, index, scales, 0.1) : null);
    }

    /** A whole model: bf16 embedding and LM head, every layer, the final norm and the MTP modules (their head shared). */
    public static ModelWeights model(SplittableRandom rng, ModelConfig c, ScaleFormat scales) {
        int d = c.hiddenSize();
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) layers.add(layer(rng, c, i, scales));
        List<MtpWeights> mtp = new ArrayList<>();
        for (int j = 0; j < c.numNextnPredictLayers(); j++) {
            int i = c.numHiddenLayers() + j;
            String p = "model.layers." + i + ".";
            mtp.add(new MtpWeights(normWeight(rng, p + "enorm.weight", d), normWeight(rng, p + "hnorm.weight", d),
                    bf16(rng, p + "eh_proj.weight", d, 2 * d, 0, 1 / Math.sqrt(2 * d)), layer(rng, c, i, scales),
                    normWeight(rng, p + "shared_head.norm.weight", d), null));
        }
        return new ModelWeights(c, bf16(rng, "model.embed_tokens.weight", c.vocabSize(), d, 0, 1),
                layers, normWeight(rng, "model.norm.weight", d), bf16(rng, "lm_head.weight", c.vocabSize(), d, 0, 1 / Math.sqrt(d)), mtp);
    }

    /** MLA attention of a layer with its indexer; kv_a_proj_with_mqa has kv_lora + rope rows (576: ragged blocks). */
    public static AttentionWeights attention(SplittableRandom rng, ModelConfig c, int layer, ScaleFormat scales) {
        String p = "model.layers." + layer + ".self_attn.";
        int d = c.hiddenSize(), h = c.numAttentionHeads();
        return new AttentionWeights(
                linear(rng, p + "q_a_proj.weight", c.qLoraRank(), d, true, scales),
                normWeight(rng, p + "q_a_layernorm.weight", c.qLoraRank()),
                linear(rng, p + "q_b_proj.weight", h * c.qkHeadDim(), c.qLoraRank(), true, scales),
                linear(rng, p + "kv_a_proj_with_mqa.weight", c.kvCacheWidth(), d, true, scales),
                normWeight(rng, p + "kv_a_layernorm.weight", c.kvLoraRank()),
                linear(rng, p + "kv_b_proj.weight", h * (c.qkNopeHeadDim() + c.vHeadDim()), c.kvLoraRank(), true, scales),
                linear(rng, p + "o_proj.weight", d, h * c.vHeadDim(), true, scales),
                indexer(rng, c, layer, scales));
    }
}
