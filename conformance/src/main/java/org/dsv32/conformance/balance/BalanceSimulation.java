package org.dsv32.conformance.balance;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.dsv32.conformance.Progress;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.ops.BalanceLossOp;
import org.dsv32.spec.ops.ExpertBiasUpdateOp;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.MoeWeights;

/**
 * The balancing loop of one MoE layer, simulated: for each step, route the step's batch with the current router and
 * bias (the backend's moe_gate: bias-corrected, group-limited top-k), count every expert's load c_i, record
 * MaxVio = (max_i c_i − c̄) / c̄ and the sequence-wise balance loss, then apply the bias update (the backend's
 * expert_bias_update with the run's γ) and, when the run's α > 0, one gradient step of the balance loss on the
 * router: W ← W − lr · α ∂(L_Bal/α)/∂W, ∂/∂W_i = Σ_t ∂L/∂l_{i,t} x_t (the backend's balance_loss). Each run starts
 * from the same router and sees the same batches, so runs differ only by γ, α and lr.
 *
 * <p>Recorded per step: the load of every expert and MaxVio of the step's batch (before the updates), the balance
 * loss as L_Bal / α (the mean over sequences of Σ_i f_i P_i: 1 when every sequence is balanced, the same
 * quantity for every run whatever its α), and the bias after the step's update.
 */
public final class BalanceSimulation {
    private BalanceSimulation() {}

    /** One configuration of the loop: the bias speed γ, the balance factor α and the router's learning rate. */
    public record RunSpec(double gamma, double alpha, double learningRate) {
        public String label() {
            return String.format(Locale.ROOT, "gamma %s, alpha %s", num(gamma), num(alpha)) + (alpha > 0 ? ", lr " + num(learningRate) : "");
        }
    }

    /** One step's record. */
    public record Step(int step, long[] load, double maxVio, double balanceLoss, double[] bias) {}

    /** One run: its configuration and its steps. */
    public record Run(RunSpec spec, List<Step> steps) {
        /** Mean MaxVio over the last {@code fraction} of the steps (at least one). */
        public double meanMaxVioOfLast(double fraction) {
            int n = Math.max(1, (int) Math.round(steps.size() * fraction));
            double s = 0;
            for (int i = steps.size() - n; i < steps.size(); i++) s += steps.get(i).maxVio();
            return s / n;
        }
    }

    /** A whole comparison. */
    public record Result(String router, String hidden, String backend, List<Run> runs) {}

    /** Runs every spec for {@code steps} steps on {@code backend} (fp32-or-better, exact mode: no operation here quantises). */
    public static Result run(BalanceRouter router, HiddenBatches batches, List<RunSpec> specs, int steps, Backend backend, Progress progress) {
        OpContext ctx = new OpContext(router.config(), PrecisionMode.EXACT);
        MoeGateOp gate = backend.require(MoeGateOp.class, ctx);
        ExpertBiasUpdateOp update = backend.require(ExpertBiasUpdateOp.class, ctx);
        BalanceLossOp loss = backend.require(BalanceLossOp.class, ctx);
        int n = router.experts(), d = router.hidden();
        int[] lengths = new int[batches.sequences()];
        java.util.Arrays.fill(lengths, batches.tokensPerSequence());
        List<Run> runs = new ArrayList<>();
        for (int r = 0; r < specs.size(); r++) {
            RunSpec spec = specs.get(r);
            double[][] w = new double[n][];
            for (int e = 0; e < n; e++) w[e] = router.weight()[e].clone();
            TensorF64 bias = TensorF64.vector(router.bias().clone());
            List<Step> out = new ArrayList<>();
            for (int step = 0; step < steps; step++) {
                double[][] x = batches.batch(step);
                Routing routing = gate.route(TensorF64.wrap(flatten(x), x.length, d), weights(w, bias, d));
                int[][] selected = routing.experts();
                long[] load = loads(selected, n);
                BalanceLossOp.Result l = loss.compute(logits(w, x), selected, lengths, 1);
                bias = update.update(bias, selected, spec.gamma());
                if (spec.alpha() > 0) descend(w, x, l.gradient(), spec.alpha() * spec.learningRate());
                double mv = maxVio(load);
                out.add(new Step(step, load, mv, l.loss(), bias.toArray()));
                progress.step(String.format(Locale.ROOT, "run %d/%d (%s): step %d/%d, MaxVio %.3f", r + 1, specs.size(), spec.label(), step + 1, steps, mv));
            }
            runs.add(new Run(spec, out));
            progress.report(String.format(Locale.ROOT, "run %d/%d (%s): MaxVio %.3f -> %.3f", r + 1, specs.size(), spec.label(),
                    out.getFirst().maxVio(), out.getLast().maxVio()));
        }
        return new Result(router.source(), batches.describe(), backend.name(), runs);
    }

    /** MaxVio = (max_i c_i − c̄) / c̄ (Wang et al. 2024); 0 for an empty batch. */
    public static double maxVio(long[] load) {
        long total = 0, max = 0;
        for (long c : load) { total += c; max = Math.max(max, c); }
        if (total == 0) return 0;
        double mean = (double) total / load.length;
        return (max - mean) / mean;
    }

    static long[] loads(int[][] selected, int n) {
        long[] c = new long[n];
        for (int[] t : selected) for (int e : t) c[e]++;
        return c;
    }

    private static MoeWeights weights(double[][] w, TensorF64 bias, int d) {
        return new MoeWeights(DenseWeight.ofDoubles("gate.weight", flatten(w), w.length, d),
                DenseWeight.ofDoubles("gate.e_score_correction_bias", bias.toArray(), 1, bias.size()), List.of(), null);
    }

    /** The router logits W x per token, in float64 (the gate computes the same inside; the loss needs them). */
    private static TensorF64 logits(double[][] w, double[][] x) {
        TensorF64 l = TensorF64.zeros(x.length, w.length);
        for (int t = 0; t < x.length; t++) {
            for (int e = 0; e < w.length; e++) {
                double acc = 0;
                for (int k = 0; k < x[t].length; k++) acc += w[e][k] * x[t][k];
                l.put(t, e, acc);
            }
        }
        return l;
    }

    /** W_i ← W_i − rate Σ_t g_{t,i} x_t. */
    private static void descend(double[][] w, double[][] x, TensorF64 gradient, double rate) {
        for (int e = 0; e < w.length; e++) {
            for (int t = 0; t < x.length; t++) {
                double g = rate * gradient.at(t, e);
                if (g == 0) continue;
                for (int k = 0; k < x[t].length; k++) w[e][k] -= g * x[t][k];
            }
        }
    }

    private static double[] flatten(double[][] m) {
        int cols = m.length == 0 ? 0 : m[0].length;
        double[] f = new double[m.length * cols];
        for (int r = 0; r < m.length; r++) System.arraycopy(m[r], 0, f, r * cols, cols);
        return f;
    }

    static String num(double v) {
        if (v == 0) return "0";
        String s = String.format(Locale.ROOT, "%.4g", v);
        if (s.contains("e")) return s;
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }
}
