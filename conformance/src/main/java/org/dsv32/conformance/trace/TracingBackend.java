package org.dsv32.conformance.trace;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dsv32.spec.backend.Availability;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.RegistryBackend;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.BlockOp;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.weights.ScaleFormat;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.Operation;
import org.dsv32.spec.ops.OperationCatalog;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.IndexerWeights;
import org.dsv32.spec.weights.LayerWeights;
import org.dsv32.spec.weights.MoeWeights;

/**
 * A backend's own operations, composed over this one, with its indexers, MoE gates (and, when asked, blocks) handed
 * out behind wrappers that pass every decision the composites make to a {@link Decisions}: recorded into a
 * {@link DecisionTrace}, replaced by a trace's ({@link DecisionReplay}), or both.
 * The composites then take their parts through the operation contracts instead of their own classes' fast entries;
 * for the simd backend both routes give the same bits (SimdContractPathsTest), so tracing changes no logit.
 */
public final class TracingBackend extends RegistryBackend {
    private static final Pattern LAYER = Pattern.compile("^model\\.layers\\.(\\d+)\\.");

    private final Backend target;
    private final Decisions trace;

    private TracingBackend(RegistryBackend target, Decisions trace) {
        this.target = target;
        this.trace = trace;
        for (Class<? extends Operation> op : OperationCatalog.ALL) composeOver(op, target);
    }

    /** {@code backend} passing its decisions to {@code trace}; a backend not built from a registry cannot be traced. */
    public static Backend of(Backend backend, Decisions trace) {
        if (!(backend instanceof RegistryBackend r)) {
            throw new IllegalArgumentException("backend '" + backend.name() + "' cannot be traced: its composites do not take their parts from it");
        }
        return new TracingBackend(r, trace);
    }

    private <T extends Operation> void composeOver(Class<T> op, RegistryBackend to) { delegateComposed(op, to); }

    @Override
    public <T extends Operation> Optional<T> operation(Class<T> type, OpContext context) {
        Optional<T> op = super.operation(type, context);
        if (op.isEmpty()) return op;
        Operation wrapped = op.get();
        if (type == IndexerOp.class) wrapped = indexer((IndexerOp) wrapped, context.config().indexTopk());
        else if (type == MoeGateOp.class) wrapped = gate((MoeGateOp) wrapped);
        else if (type == BlockOp.class && (trace.wantsBlockOutputs() || trace.wantsActQuant())) wrapped = block((BlockOp) wrapped);
        else if (type == ActQuantOp.class && trace.wantsActQuant()) wrapped = actQuant((ActQuantOp) wrapped);
        return Optional.of(type.cast(wrapped));
    }

    private IndexerOp indexer(IndexerOp inner, int topk) {
        return new IndexerOp() {
            @Override
            public IndexerResult select(TensorF64 x, TensorF64 qLatent, int startPos, IndexerWeights w, LayerCache cache) {
                return trace.indexer(layerOf(w.wk().name()), inner.select(x, qLatent, startPos, w, cache), startPos, topk);
            }
        };
    }

    private MoeGateOp gate(MoeGateOp inner) {
        return new MoeGateOp() {
            @Override
            public Routing route(TensorF64 x, MoeWeights w) {
                int layer = layerOf(w.router().name());
                trace.gateInput(layer, x);
                return trace.routing(layer, inner.route(x, w), w, inner);
            }
        };
    }

    private BlockOp block(BlockOp inner) {
        return new BlockOp() {
            @Override
            public TensorF64 forward(TensorF64 x, int startPos, LayerWeights w, LayerCache cache) {
                trace.blockStart(w.index());
                TensorF64 y = inner.forward(x, startPos, w, cache);
                trace.blockOutput(w.index(), y);
                return y;
            }
        };
    }

    private ActQuantOp actQuant(ActQuantOp inner) {
        return new ActQuantOp() {
            @Override
            public QuantizedActivation quantize(TensorF64 x, ScaleFormat format) {
                return trace.actQuant(x, format, inner.quantize(x, format));
            }
        };
    }

    /** The layer index of a Hugging Face weight name ({@code model.layers.<i>.…}). */
    static int layerOf(String weightName) {
        Matcher m = LAYER.matcher(weightName);
        if (!m.find()) throw new IllegalStateException("trace: cannot tell the layer of weight '" + weightName + "'");
        return Integer.parseInt(m.group(1));
    }

    @Override public String name() { return target.name(); }

    @Override public String description() { return target.description() + " (decisions traced)"; }

    @Override public Availability availability() { return target.availability(); }
}
