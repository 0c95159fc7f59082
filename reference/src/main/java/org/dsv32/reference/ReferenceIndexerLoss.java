package org.dsv32.reference;

import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.IndexerLossOp;
import org.dsv32.spec.tensor.TensorF64;

/**
 * The lightning indexer's training loss, the reference (spec/SEMANTICS.md §8b; the contract states the formulas and
 * the decisions). Float64, one protected method per step so that a mutant replaces exactly one: a query's position,
 * its key set K_t, the head sum and the L1 normalisation of the target, the scores, the log-softmax, the divergence
 * with ∂L/∂I, the sum over queries, the ReLU's derivative, and the gradient into the main attention (none: detached).
 */
public class ReferenceIndexerLoss implements IndexerLossOp {
    protected final OpContext context;
    protected final Backend self;

    public ReferenceIndexerLoss(OpContext context, Backend self) {
        this.context = context;
        this.self = self;
    }

    @Override
    public Result compute(TensorF64 attention, TensorF64 q, TensorF64 k, TensorF64 w, int[][] selection) {
        IndexerLossOp.validate(attention, q, k, w, selection);
        int tokens = q.dim(0), heads = q.dim(1), d = q.dim(2), keys = k.rows(), mainHeads = attention.dim(1);
        double c = 1 / Math.sqrt(d);
        TensorF64 perQuery = TensorF64.zeros(tokens), target = TensorF64.zeros(tokens, keys), scores = TensorF64.zeros(tokens, keys);
        TensorF64 scoreGradient = TensorF64.zeros(tokens, keys), queryGradient = TensorF64.zeros(tokens, heads, d);
        TensorF64 keyGradient = TensorF64.zeros(keys, d), weightGradient = TensorF64.zeros(tokens, heads);
        TensorF64 attentionGradient = TensorF64.zeros(tokens, mainHeads, keys);
        double[] kl = new double[tokens];
        for (int t = 0; t < tokens; t++) {
            int[] set = keySet(t, position(t, tokens, keys), selection == null ? null : selection[t]);
            double[][] z = dots(q, k, t);
            double[] score = scores(z, w.rowArray(t), c);
            double[] p = normalise(headSum(attention, t, set));
            double[] logQ = logSoftmax(score, set);
            Divergence div = divergence(p, logQ);
            kl[t] = div.value();
            double[] g = div.scoreGradient();
            double[] ga = attentionGradient(attention, t, set, p, logQ, kl[t]);
            for (int s = 0; s < keys; s++) scores.put(t, s, score[s]);
            for (int j = 0; j < set.length; j++) {
                target.put(t, set[j], p[j]);
                scoreGradient.put(t, set[j], g[j]);
                for (int a = 0; a < mainHeads; a++) attentionGradient.set(ga[j], t, a, set[j]);
            }
            perQuery.setFlat(t, kl[t]);
            // back through I = Σ_h w_h c ReLU(z_h): e_{h,s} = g_s c w_h ReLU'(z_{h,s})
            for (int h = 0; h < heads; h++) {
                double dw = 0;
                for (int j = 0; j < set.length; j++) {
                    int s = set[j];
                    dw += g[j] * c * relu(z[h][s]);
                    double e = g[j] * c * w.at(t, h) * reluDerivative(z[h][s]);
                    if (e == 0) continue;
                    for (int i = 0; i < d; i++) {
                        queryGradient.set(queryGradient.get(t, h, i) + e * k.at(s, i), t, h, i);
                        keyGradient.put(s, i, keyGradient.at(s, i) + e * q.get(t, h, i));
                    }
                }
                weightGradient.put(t, h, dw);
            }
        }
        return new Result(combine(kl), perQuery, target, scores, scoreGradient, queryGradient, keyGradient, weightGradient, attentionGradient);
    }

    /** pos(t) = S − T + t: the queries are the last T of the S tokens. */
    protected int position(int t, int tokens, int keys) { return IndexerLossOp.position(t, tokens, keys); }

    /** K_t in ascending key order: every key 0 .. pos (dense), or the selected ones that are ≤ pos (sparse). */
    protected int[] keySet(int t, int pos, int[] selected) {
        if (selected == null) {
            int[] all = new int[pos + 1];
            for (int s = 0; s <= pos; s++) all[s] = s;
            return all;
        }
        return java.util.Arrays.stream(selected).filter(s -> s <= pos).sorted().toArray();
    }

    /** Σ_a A_{t,a,s} for s ∈ K_t: the main attention's probabilities summed over its heads. */
    protected double[] headSum(TensorF64 attention, int t, int[] set) {
        double[] sum = new double[set.length];
        for (int a = 0; a < attention.dim(1); a++) for (int j = 0; j < set.length; j++) sum[j] += attention.get(t, a, set[j]);
        return sum;
    }

    /** p = x / Σ x: the L1 normalisation over K_t. */
    protected double[] normalise(double[] x) {
        double total = 0;
        for (double v : x) total += v;
        double[] p = new double[x.length];
        for (int j = 0; j < p.length; j++) p[j] = x[j] / total;
        return p;
    }

    /** z_{h,s} = q_h(t) · k(s) for every head and every key, [H][S]. */
    protected double[][] dots(TensorF64 q, TensorF64 k, int t) {
        int heads = q.dim(1), d = q.dim(2), keys = k.rows();
        double[][] z = new double[heads][keys];
        for (int h = 0; h < heads; h++) {
            for (int s = 0; s < keys; s++) {
                double sum = 0;
                for (int i = 0; i < d; i++) sum += q.get(t, h, i) * k.at(s, i);
                z[h][s] = sum;
            }
        }
        return z;
    }

    /** I_s = Σ_h w_h c ReLU(z_{h,s}), every key. */
    protected double[] scores(double[][] z, double[] w, double c) {
        double[] score = new double[z[0].length];
        for (int s = 0; s < score.length; s++) {
            double sum = 0;
            for (int h = 0; h < w.length; h++) sum += w[h] * c * relu(z[h][s]);
            score[s] = sum;
        }
        return score;
    }

    protected double relu(double z) { return z > 0 ? z : 0; }

    /** ReLU'(z): 1 for z &gt; 0, 0 otherwise (0 at the kink, as PyTorch). */
    protected double reluDerivative(double z) { return z > 0 ? 1 : 0; }

    /** log Softmax(I) over K_t, stably: I_s − max − log Σ exp(I − max). */
    protected double[] logSoftmax(double[] score, int[] set) {
        double max = Double.NEGATIVE_INFINITY;
        for (int s : set) max = Math.max(max, score[s]);
        double sum = 0;
        for (int s : set) sum += Math.exp(score[s] - max);
        double lse = Math.log(sum);
        double[] out = new double[set.length];
        for (int j = 0; j < set.length; j++) out[j] = score[set[j]] - max - lse;
        return out;
    }

    /** A query's divergence and its derivative with respect to the scores on K_t. */
    public record Divergence(double value, double[] scoreGradient) {}

    /**
     * KL(p ‖ q) = Σ p (log p − log q), a term with p = 0 contributing 0, and ∂KL/∂I_s = q_s − p_s over K_t (Σ p = 1):
     * one step, so that the direction of the divergence is one decision.
     */
    protected Divergence divergence(double[] p, double[] logQ) {
        double sum = 0;
        for (int j = 0; j < p.length; j++) if (p[j] > 0) sum += p[j] * (Math.log(p[j]) - logQ[j]);
        double[] g = new double[p.length];
        for (int j = 0; j < g.length; j++) g[j] = Math.exp(logQ[j]) - p[j];
        return new Divergence(sum, g);
    }

    /** L_I = Σ_t KL_t. */
    protected double combine(double[] perQuery) {
        double sum = 0;
        for (double v : perQuery) sum += v;
        return sum;
    }

    /**
     * The gradient the loss sends into the main attention's probabilities on K_t (the same for every main head):
     * none, the target is detached from the main model's graph.
     */
    protected double[] attentionGradient(TensorF64 attention, int t, int[] set, double[] p, double[] logQ, double kl) {
        return new double[set.length];
    }
}
