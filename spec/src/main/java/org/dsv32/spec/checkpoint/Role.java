package org.dsv32.spec.checkpoint;

/**
 * What a checkpoint tensor belongs to, for parameter breakdowns and for the loader. A {@code weight_scale_inv}
 * tensor has the role of the weight it scales.
 */
public enum Role {
    /** {@code model.embed_tokens} (and the MTP layer's stored copy of it). */
    EMBEDDING,
    /** MLA projections: q_a, q_b, kv_a, kv_b, o. */
    ATTENTION,
    /** The lightning indexer's wq_b, wk and weights_proj. */
    INDEXER,
    /** The dense SwiGLU FFN of the first {@code first_k_dense_replace} layers. */
    DENSE_FFN,
    /** The routed experts of an MoE layer. */
    ROUTED_EXPERT,
    /** The shared expert(s) of an MoE layer. */
    SHARED_EXPERT,
    /** The router: {@code mlp.gate.weight} and {@code mlp.gate.e_score_correction_bias}. */
    GATE,
    /** Every normalisation weight and bias: RMSNorms, the indexer's LayerNorm {@code k_norm}, MTP enorm/hnorm. */
    NORM,
    /** {@code lm_head} (and the MTP layer's {@code shared_head.head}). */
    HEAD,
    /** The MTP layer's {@code eh_proj}. */
    MTP_PROJECTION
}
