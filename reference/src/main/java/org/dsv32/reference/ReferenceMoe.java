package org.dsv32.reference;

import org.dsv32.spec.format.Bf16Rounding;
import java.util.ArrayList;
import java.util.List;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.ops.MoeChecks;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.MoeOp;
import org.dsv32.spec.ops.MoeResult;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MoeWeights;

/**
 * The float64 reference MoE layer (spec/SEMANTICS.md §9): per token t,
 * y_t = Σ_i w_ti · Expert_{e_ti}(x_t) + Shared(x_t), with the routing (e, w) from the backend's {@link MoeGateOp}
 * or, for decision replay, the one given. The routed_scaling_factor lives in w (applied once, by the gate); the
 * shared expert is not scaled. Experts and the shared expert are the backend's {@link MlpOp}, so in fp8 mode their
 * inputs go through act_quant exactly like any FP8 linear. The routed terms are summed in ascending expert index,
 * then the shared term is added. Stateless; x is not modified.
 */
public class ReferenceMoe implements MoeOp {
    protected final OpContext context;
    protected final Backend self;

    public ReferenceMoe(OpContext context, Backend self) {
        this.context = context;
        this.self = self;
    }

    @Override
    public MoeResult forward(TensorF64 x, MoeWeights w, Routing forcedRouting) {
        int tokens = x.rows(), dim = x.cols(), experts = w.expertCount();
        if (w.router().rows() != experts) {
            throw new IllegalArgumentException("MoE: router " + w.router().name() + " has " + w.router().rows()
                    + " rows but the layer has " + experts + " routed experts");
        }
        Routing routing = forcedRouting != null ? MoeChecks.checkForcedRouting(forcedRouting, tokens, experts)
                : self.require(MoeGateOp.class, context).route(x, w);
        MlpOp mlp = self.require(MlpOp.class, context);
        double[] y = new double[tokens * dim];
        for (int e = 0; e < experts; e++) {
            List<int[]> uses = new ArrayList<>(); // (token, slot) pairs routed to expert e
            for (int t = 0; t < tokens; t++) {
                for (int slot = 0; slot < routing.experts()[t].length; slot++) {
                    if (routing.experts()[t][slot] == e) uses.add(new int[] {t, slot});
                }
            }
            if (uses.isEmpty()) continue;
            TensorF64 out = mlp.forward(gatherRows(x, uses), w.experts().get(e));
            for (int r = 0; r < uses.size(); r++) {
                int t = uses.get(r)[0];
                double weight = routedWeight(routing.weights()[t][uses.get(r)[1]]);
                for (int d = 0; d < dim; d++) y[t * dim + d] += weight * out.at(r, d);
            }
        }
        if (w.shared() != null) {
            TensorF64 shared = mlp.forward(x, w.shared());
            double scale = sharedExpertScale();
            for (int t = 0; t < tokens; t++) for (int d = 0; d < dim; d++) y[t * dim + d] += scale * shared.at(t, d);
        }
        if (context.bf16()) Bf16Rounding.roundInPlace(y); // bf16 mode: the wide accumulator stored bf16 (§5c)
        return new MoeResult(TensorF64.wrap(y, x.shape()), routing);
    }

    /** The factor on a routed expert's output: the gate's weight as it is (routed_scaling_factor is already in it). */
    protected double routedWeight(double gateWeight) { return gateWeight; }

    /** The factor on the shared expert's output: 1 (routed_scaling_factor is for the routed experts only). */
    protected double sharedExpertScale() { return 1.0; }

    private static TensorF64 gatherRows(TensorF64 x, List<int[]> uses) {
        int dim = x.cols();
        double[] rows = new double[uses.size() * dim];
        for (int r = 0; r < uses.size(); r++) System.arraycopy(x.rowArray(uses.get(r)[0]), 0, rows, r * dim, dim);
        return TensorF64.wrap(rows, uses.size(), dim);
    }
}
