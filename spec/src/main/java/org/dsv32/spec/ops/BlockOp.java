package org.dsv32.spec.ops;

import java.util.ArrayList;
import java.util.List;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.LayerWeights;

/** A decoder block: h = x + Attn(RMSNorm(x)); out = h + FFN(RMSNorm(h)) (spec/SEMANTICS.md §10). */
public interface BlockOp extends Operation {
    /** @param cache MODIFIED: the T new tokens are appended. Returns the new residual stream [T][D]; x is not modified. */
    TensorF64 forward(TensorF64 x, int startPos, LayerWeights w, LayerCache cache);

    /**
     * The block over a ragged batch (spec/SEMANTICS.md §10c): the result of sequence b equals
     * {@code forward(x.get(b), startPos[b], w, caches.get(b))} alone. This default loops over the sequences.
     */
    default List<TensorF64> forwardRagged(List<TensorF64> x, int[] startPos, LayerWeights w, List<LayerCache> caches) {
        RaggedBatch.checkLayerCall("block", x.size(), startPos, caches);
        List<TensorF64> out = new ArrayList<>();
        for (int b = 0; b < x.size(); b++) out.add(forward(x.get(b), startPos[b], w, caches.get(b)));
        return out;
    }
}
