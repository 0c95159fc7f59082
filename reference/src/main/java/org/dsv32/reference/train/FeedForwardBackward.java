package org.dsv32.reference.train;

import java.util.ArrayList;
import java.util.List;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.MoeChecks;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MlpWeights;
import org.dsv32.spec.weights.MoeWeights;

/**
 * The feed-forward of one layer, forward with its tape and backward (spec/SEMANTICS.md §9): the SwiGLU MLP
 * y = W_down (silu(W_gate x) ⊙ W_up x), and the MoE y_t = Σ_i w_ti E_i(x_t) + Shared(x_t) with
 * s = sigmoid(W_g x) (exact, no act_quant), the experts selected by the gate from s + e_score_correction_bias (a
 * decision: a given one replaces the gate's), and w_i = s_i / Σ_selected s × routed_scaling_factor from s alone.
 * The routing weights' gradient flows through the normalisation and the sigmoid into the router W_g; the correction
 * bias only selects and gets no gradient.
 */
public class FeedForwardBackward {
    protected final BackwardSteps steps;
    protected final Backend self;
    protected final ModelConfig config;

    public FeedForwardBackward(BackwardSteps steps, Backend self) {
        this.steps = steps;
        this.self = self;
        this.config = steps.context().config();
    }

    /** One SwiGLU MLP's forward: its input, gate and up projections, the product h and the output. */
    public record MlpTape(TensorF64 x, TensorF64 gate, TensorF64 up, TensorF64 h, TensorF64 output) {}

    /**
     * One MoE forward: the input, the router's sigmoid scores s [T][E], the selected experts [T][k], the routing
     * weights [T][k], per expert the (token, slot) rows it took and its MLP tape (null when unused), the shared
     * expert's tape (or null), the output.
     */
    public record MoeTape(TensorF64 x, double[][] scores, int[][] experts, double[][] weights, List<List<int[]>> uses,
                          List<MlpTape> expertTapes, MlpTape shared, TensorF64 output) {}

    public MlpTape mlpForward(TensorF64 x, MlpWeights w) {
        TensorF64 gate = steps.linear(x, w.gate()), up = steps.linear(x, w.up());
        TensorF64 h = TensorF64.zeros(gate.rows(), gate.cols());
        for (int r = 0; r < h.rows(); r++) for (int c = 0; c < h.cols(); c++) h.put(r, c, silu(gate.at(r, c)) * up.at(r, c));
        return new MlpTape(x, gate, up, h, steps.linear(h, w.down()));
    }

    /** dh = dy W_down; dgate = dh ⊙ up ⊙ silu'(gate), dup = dh ⊙ silu(gate); dx = dgate W_gate + dup W_up. */
    public TensorF64 mlpBackward(MlpTape tape, MlpWeights w, TensorF64 dy, Gradients grads) {
        TensorF64 dh = steps.linearBackward(dy, tape.h(), w.down(), grads);
        TensorF64 dGate = TensorF64.zeros(dh.rows(), dh.cols()), dUp = TensorF64.zeros(dh.rows(), dh.cols());
        for (int r = 0; r < dh.rows(); r++) {
            for (int c = 0; c < dh.cols(); c++) {
                double g = tape.gate().at(r, c);
                dGate.put(r, c, dh.at(r, c) * tape.up().at(r, c) * siluDerivative(g));
                dUp.put(r, c, dh.at(r, c) * silu(g));
            }
        }
        TensorF64 dx = steps.linearBackward(dGate, tape.x(), w.gate(), grads);
        AttentionBackward.add(dx, steps.linearBackward(dUp, tape.x(), w.up(), grads));
        return dx;
    }

    /** The MoE forward over x [T][D]; {@code forcedExperts} [T][k] replaces the gate's selection when given. */
    public MoeTape moeForward(TensorF64 x, MoeWeights w, int[][] forcedExperts) {
        int tokens = x.rows(), dim = x.cols(), experts = w.expertCount();
        if (w.router().rows() != experts) {
            throw new IllegalArgumentException("MoE: router " + w.router().name() + " has " + w.router().rows() + " rows but the layer has " + experts + " experts");
        }
        MoeChecks.checkRouter(w.router(), config.nRoutedExperts(), dim);
        int[][] chosen = forcedExperts != null ? forcedExperts : self.require(MoeGateOp.class, steps.context()).route(x, w).experts();
        TensorF64 logits = steps.exactLinear(x, w.router());
        double[][] s = new double[tokens][experts], weights = new double[tokens][];
        for (int t = 0; t < tokens; t++) {
            for (int e = 0; e < experts; e++) s[t][e] = 1.0 / (1.0 + Math.exp(-logits.at(t, e)));
            weights[t] = routingWeights(s[t], chosen[t]);
        }
        double[] y = new double[tokens * dim];
        List<List<int[]>> uses = new ArrayList<>();
        List<MlpTape> tapes = new ArrayList<>();
        for (int e = 0; e < experts; e++) {
            List<int[]> rows = new ArrayList<>();
            for (int t = 0; t < tokens; t++) for (int k = 0; k < chosen[t].length; k++) if (chosen[t][k] == e) rows.add(new int[] {t, k});
            uses.add(rows);
            if (rows.isEmpty()) {
                tapes.add(null);
                continue;
            }
            MlpTape tape = mlpForward(gather(x, rows), w.experts().get(e));
            tapes.add(tape);
            for (int r = 0; r < rows.size(); r++) {
                int t = rows.get(r)[0];
                double wt = weights[t][rows.get(r)[1]];
                for (int d = 0; d < dim; d++) y[t * dim + d] += wt * tape.output().at(r, d);
            }
        }
        MlpTape shared = null;
        if (w.shared() != null) {
            shared = mlpForward(x, w.shared());
            for (int t = 0; t < tokens; t++) for (int d = 0; d < dim; d++) y[t * dim + d] += shared.output().at(t, d);
        }
        return new MoeTape(x, s, chosen, weights, uses, tapes, shared, TensorF64.wrap(y, tokens, dim));
    }

    /** w_i = s_i / Σ_selected s (when norm_topk_prob) × routed_scaling_factor, in selection order. */
    protected double[] routingWeights(double[] s, int[] selected) {
        double sum = 0;
        for (int e : selected) sum += s[e];
        double[] w = new double[selected.length];
        for (int i = 0; i < w.length; i++) w[i] = (config.normTopkProb() ? s[selected[i]] / sum : s[selected[i]]) * config.routedScalingFactor();
        return w;
    }

    /**
     * The MoE backward from dy [T][D]: each expert's rows get w_ti dy_t, the routing weights get dw_ti = dy_t · E_i(x_t),
     * which flow through the normalisation ({@link #scoreGradient}) and the sigmoid (ds s (1 − s)) into the router;
     * returns dx [T][D] (experts, shared expert and router summed).
     */
    public TensorF64 moeBackward(MoeTape tape, MoeWeights w, TensorF64 dy, Gradients grads) {
        int tokens = tape.x().rows(), dim = tape.x().cols(), experts = w.expertCount();
        TensorF64 dx = tape.shared() != null ? mlpBackward(tape.shared(), w.shared(), dy, grads) : TensorF64.zeros(tokens, dim);
        double[][] dWeights = new double[tokens][];
        for (int t = 0; t < tokens; t++) dWeights[t] = new double[tape.experts()[t].length];
        for (int e = 0; e < experts; e++) {
            List<int[]> rows = tape.uses().get(e);
            if (rows.isEmpty()) {
                if (grads != null) zeroGradients(w.experts().get(e), grads); // an expert no token chose: its gradient is 0
                continue;
            }
            MlpTape et = tape.expertTapes().get(e);
            TensorF64 dOut = TensorF64.zeros(rows.size(), dim);
            for (int r = 0; r < rows.size(); r++) {
                int t = rows.get(r)[0], slot = rows.get(r)[1];
                double wt = tape.weights()[t][slot], dot = 0;
                for (int d = 0; d < dim; d++) {
                    dOut.put(r, d, wt * dy.at(t, d));
                    dot += dy.at(t, d) * et.output().at(r, d);
                }
                dWeights[t][slot] = dot;
            }
            TensorF64 dIn = mlpBackward(et, w.experts().get(e), dOut, grads);
            for (int r = 0; r < rows.size(); r++) {
                int t = rows.get(r)[0];
                for (int d = 0; d < dim; d++) dx.put(t, d, dx.at(t, d) + dIn.at(r, d));
            }
        }
        TensorF64 dLogits = TensorF64.zeros(tokens, experts);
        for (int t = 0; t < tokens; t++) {
            double[] ds = scoreGradient(tape.scores()[t], tape.experts()[t], dWeights[t]);
            for (int e = 0; e < experts; e++) dLogits.put(t, e, ds[e] * tape.scores()[t][e] * (1 - tape.scores()[t][e]));
        }
        AttentionBackward.add(dx, steps.exactLinearBackward(dLogits, tape.x(), w.router(), grads));
        return dx;
    }

    /**
     * ∂L/∂s [E] from ∂L/∂w of the selected experts: with Σ = Σ_selected s and c = routed_scaling_factor,
     * w_i = c s_i / Σ gives ∂L/∂s_j = c (dw_j / Σ − Σ_i dw_i s_i / Σ²) for a selected j, 0 for the others (without
     * norm_topk_prob: c dw_j).
     */
    protected double[] scoreGradient(double[] s, int[] selected, double[] dWeights) {
        double[] ds = new double[s.length];
        double c = config.routedScalingFactor();
        if (!config.normTopkProb()) {
            for (int i = 0; i < selected.length; i++) ds[selected[i]] += c * dWeights[i];
            return ds;
        }
        double sum = 0, weighted = 0;
        for (int i = 0; i < selected.length; i++) {
            sum += s[selected[i]];
            weighted += dWeights[i] * s[selected[i]];
        }
        for (int i = 0; i < selected.length; i++) ds[selected[i]] += c * (dWeights[i] / sum - weighted / (sum * sum));
        return ds;
    }

    private static void zeroGradients(MlpWeights w, Gradients grads) {
        for (var m : java.util.List.of(w.down(), w.gate(), w.up())) grads.add(m.name(), TensorF64.zeros(m.rows(), m.cols()));
    }

    /** silu(z) = z / (1 + e^-z). */
    protected static double silu(double z) { return z / (1.0 + Math.exp(-z)); }

    /** silu'(z) = σ(z) (1 + z (1 − σ(z))). */
    protected static double siluDerivative(double z) {
        double sig = 1.0 / (1.0 + Math.exp(-z));
        return sig * (1 + z * (1 - sig));
    }

    private static TensorF64 gather(TensorF64 x, List<int[]> rows) {
        TensorF64 out = TensorF64.zeros(rows.size(), x.cols());
        for (int r = 0; r < rows.size(); r++) for (int c = 0; c < x.cols(); c++) out.put(r, c, x.at(rows.get(r)[0], c));
        return out;
    }
}
