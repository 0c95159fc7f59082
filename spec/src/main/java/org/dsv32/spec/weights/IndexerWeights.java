package org.dsv32.spec.weights;

/**
 * The lightning indexer of one layer: {@code wq_b} [heads*dim][q_lora] (FP8), {@code wk} [dim][D] (FP8),
 * {@code k_norm} weight and bias [dim], {@code weights_proj} [heads][D] (bf16).
 */
public record IndexerWeights(Weight wqB, Weight wk, Weight kNormWeight, Weight kNormBias, Weight weightsProj) {}
