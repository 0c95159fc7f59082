package org.dsv32.conformance.trace;

import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MoeWeights;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * What {@link TracingBackend} does with each decision a model run makes: record it ({@link DecisionTrace}), force
 * another one in its place ({@link DecisionReplay}), or both ({@link #then}). Called with the step being run
 * ({@link #at}) and, for each layer, the backend's own decision; returns the decision the run goes on with.
 */
public interface Decisions {
    /** The step the next decisions belong to: sequence {@code sequence} of the script, step {@code step}. */
    void at(int sequence, int step);

    /** The indexer of {@code layer} decided {@code own} for T queries from {@code startPos}; returns the one to use. */
    IndexerResult indexer(int layer, IndexerResult own, int startPos, int topk);

    /** The MoE gate of {@code layer} is about to route {@code x} [T][D] (the post-attention norm's output). */
    default void gateInput(int layer, TensorF64 x) {}

    /** The MoE gate of {@code layer} routed as {@code own}; returns the routing to use. */
    Routing routing(int layer, Routing own, MoeWeights w);

    /**
     * {@link #routing(int, Routing, MoeWeights)} with the gate that routed, for a judge that evaluates it on another
     * input too (a {@link MoeGateOp} is pure: routing an input changes no state). By default the gate is not used.
     */
    default Routing routing(int layer, Routing own, MoeWeights w, MoeGateOp gate) { return routing(layer, own, w); }

    /** Block {@code layer} left the residual stream {@code h}. */
    default void blockOutput(int layer, TensorF64 h) {}

    /** Whether {@link #blockOutput} wants to be called. */
    default boolean wantsBlockOutputs() { return false; }

    /** Block {@code layer} starts (called when {@link #wantsActQuant} or {@link #wantsBlockOutputs}). */
    default void blockStart(int layer) {}

    /** Whether {@link #actQuant} wants to be called (it also needs {@link #blockStart} to know the layer). */
    default boolean wantsActQuant() { return false; }

    /**
     * act_quant of the current block quantised {@code x} (in {@code format}) as {@code own}; returns the quantisation
     * to use: own, or own with some codes of elements at an e4m3 rounding midpoint taken the other way.
     */
    default QuantizedActivation actQuant(TensorF64 x, ScaleFormat format, QuantizedActivation own) { return own; }

    /** The final hidden states of the step, after the final norm. */
    default void finalHidden(TensorF64 h) {}

    /** This, then {@code next} on the decision this one returns. */
    default Decisions then(Decisions next) {
        Decisions first = this;
        return new Decisions() {
            @Override public void at(int sequence, int step) { first.at(sequence, step); next.at(sequence, step); }

            @Override public IndexerResult indexer(int layer, IndexerResult own, int startPos, int topk) {
                return next.indexer(layer, first.indexer(layer, own, startPos, topk), startPos, topk);
            }

            @Override public Routing routing(int layer, Routing own, MoeWeights w) { return next.routing(layer, first.routing(layer, own, w), w); }

            @Override public Routing routing(int layer, Routing own, MoeWeights w, MoeGateOp gate) {
                return next.routing(layer, first.routing(layer, own, w, gate), w, gate);
            }

            @Override public void blockOutput(int layer, TensorF64 h) { first.blockOutput(layer, h); next.blockOutput(layer, h); }

            @Override public boolean wantsBlockOutputs() { return first.wantsBlockOutputs() || next.wantsBlockOutputs(); }

            @Override public void blockStart(int layer) { first.blockStart(layer); next.blockStart(layer); }

            @Override public void gateInput(int layer, TensorF64 x) { first.gateInput(layer, x); next.gateInput(layer, x); }

            @Override public boolean wantsActQuant() { return first.wantsActQuant() || next.wantsActQuant(); }

            @Override public QuantizedActivation actQuant(TensorF64 x, ScaleFormat format, QuantizedActivation own) {
                return next.actQuant(x, format, first.actQuant(x, format, own));
            }

            @Override public void finalHidden(TensorF64 h) { first.finalHidden(h); next.finalHidden(h); }
        };
    }
}
