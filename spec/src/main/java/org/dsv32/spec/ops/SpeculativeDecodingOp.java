package org.dsv32.spec.ops;

import org.dsv32.spec.generate.Generation;
import org.dsv32.spec.weights.ModelWeights;

/**
 * Greedy generation with MTP speculative decoding (spec/SEMANTICS.md §10e): one draft of the MTP module per main step,
 * verified by the next main step, a rejected draft's cache rows rolled back. Its one correctness property: the tokens
 * equal plain greedy decoding's token for token, exactly — speculation may only save main-model steps.
 */
public interface SpeculativeDecodingOp extends Operation {
    /**
     * Continues {@code prompt} by {@code count} greedy tokens (argmax, ties to the lower id), drafting with MTP module 0
     * of {@code w}; neither argument is modified.
     *
     * @throws IllegalArgumentException on an empty prompt, {@code count < 1} or weights without an MTP module
     */
    Generation generate(ModelWeights w, int[] prompt, int count);
}
