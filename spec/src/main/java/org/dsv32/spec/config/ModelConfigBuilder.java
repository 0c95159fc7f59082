package org.dsv32.spec.config;

/**
 * Builds a {@link ModelConfig} by name rather than by position (thirty components, most of them adjacent ints):
 * {@code ModelConfig.builder().hiddenSize(256)...build()}, or {@code config.toBuilder().indexTopk(4).build()} for a
 * variant of an existing configuration. Every component must be set before {@link #build()}, except
 * {@code rope_scaling} (none when unset) and {@code quantization_config} (null: a model without one), which are
 * optional in config.json too; {@link #build()} names the first missing key. Not thread-safe.
 */
public final class ModelConfigBuilder {
    private Integer vocabSize;
    private Integer hiddenSize;
    private Integer intermediateSize;
    private Integer moeIntermediateSize;
    private Integer numHiddenLayers;
    private Integer numNextnPredictLayers;
    private Integer firstKDenseReplace;
    private Integer numAttentionHeads;
    private Integer qLoraRank;
    private Integer kvLoraRank;
    private Integer qkNopeHeadDim;
    private Integer qkRopeHeadDim;
    private Integer vHeadDim;
    private Integer nRoutedExperts;
    private Integer numExpertsPerTok;
    private Integer nGroup;
    private Integer topkGroup;
    private Integer nSharedExperts;
    private String scoringFunc;
    private String topkMethod;
    private Boolean normTopkProb;
    private Double routedScalingFactor;
    private Integer indexNHeads;
    private Integer indexHeadDim;
    private Integer indexTopk;
    private Double ropeTheta;
    private RopeScaling ropeScaling = RopeScaling.none();
    private Double rmsNormEps;
    private Integer maxPositionEmbeddings;
    private QuantizationConfig quantization;

    ModelConfigBuilder() {}

    /** A builder holding every component of {@code c}. */
    static ModelConfigBuilder of(ModelConfig c) {
        return new ModelConfigBuilder()
                .vocabSize(c.vocabSize())
                .hiddenSize(c.hiddenSize())
                .intermediateSize(c.intermediateSize())
                .moeIntermediateSize(c.moeIntermediateSize())
                .numHiddenLayers(c.numHiddenLayers())
                .numNextnPredictLayers(c.numNextnPredictLayers())
                .firstKDenseReplace(c.firstKDenseReplace())
                .numAttentionHeads(c.numAttentionHeads())
                .qLoraRank(c.qLoraRank())
                .kvLoraRank(c.kvLoraRank())
                .qkNopeHeadDim(c.qkNopeHeadDim())
                .qkRopeHeadDim(c.qkRopeHeadDim())
                .vHeadDim(c.vHeadDim())
                .nRoutedExperts(c.nRoutedExperts())
                .numExpertsPerTok(c.numExpertsPerTok())
                .nGroup(c.nGroup())
                .topkGroup(c.topkGroup())
                .nSharedExperts(c.nSharedExperts())
                .scoringFunc(c.scoringFunc())
                .topkMethod(c.topkMethod())
                .normTopkProb(c.normTopkProb())
                .routedScalingFactor(c.routedScalingFactor())
                .indexNHeads(c.indexNHeads())
                .indexHeadDim(c.indexHeadDim())
                .indexTopk(c.indexTopk())
                .ropeTheta(c.ropeTheta())
                .ropeScaling(c.ropeScaling())
                .rmsNormEps(c.rmsNormEps())
                .maxPositionEmbeddings(c.maxPositionEmbeddings())
                .quantization(c.quantization());
    }

    /** vocab_size. */
    public ModelConfigBuilder vocabSize(int v) { this.vocabSize = v; return this; }

    /** hidden_size. */
    public ModelConfigBuilder hiddenSize(int v) { this.hiddenSize = v; return this; }

    /** intermediate_size. */
    public ModelConfigBuilder intermediateSize(int v) { this.intermediateSize = v; return this; }

    /** moe_intermediate_size. */
    public ModelConfigBuilder moeIntermediateSize(int v) { this.moeIntermediateSize = v; return this; }

    /** num_hidden_layers. */
    public ModelConfigBuilder numHiddenLayers(int v) { this.numHiddenLayers = v; return this; }

    /** num_nextn_predict_layers. */
    public ModelConfigBuilder numNextnPredictLayers(int v) { this.numNextnPredictLayers = v; return this; }

    /** first_k_dense_replace. */
    public ModelConfigBuilder firstKDenseReplace(int v) { this.firstKDenseReplace = v; return this; }

    /** num_attention_heads. */
    public ModelConfigBuilder numAttentionHeads(int v) { this.numAttentionHeads = v; return this; }

    /** q_lora_rank. */
    public ModelConfigBuilder qLoraRank(int v) { this.qLoraRank = v; return this; }

    /** kv_lora_rank. */
    public ModelConfigBuilder kvLoraRank(int v) { this.kvLoraRank = v; return this; }

    /** qk_nope_head_dim. */
    public ModelConfigBuilder qkNopeHeadDim(int v) { this.qkNopeHeadDim = v; return this; }

    /** qk_rope_head_dim. */
    public ModelConfigBuilder qkRopeHeadDim(int v) { this.qkRopeHeadDim = v; return this; }

    /** v_head_dim. */
    public ModelConfigBuilder vHeadDim(int v) { this.vHeadDim = v; return this; }

    /** n_routed_experts. */
    public ModelConfigBuilder nRoutedExperts(int v) { this.nRoutedExperts = v; return this; }

    /** num_experts_per_tok. */
    public ModelConfigBuilder numExpertsPerTok(int v) { this.numExpertsPerTok = v; return this; }

    /** n_group. */
    public ModelConfigBuilder nGroup(int v) { this.nGroup = v; return this; }

    /** topk_group. */
    public ModelConfigBuilder topkGroup(int v) { this.topkGroup = v; return this; }

    /** n_shared_experts. */
    public ModelConfigBuilder nSharedExperts(int v) { this.nSharedExperts = v; return this; }

    /** scoring_func. */
    public ModelConfigBuilder scoringFunc(String v) { this.scoringFunc = v; return this; }

    /** topk_method. */
    public ModelConfigBuilder topkMethod(String v) { this.topkMethod = v; return this; }

    /** norm_topk_prob. */
    public ModelConfigBuilder normTopkProb(boolean v) { this.normTopkProb = v; return this; }

    /** routed_scaling_factor. */
    public ModelConfigBuilder routedScalingFactor(double v) { this.routedScalingFactor = v; return this; }

    /** index_n_heads. */
    public ModelConfigBuilder indexNHeads(int v) { this.indexNHeads = v; return this; }

    /** index_head_dim. */
    public ModelConfigBuilder indexHeadDim(int v) { this.indexHeadDim = v; return this; }

    /** index_topk. */
    public ModelConfigBuilder indexTopk(int v) { this.indexTopk = v; return this; }

    /** rope_theta. */
    public ModelConfigBuilder ropeTheta(double v) { this.ropeTheta = v; return this; }

    /** rope_scaling. */
    public ModelConfigBuilder ropeScaling(RopeScaling v) { this.ropeScaling = v; return this; }

    /** rms_norm_eps. */
    public ModelConfigBuilder rmsNormEps(double v) { this.rmsNormEps = v; return this; }

    /** max_position_embeddings. */
    public ModelConfigBuilder maxPositionEmbeddings(int v) { this.maxPositionEmbeddings = v; return this; }

    /** quantization_config. */
    public ModelConfigBuilder quantization(QuantizationConfig v) { this.quantization = v; return this; }

    /** The configuration; an {@link IllegalStateException} naming the config.json key of the first component not set. */
    public ModelConfig build() {
        return new ModelConfig(
                require(vocabSize, "vocab_size"),
                require(hiddenSize, "hidden_size"),
                require(intermediateSize, "intermediate_size"),
                require(moeIntermediateSize, "moe_intermediate_size"),
                require(numHiddenLayers, "num_hidden_layers"),
                require(numNextnPredictLayers, "num_nextn_predict_layers"),
                require(firstKDenseReplace, "first_k_dense_replace"),
                require(numAttentionHeads, "num_attention_heads"),
                require(qLoraRank, "q_lora_rank"),
                require(kvLoraRank, "kv_lora_rank"),
                require(qkNopeHeadDim, "qk_nope_head_dim"),
                require(qkRopeHeadDim, "qk_rope_head_dim"),
                require(vHeadDim, "v_head_dim"),
                require(nRoutedExperts, "n_routed_experts"),
                require(numExpertsPerTok, "num_experts_per_tok"),
                require(nGroup, "n_group"),
                require(topkGroup, "topk_group"),
                require(nSharedExperts, "n_shared_experts"),
                require(scoringFunc, "scoring_func"),
                require(topkMethod, "topk_method"),
                require(normTopkProb, "norm_topk_prob"),
                require(routedScalingFactor, "routed_scaling_factor"),
                require(indexNHeads, "index_n_heads"),
                require(indexHeadDim, "index_head_dim"),
                require(indexTopk, "index_topk"),
                require(ropeTheta, "rope_theta"),
                ropeScaling,
                require(rmsNormEps, "rms_norm_eps"),
                require(maxPositionEmbeddings, "max_position_embeddings"),
                quantization);
    }

    private static <T> T require(T value, String key) {
        if (value == null) throw new IllegalStateException("ModelConfig builder: " + key + " is not set");
        return value;
    }
}
