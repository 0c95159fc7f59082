package org.dsv32.spec.weights;

/**
 * MLA attention of one layer, with its indexer: {@code q_a_proj} [q_lora][D], {@code q_a_layernorm} [q_lora],
 * {@code q_b_proj} [H*(nope+rope)][q_lora], {@code kv_a_proj_with_mqa} [kv_lora+rope][D],
 * {@code kv_a_layernorm} [kv_lora], {@code kv_b_proj} [H*(nope+v)][kv_lora], {@code o_proj} [D][H*v].
 */
public record AttentionWeights(Weight qA, Weight qANorm, Weight qB, Weight kvA, Weight kvANorm, Weight kvB,
                               Weight o, IndexerWeights indexer) {}
