package org.dsv32.spec.weights;

/** One decoder block: the two norms, attention, and either a dense FFN ({@code mlp}) or an MoE ({@code moe}); exactly one is non-null. */
public record LayerWeights(int index, Weight inputNorm, Weight postAttentionNorm, AttentionWeights attention,
                           MlpWeights mlp, MoeWeights moe) {
    public LayerWeights {
        if ((mlp == null) == (moe == null)) throw new IllegalArgumentException("layer " + index + ": exactly one of mlp and moe must be set");
    }

    public boolean isMoe() { return moe != null; }
}
