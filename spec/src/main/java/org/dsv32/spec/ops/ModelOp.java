package org.dsv32.spec.ops;

import java.util.ArrayList;
import java.util.List;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ModelWeights;

/** The whole model with its KV caches: embedding, blocks, final RMSNorm, fp32 LM head. */
public interface ModelOp extends Operation {
    /** A new sequence with empty caches over these weights. */
    ModelSession open(ModelWeights weights);

    /**
     * One step of a ragged batch ({@link RaggedBatch}): feeds every sequence its chunk and returns per sequence its
     * logits [T_b][vocab], each equal to {@code sessions.get(b).forward(chunks.get(b))} run alone. This default does
     * exactly that, one sequence after another; a backend that packs the sequences into one padded layout overrides it
     * (the reference does, so that padding bugs have a place to live) and must keep the result.
     */
    default List<TensorF64> forward(RaggedBatch batch) {
        List<TensorF64> out = new ArrayList<>();
        for (int b = 0; b < batch.size(); b++) out.add(batch.sessions().get(b).forward(batch.chunk(b)));
        return out;
    }
}
