package org.dsv32.reference;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.QuantizationConfig;
import org.dsv32.spec.config.RopeScaling;
import org.dsv32.spec.format.BF16;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.AttentionWeights;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.IndexerWeights;

/**
 * Small MLA + indexer layers for the attention tests: a V3.2-shaped configuration with tiny dimensions (hidden 128,
 * latents 128, nope/rope/v 64, indexer 4 heads x 128, YaRN factor 40 so that mscale^2 is far from 1, ue8m0
 * activation scales) and seeded random weights stored the way the checkpoint stores them: FP8 128x128 blocks for
 * the projections (realistic Gaussian weights quantised per block), bf16 for the indexer weights projection, fp32
 * norms.
 */
final class MlaFixture {
    private MlaFixture() {}

    static final int HIDDEN = 128;

    /**
     * The reference's MLA output against another float64 evaluation of the same attention (the other algebraic form,
     * a decode step, the test's dense oracle), relative to the output's largest |value|: the chain q_a, q_b, kv_a,
     * kv_b (or the absorbed W_uk), the logits over kv_lora + rope, the softmax (which amplifies logit errors by
     * sqrt(2) times their rms, Tolerances.MLA_LOGIT_RMS), the sum over at most 8 keys, W_uv and o_proj over up to
     * 4 heads x 64.
     */
    static final double MLA_TOL = KernelTolerances.float64Chain(HIDDEN, 128, HIDDEN, 128, 128 + 64, 8, 128, 4 * 64)
            * Math.sqrt(2) * Tolerances.MLA_LOGIT_RMS;

    /**
     * The reference's indexer scores against another float64 evaluation, relative to the largest |score|: wq_b and
     * wk, the LayerNorm, the Hadamard transform and the q.k dot product (128 each), weights_proj over the hidden
     * size, and the sum over 4 heads.
     */
    static final double INDEXER_TOL = KernelTolerances.float64Chain(128, HIDDEN, 128, 128, 128, HIDDEN, 4);
    static final Backend REFERENCE = new ReferenceBackend();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The small configuration: {@code heads} MLA heads, 4 indexer heads, the given index top-k. */
    static ModelConfig config(int heads, int indexTopk) {
        return ModelConfig.builder()
                .vocabSize(64).hiddenSize(HIDDEN).intermediateSize(256).moeIntermediateSize(128)
                .numHiddenLayers(1).numNextnPredictLayers(0).firstKDenseReplace(1)
                .numAttentionHeads(heads).qLoraRank(128).kvLoraRank(128)
                .qkNopeHeadDim(64).qkRopeHeadDim(64).vHeadDim(64)
                .nRoutedExperts(4).numExpertsPerTok(2).nGroup(1).topkGroup(1).nSharedExperts(1)
                .scoringFunc("sigmoid").topkMethod("noaux_tc").normTopkProb(true).routedScalingFactor(2.5)
                .indexNHeads(4).indexHeadDim(128).indexTopk(indexTopk)
                .ropeTheta(10000.0).ropeScaling(RopeScaling.deepseekV32()).rmsNormEps(1e-6)
                .maxPositionEmbeddings(163840).quantization(QuantizationConfig.deepseekV32())
                .build();
    }

    static OpContext exact(ModelConfig c) { return new OpContext(c, PrecisionMode.EXACT); }

    static OpContext fp8(ModelConfig c) { return new OpContext(c, PrecisionMode.FP8); }

    static ReferenceMla mla(OpContext ctx) { return (ReferenceMla) REFERENCE.require(org.dsv32.spec.ops.MlaAttentionOp.class, ctx); }

    static ReferenceIndexer indexer(OpContext ctx) { return (ReferenceIndexer) REFERENCE.require(org.dsv32.spec.ops.IndexerOp.class, ctx); }

    /** Random weights of one attention layer for {@code c}. */
    static AttentionWeights weights(ModelConfig c, long seed) {
        Random rnd = new Random(seed);
        int d = c.hiddenSize(), h = c.numAttentionHeads();
        IndexerWeights indexer = new IndexerWeights(
                fp8Gaussian("indexer.wq_b", c.indexNHeads() * c.indexHeadDim(), c.qLoraRank(), rnd),
                fp8Gaussian("indexer.wk", c.indexHeadDim(), d, rnd),
                vector("indexer.k_norm.weight", c.indexHeadDim(), 1.0, 0.1, rnd),
                vector("indexer.k_norm.bias", c.indexHeadDim(), 0.0, 0.1, rnd),
                bf16Gaussian("indexer.weights_proj", c.indexNHeads(), d, rnd));
        return new AttentionWeights(
                fp8Gaussian("q_a_proj", c.qLoraRank(), d, rnd),
                vector("q_a_layernorm", c.qLoraRank(), 1.0, 0.1, rnd),
                fp8Gaussian("q_b_proj", h * c.qkHeadDim(), c.qLoraRank(), rnd),
                fp8Gaussian("kv_a_proj_with_mqa", c.kvLoraRank() + c.qkRopeHeadDim(), d, rnd),
                vector("kv_a_layernorm", c.kvLoraRank(), 1.0, 0.1, rnd),
                fp8Gaussian("kv_b_proj", h * (c.qkNopeHeadDim() + c.vHeadDim()), c.kvLoraRank(), rnd),
                fp8Gaussian("o_proj", d, h * c.vHeadDim(), rnd),
                indexer);
    }

    /** The attention input: rows of N(0, 1) entries, as after the block's input RMSNorm. */
    static TensorF64 input(int tokens, long seed) {
        Random rnd = new Random(seed);
        TensorF64 x = TensorF64.zeros(tokens, HIDDEN);
        for (int i = 0; i < x.size(); i++) x.setFlat(i, rnd.nextGaussian());
        return x;
    }

    /** Rows [from, to) of x as a new tensor. */
    static TensorF64 rows(TensorF64 x, int from, int to) {
        TensorF64 out = TensorF64.zeros(to - from, x.cols());
        for (int r = from; r < to; r++) for (int c = 0; c < x.cols(); c++) out.put(r - from, c, x.at(r, c));
        return out;
    }

    /**
     * W[rows][cols] with N(0, 1/cols) entries stored as FP8 blocks: per 128x128 block the fp32 scale amax/448 and the
     * e4m3 codes of W / scale (what a converter does), so the dequantised weight is close to the Gaussian one.
     */
    static Fp8BlockWeight fp8Gaussian(String name, int rows, int cols, Random rnd) {
        double std = 1 / Math.sqrt(cols);
        double[] w = new double[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = std * rnd.nextGaussian();
        return fp8(name, w, rows, cols);
    }

    /** FP8 block storage of w [rows][cols] (row-major), one fp32 scale amax/448 per 128x128 block. */
    static Fp8BlockWeight fp8(String name, double[] w, int rows, int cols) {
        int sr = Fp8BlockWeight.scaleRows(rows, 128), sc = Fp8BlockWeight.scaleCols(cols, 128);
        byte[] codes = new byte[rows * cols];
        MemorySegment scales = MemorySegment.ofArray(new byte[4 * sr * sc]);
        for (int br = 0; br < sr; br++) {
            for (int bc = 0; bc < sc; bc++) {
                double amax = 0;
                for (int r = br * 128; r < Math.min(rows, br * 128 + 128); r++)
                    for (int k = bc * 128; k < Math.min(cols, bc * 128 + 128); k++) amax = Math.max(amax, Math.abs(w[r * cols + k]));
                float s = amax == 0 ? 1f : (float) (amax / E4M3.MAX);
                scales.set(F32, 4L * (br * sc + bc), s);
                for (int r = br * 128; r < Math.min(rows, br * 128 + 128); r++)
                    for (int k = bc * 128; k < Math.min(cols, bc * 128 + 128); k++) codes[r * cols + k] = E4M3.encode(w[r * cols + k] / s);
            }
        }
        return Fp8BlockWeight.of(name, MemorySegment.ofArray(codes), scales, rows, cols);
    }

    /** A bf16 weight [rows][cols] with N(0, 1/cols) entries. */
    static DenseWeight bf16Gaussian(String name, int rows, int cols, Random rnd) {
        double std = 1 / Math.sqrt(cols);
        MemorySegment seg = MemorySegment.ofArray(new byte[2 * rows * cols]);
        for (int i = 0; i < rows * cols; i++) seg.set(I16, 2L * i, BF16.fromDouble(std * rnd.nextGaussian()));
        return new DenseWeight(name, seg, DType.BF16, rows, cols);
    }

    /** A fp32 vector of {@code n} entries mean + spread * N(0, 1). */
    static DenseWeight vector(String name, int n, double mean, double spread, Random rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (mean + spread * rnd.nextGaussian());
        return DenseWeight.ofFloats(name, v, 1, n);
    }

    /** A fp32 vector holding exactly {@code values}. */
    static DenseWeight vector(String name, double... values) {
        float[] v = new float[values.length];
        for (int i = 0; i < v.length; i++) v[i] = (float) values[i];
        return DenseWeight.ofFloats(name, v, 1, v.length);
    }

    /** An FP8 weight whose entries are all zero. */
    static Fp8BlockWeight zeros(String name, int rows, int cols) {
        return fp8(name, new double[rows * cols], rows, cols);
    }

    /** Max |a - b| over max |b| (or the absolute difference when b is all zero). */
    static double relativeError(TensorF64 a, TensorF64 b) {
        double diff = 0, scale = 0;
        for (int i = 0; i < b.size(); i++) {
            diff = Math.max(diff, Math.abs(a.getFlat(i) - b.getFlat(i)));
            scale = Math.max(scale, Math.abs(b.getFlat(i)));
        }
        return scale == 0 ? diff : diff / scale;
    }
}
