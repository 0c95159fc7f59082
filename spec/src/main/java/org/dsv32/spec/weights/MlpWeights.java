package org.dsv32.spec.weights;

/** A SwiGLU feed-forward (dense FFN, routed expert or shared expert): down(silu(gate(x)) * up(x)). */
public record MlpWeights(Weight gate, Weight up, Weight down) {
    public int intermediateSize() { return gate.rows(); }
}
