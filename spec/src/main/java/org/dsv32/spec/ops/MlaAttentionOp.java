package org.dsv32.spec.ops;

import java.util.ArrayList;
import java.util.List;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.AttentionWeights;

/** Multi-head latent attention with DeepSeek sparse attention, one layer (spec/SEMANTICS.md §7 and §8). */
public interface MlaAttentionOp extends Operation {
    /**
     * @param x                 the attention input (after the block's input RMSNorm), [T][D], positions startPos..
     * @param cache             MODIFIED: the T new MLA entries and indexer keys are appended (it must hold startPos tokens)
     * @param forcedSelection   null to use this backend's own indexer selection; otherwise per query the key
     *                          indices to attend (decision replay: the harness feeds a candidate's choice to the
     *                          reference). The indexer still runs and its keys are cached.
     */
    AttentionResult forward(TensorF64 x, int startPos, AttentionWeights w, LayerCache cache, int[][] forcedSelection);

    /**
     * MLA of one layer over a ragged batch (spec/SEMANTICS.md §10c), each sequence with its own indexer selection:
     * the result of sequence b equals {@code forward(x.get(b), startPos[b], w, caches.get(b), null)} alone. This
     * default loops over the sequences.
     */
    default List<AttentionResult> forwardRagged(List<TensorF64> x, int[] startPos, AttentionWeights w, List<LayerCache> caches) {
        RaggedBatch.checkLayerCall("MLA", x.size(), startPos, caches);
        List<AttentionResult> out = new ArrayList<>();
        for (int b = 0; b < x.size(); b++) out.add(forward(x.get(b), startPos[b], w, caches.get(b), null));
        return out;
    }
}
