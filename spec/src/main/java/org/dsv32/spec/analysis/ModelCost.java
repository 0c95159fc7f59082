package org.dsv32.spec.analysis;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import org.dsv32.spec.checkpoint.Role;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.QuantizationConfig;

/**
 * Parameters, checkpoint bytes, KV cache, attention work and FLOPs of a DeepSeek-V3.x configuration, computed by
 * formula from the configuration alone (not from a checkpoint, so tests can check one against the other).
 *
 * <p>Conventions:
 * <ul>
 * <li><b>Parameters</b> are weight elements; block scales ({@code weight_scale_inv}) are bytes, not parameters.
 * <li><b>Total</b> is the main model: input embedding, the {@code num_hidden_layers} blocks, final norm and
 *     {@code lm_head}; the MTP layers are counted separately, as stored in the checkpoint (each with its copies of the
 *     embedding and head, which is how 671B + 14B = 685B on the model card arises). {@link #mtpUniqueParams} leaves
 *     the two copies out.
 * <li><b>Activated</b> per token: attention and indexer of every layer, the dense FFN layers, per MoE layer the top-k
 *     routed experts plus the shared experts plus the router (it scores every expert), all norms and {@code lm_head};
 *     "with embedding" adds the whole input embedding matrix, as counts that include it do, although a token reads
 *     one row of it.
 * <li><b>FLOPs</b> count a multiply-add as 2. A linear layer costs 2 x its activated parameters per token (the
 *     embedding is a lookup: 0). Attention per query-key pair costs 2 H (2 kv_lora_rank + rope) in the absorbed (MQA)
 *     form that DSA's sparse kernel and decoding use, or 2 H (qk_head_dim + v_head_dim) in the naive (MHA) form;
 *     softmax and the indexer's ReLU and head weighting (O(heads) per pair) are left out.
 * <li><b>Attention work at context N</b> is for a prefill of N tokens: dense causal attention has N(N+1)/2 pairs per
 *     layer, DSA sum over t of min(t, top-k); the indexer scores all N(N+1)/2 causal pairs with
 *     index_n_heads x index_head_dim multiply-adds each, in FP8. Pair counts are per layer; FLOPs are summed over the
 *     main layers.
 * <li><b>KV cache</b> per token counts the main layers: MLA caches kv_lora_rank + rope elements per layer; standard
 *     multi-head attention with the same heads would cache K and V for every head, H (qk_head_dim + v_head_dim)
 *     elements (2 x H x head_dim when K and V have the same head dim). The FP8 cache layout stores the latent as
 *     e4m3 with one fp32 scale per 128 values and the rope part in bf16 (512 + 16 + 128 = 656 bytes for V3.2). The
 *     indexer's key cache (index_head_dim e4m3 plus one fp32 scale) is reported separately.
 * </ul>
 */
public final class ModelCost {
    /** The context length the analysis uses by default. */
    public static final long DEFAULT_CONTEXT = 131072;

    private final ModelConfig c;
    private final Tally main, mtp, active;

    public ModelCost(ModelConfig config) {
        this.c = config;
        this.main = mainTally();
        this.mtp = mtpTally();
        this.active = activeTally();
    }

    public static ModelCost of(ModelConfig config) { return new ModelCost(config); }

    public ModelConfig config() { return c; }

    /** Parameters by role. */
    public record Breakdown(Map<Role, Long> byRole) {
        public Breakdown {
            byRole = Collections.unmodifiableMap(new EnumMap<>(byRole));
        }

        public long get(Role r) { return byRole.getOrDefault(r, 0L); }

        public long total() { return byRole.values().stream().mapToLong(Long::longValue).sum(); }
    }

    /** Checkpoint bytes: FP8 codes, their fp32 block scales, bf16 tensors and fp32 tensors (the router bias). */
    public record Bytes(long fp8, long scales, long bf16, long f32) {
        public long nonFp8() { return scales + bf16 + f32; }

        public long total() { return fp8 + nonFp8(); }

        Bytes plus(Bytes o) { return new Bytes(fp8 + o.fp8, scales + o.scales, bf16 + o.bf16, f32 + o.f32); }
    }

    /** Attention work for a prefill of {@code context} tokens (see the class comment). */
    public record AttentionWork(long context, int layers, long pairsDense, long pairsSparse, long indexerPairs,
                                double flopsPerPairMqa, double flopsPerPairMha, double indexerFlopsPerPair,
                                double flopsDense, double flopsSparse, double indexerFlops,
                                double flopsDenseMha, double flopsSparseMha) {
        /** Net saving of DSA, the indexer included, with attention in the absorbed form: 1 - (sparse + indexer) / dense. */
        public double savingPercent() { return 100 * (1 - (flopsSparse + indexerFlops) / flopsDense); }

        /** The same with attention in the naive (MHA) form, where each pair is cheaper and the indexer weighs more. */
        public double savingPercentMha() { return 100 * (1 - (flopsSparseMha + indexerFlops) / flopsDenseMha); }

        /** Saving in query-key pairs alone, ignoring the indexer: what headlines often quote. */
        public double pairSavingPercent() { return 100 * (1 - (double) pairsSparse / pairsDense); }
    }

    /** Memory traffic of one decode step at batch 1 with {@code context} keys in the cache. */
    public record DecodeTraffic(long context, long weightBytes, long cacheReadBytesSparse, long cacheReadBytesDense,
                                long cacheWriteBytes) {
        public long totalSparse() { return weightBytes + cacheReadBytesSparse + cacheWriteBytes; }

        public long totalDense() { return weightBytes + cacheReadBytesDense + cacheWriteBytes; }
    }

    // ---- parameters ----

    public Breakdown mainBreakdown() { return main.breakdown(); }

    public Breakdown mtpBreakdown() { return mtp.breakdown(); }

    /** Activated parameters per token by role; the EMBEDDING entry is the whole input embedding matrix. */
    public Breakdown activeBreakdown() { return active.breakdown(); }

    /** The main model, embedding and lm_head included, MTP excluded. */
    public long totalParams() { return main.params(); }

    /** The MTP layers as stored, with their copies of the embedding and head. */
    public long mtpParams() { return mtp.params(); }

    /** The MTP layers without their copies of the embedding and head (shared with the main model). */
    public long mtpUniqueParams() { return mtp.params() - mtp.get(Role.EMBEDDING) - mtp.get(Role.HEAD); }

    /** Activated per token, without the input embedding. */
    public long activeParams() { return active.params() - active.get(Role.EMBEDDING); }

    /** Activated per token, with the input embedding matrix. */
    public long activeParamsWithEmbedding() { return active.params(); }

    // ---- checkpoint bytes ----

    public Bytes mainBytes() { return main.bytes(); }

    public Bytes mtpBytes() { return mtp.bytes(); }

    public Bytes checkpointBytes() { return main.bytes().plus(mtp.bytes()); }

    // ---- KV cache ----

    /** MLA latent per token and layer: kv_lora_rank + qk_rope_head_dim (576 for V3.2). */
    public long kvCacheElementsPerTokenPerLayer() { return (long) c.kvLoraRank() + c.qkRopeHeadDim(); }

    /** What multi-head attention with the same heads caches per token and layer: H (qk_head_dim + v_head_dim). */
    public long mhaKvElementsPerTokenPerLayer() { return (long) c.numAttentionHeads() * (c.qkHeadDim() + c.vHeadDim()); }

    /** 100 (1 - MLA / MHA) elements. */
    public double kvReductionPercent() { return 100 * (1 - (double) kvCacheElementsPerTokenPerLayer() / mhaKvElementsPerTokenPerLayer()); }

    /** MLA cache of all main layers in bf16, bytes per token. */
    public long kvCacheBytesPerTokenBf16() { return 2L * kvCacheElementsPerTokenPerLayer() * c.numHiddenLayers(); }

    /** FP8 cache layout per layer: kv_lora_rank e4m3 + one fp32 scale per 128 + rope in bf16 (656 for V3.2). */
    public long fp8KvBytesPerTokenPerLayer() {
        return c.kvLoraRank() + 4L * ceilDiv(c.kvLoraRank(), 128) + 2L * c.qkRopeHeadDim();
    }

    /** MLA cache of all main layers in the FP8 layout, bytes per token. */
    public long kvCacheBytesPerTokenFp8() { return fp8KvBytesPerTokenPerLayer() * c.numHiddenLayers(); }

    /** Multi-head attention's cache of all main layers in bf16, bytes per token. */
    public long mhaKvBytesPerTokenBf16() { return 2L * mhaKvElementsPerTokenPerLayer() * c.numHiddenLayers(); }

    /** The indexer's key cache: index_head_dim e4m3 + one fp32 scale per layer, bytes per token (0 without an indexer). */
    public long indexerCacheBytesPerToken() {
        return c.indexNHeads() > 0 ? (c.indexHeadDim() + 4L) * c.numHiddenLayers() : 0;
    }

    // ---- attention work and FLOPs ----

    public boolean hasIndexer() { return c.indexNHeads() > 0; }

    /** Keys each query attends to at most: index_topk with an indexer, unbounded without. */
    private long topk() { return hasIndexer() ? c.indexTopk() : Long.MAX_VALUE; }

    /** Attention work of a prefill of {@code n} tokens. */
    public AttentionWork attention(long n) {
        if (n < 1) throw new IllegalArgumentException("context must be at least 1, got " + n);
        long dense = n * (n + 1) / 2;
        long k = Math.min(topk(), n);
        long sparse = k * (k + 1) / 2 + (n - k) * k; // sum over t = 1..n of min(t, k)
        long indexerPairs = hasIndexer() ? dense : 0;
        int layers = c.numHiddenLayers();
        double mqa = flopsPerPairMqa(), mha = flopsPerPairMha(), idx = indexerFlopsPerPair();
        return new AttentionWork(n, layers, dense, sparse, indexerPairs, mqa, mha, idx,
                layers * mqa * dense, layers * mqa * sparse, layers * idx * indexerPairs,
                layers * mha * dense, layers * mha * sparse);
    }

    /** 2 H (2 kv_lora_rank + rope): q~ . c_kv, q_pe . k_pe and p c_kv per head (absorbed form). */
    public double flopsPerPairMqa() { return 2.0 * c.numAttentionHeads() * (2L * c.kvLoraRank() + c.qkRopeHeadDim()); }

    /** 2 H (qk_head_dim + v_head_dim): q . k and p v per head (naive form). */
    public double flopsPerPairMha() { return 2.0 * c.numAttentionHeads() * (c.qkHeadDim() + c.vHeadDim()); }

    /** 2 index_n_heads index_head_dim: the indexer's dot products for one query-key pair (0 without an indexer). */
    public double indexerFlopsPerPair() { return 2.0 * c.indexNHeads() * c.indexHeadDim(); }

    /** FLOPs of the linear layers for one token: 2 x activated parameters (embedding excluded: a lookup). */
    public double linearFlopsPerToken() { return 2.0 * activeParams(); }

    /** FLOPs of one decode step with {@code context} keys (the new token's included), DSA and indexer counted. */
    public double decodeFlopsPerToken(long context) {
        long k = Math.min(topk(), context);
        int layers = c.numHiddenLayers();
        return linearFlopsPerToken() + layers * (k * flopsPerPairMqa() + (hasIndexer() ? context * indexerFlopsPerPair() : 0));
    }

    /** The same step with dense attention over all {@code context} keys and no indexer. */
    public double decodeFlopsPerTokenDense(long context) {
        return linearFlopsPerToken() + c.numHiddenLayers() * context * flopsPerPairMqa();
    }

    /** FLOPs per token averaged over a prefill of {@code n} tokens (attention in the absorbed form, DSA and indexer). */
    public double prefillFlopsPerToken(long n) {
        AttentionWork w = attention(n);
        return linearFlopsPerToken() + (w.flopsSparse() + w.indexerFlops()) / n;
    }

    /**
     * Bytes moved by one decode step at batch 1: the activated weights once (one row of the embedding), the cache
     * entries read (DSA: the top-k MLA entries plus every indexer key; dense: every MLA entry), and the new entries.
     */
    public DecodeTraffic decodeTraffic(long context) {
        Bytes b = active.bytes();
        long weights = b.total() - 2L * c.vocabSize() * c.hiddenSize() + 2L * c.hiddenSize();
        int layers = c.numHiddenLayers();
        long mla = fp8KvBytesPerTokenPerLayer(), idx = indexerCacheBytesPerToken() / Math.max(1, layers);
        long sparse = layers * (Math.min(topk(), context) * mla + context * idx);
        long dense = layers * context * mla;
        return new DecodeTraffic(context, weights, sparse, dense, layers * (mla + idx));
    }

    // ---- the counting ----

    private Tally mainTally() {
        Tally t = new Tally(c.quantization());
        long d = c.hiddenSize(), v = c.vocabSize();
        int layers = c.numHiddenLayers();
        int dense = Math.min(c.firstKDenseReplace(), layers);
        if (c.nRoutedExperts() == 0) dense = layers;
        t.bf16(Role.EMBEDDING, v * d, 1);
        attentionAndNorms(t, layers);
        t.swiglu(Role.DENSE_FFN, d, c.intermediateSize(), dense);
        moe(t, c.nRoutedExperts(), layers - dense);
        t.bf16(Role.NORM, d, 1);
        t.bf16(Role.HEAD, v * d, 1);
        return t;
    }

    private Tally mtpTally() {
        Tally t = new Tally(c.quantization());
        long d = c.hiddenSize(), v = c.vocabSize();
        for (int k = 0; k < c.numNextnPredictLayers(); k++) {
            int layer = c.numHiddenLayers() + k;
            t.bf16(Role.EMBEDDING, v * d, 1);
            t.bf16(Role.NORM, 2 * d, 1); // enorm, hnorm
            t.bf16(Role.MTP_PROJECTION, 2 * d * d, 1);
            attentionAndNorms(t, 1);
            if (c.isMoeLayer(layer)) moe(t, c.nRoutedExperts(), 1);
            else t.swiglu(Role.DENSE_FFN, d, c.intermediateSize(), 1);
            t.bf16(Role.NORM, d, 1); // shared_head.norm
            t.bf16(Role.HEAD, v * d, 1);
        }
        return t;
    }

    private Tally activeTally() {
        Tally t = new Tally(c.quantization());
        long d = c.hiddenSize(), v = c.vocabSize();
        int layers = c.numHiddenLayers();
        int dense = c.nRoutedExperts() == 0 ? layers : Math.min(c.firstKDenseReplace(), layers);
        t.bf16(Role.EMBEDDING, v * d, 1);
        attentionAndNorms(t, layers);
        t.swiglu(Role.DENSE_FFN, d, c.intermediateSize(), dense);
        moe(t, c.numExpertsPerTok(), layers - dense);
        t.bf16(Role.NORM, d, 1);
        t.bf16(Role.HEAD, v * d, 1);
        return t;
    }

    /** Attention, indexer and every norm of {@code times} blocks. */
    private void attentionAndNorms(Tally t, long times) {
        long d = c.hiddenSize(), h = c.numAttentionHeads(), qr = c.qLoraRank(), kvr = c.kvLoraRank();
        t.linear(Role.ATTENTION, qr, d, times);
        t.linear(Role.ATTENTION, h * c.qkHeadDim(), qr, times);
        t.linear(Role.ATTENTION, kvr + c.qkRopeHeadDim(), d, times);
        t.linear(Role.ATTENTION, h * (c.qkNopeHeadDim() + c.vHeadDim()), kvr, times);
        t.linear(Role.ATTENTION, d, h * c.vHeadDim(), times);
        t.bf16(Role.NORM, 2 * d + qr + kvr, times); // input, post-attention, q_a and kv_a norms
        if (hasIndexer()) {
            long ih = c.indexNHeads(), id = c.indexHeadDim();
            t.linear(Role.INDEXER, ih * id, qr, times);
            t.linear(Role.INDEXER, id, d, times);
            t.bf16(Role.INDEXER, ih * d, times); // weights_proj
            t.bf16(Role.NORM, 2 * id, times); // k_norm weight and bias
        }
    }

    /** {@code times} MoE layers with {@code experts} routed experts each (all of them, or the activated top-k). */
    private void moe(Tally t, long experts, long times) {
        long d = c.hiddenSize();
        t.bf16(Role.GATE, (long) c.nRoutedExperts() * d, times);
        t.f32(Role.GATE, c.nRoutedExperts(), times);
        t.swiglu(Role.ROUTED_EXPERT, d, c.moeIntermediateSize(), experts * times);
        if (c.nSharedExperts() > 0) t.swiglu(Role.SHARED_EXPERT, d, (long) c.moeIntermediateSize() * c.nSharedExperts(), times);
    }

    private static long ceilDiv(long a, long b) { return (a + b - 1) / b; }

    /** Parameters by role and bytes by storage kind. */
    private static final class Tally {
        private final QuantizationConfig q;
        private final long[] params = new long[Role.values().length];
        private long fp8, scales, bf16, f32;

        Tally(QuantizationConfig q) { this.q = q; }

        /** {@code times} projections [n][k]: FP8 with block scales when quantised, else bf16. */
        void linear(Role r, long n, long k, long times) {
            long e = Math.multiplyExact(n * k, times);
            params[r.ordinal()] += e;
            if (q == null) {
                bf16 += 2 * e;
            } else {
                fp8 += e;
                scales += 4 * ceilDiv(n, q.blockRows()) * ceilDiv(k, q.blockCols()) * times;
            }
        }

        void swiglu(Role r, long d, long inner, long times) {
            linear(r, inner, d, times); // gate
            linear(r, inner, d, times); // up
            linear(r, d, inner, times); // down
        }

        void bf16(Role r, long elements, long times) {
            long e = Math.multiplyExact(elements, times);
            params[r.ordinal()] += e;
            bf16 += 2 * e;
        }

        void f32(Role r, long elements, long times) {
            long e = Math.multiplyExact(elements, times);
            params[r.ordinal()] += e;
            f32 += 4 * e;
        }

        long get(Role r) { return params[r.ordinal()]; }

        long params() {
            long s = 0;
            for (long p : params) s += p;
            return s;
        }

        Bytes bytes() { return new Bytes(fp8, scales, bf16, f32); }

        Breakdown breakdown() {
            Map<Role, Long> m = new EnumMap<>(Role.class);
            for (Role r : Role.values()) m.put(r, params[r.ordinal()]);
            return new Breakdown(m);
        }
    }
}
