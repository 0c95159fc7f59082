package org.dsv32.spec.ops;

import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ModelWeights;

/**
 * The multi-token-prediction module (spec/SEMANTICS.md §10): u = W_eh [RMSNorm_e(emb(t_{i+1})) ; RMSNorm_h(h_i)]
 * (embedding FIRST, zeroed at position 0), one decoder block, shared_head.norm, shared_head.head (or the main
 * head) → logits for token i+2.
 */
public interface MtpOp extends Operation {
    /**
     * @param hidden     the main model's final hidden states h_i (after the final norm), [T][D], positions startPos..
     * @param nextTokens t_{i+1} for each row
     * @param cache      MODIFIED: the MTP block's cache, T tokens appended
     * @return logits [T][vocab]
     */
    TensorF64 forward(TensorF64 hidden, int[] nextTokens, int startPos, ModelWeights weights, int mtpIndex, LayerCache cache);
}
