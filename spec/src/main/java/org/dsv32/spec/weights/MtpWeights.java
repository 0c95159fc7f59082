package org.dsv32.spec.weights;

/**
 * The multi-token-prediction module (stored as layer {@code num_hidden_layers}): {@code enorm}, {@code hnorm},
 * {@code eh_proj} [D][2D], one full block, {@code shared_head.norm} and {@code shared_head.head}
 * ({@code head} may be null: then the main LM head is used).
 */
public record MtpWeights(Weight enorm, Weight hnorm, Weight ehProj, LayerWeights block, Weight headNorm, Weight head) {}
