package org.dsv32.spec.ops;

import org.dsv32.spec.weights.ModelWeights;

/** The whole model with its KV caches: embedding, blocks, final RMSNorm, fp32 LM head. */
public interface ModelOp extends Operation {
    /** A new sequence with empty caches over these weights. */
    ModelSession open(ModelWeights weights);
}
