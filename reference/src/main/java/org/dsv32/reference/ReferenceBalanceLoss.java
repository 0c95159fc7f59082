package org.dsv32.reference;

import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.BalanceLossOp;
import org.dsv32.spec.tensor.TensorF64;

/**
 * The complementary sequence-wise balance loss, the reference (spec/SEMANTICS.md §9b; the contract states the
 * formulas and the decisions). Float64, one protected method per formula step so that a mutant replaces exactly
 * one: the affinities s, the normaliser Σ_j s_j, the frequencies f, the mean affinities P, a sequence's loss, the
 * batch's combination, and the three steps of the gradient (∂L/∂s', through the normalisation, through the sigmoid).
 */
public class ReferenceBalanceLoss implements BalanceLossOp {
    protected final OpContext context;
    protected final Backend self;

    public ReferenceBalanceLoss(OpContext context, Backend self) {
        this.context = context;
        this.self = self;
    }

    @Override
    public Result compute(TensorF64 logits, int[][] selected, int[] sequenceLengths, double alpha) {
        BalanceLossOp.validate(logits, selected, sequenceLengths, alpha);
        int tokens = logits.rows(), n = logits.cols(), k = selected[0].length, batch = sequenceLengths.length;
        double[][] s = new double[tokens][], normalised = new double[tokens][];
        double[] normaliser = new double[tokens];
        for (int t = 0; t < tokens; t++) {
            s[t] = affinities(logits.rowArray(t));
            normaliser[t] = normaliser(s[t], selected[t]);
            normalised[t] = new double[n];
            for (int i = 0; i < n; i++) normalised[t][i] = s[t][i] / normaliser[t];
        }
        TensorF64 frequency = TensorF64.zeros(batch, n), meanAffinity = TensorF64.zeros(batch, n), gradient = TensorF64.zeros(tokens, n);
        double[] perSequence = new double[batch];
        int from = 0;
        for (int b = 0; b < batch; b++) {
            int to = from + sequenceLengths[b];
            double[] f = frequencies(selected, s, from, to, n, k), p = meanAffinities(normalised, from, to);
            perSequence[b] = sequenceLoss(f, p);
            double[] g = lossPerNormalisedAffinity(f, alpha, batch, to - from);
            for (int t = from; t < to; t++) {
                double[] dl = throughSigmoid(throughNormalisation(g, normalised[t], normaliser[t]), s[t]);
                for (int i = 0; i < n; i++) gradient.put(t, i, dl[i]);
            }
            for (int i = 0; i < n; i++) {
                frequency.put(b, i, f[i]);
                meanAffinity.put(b, i, p[i]);
            }
            from = to;
        }
        return new Result(combine(perSequence, alpha), gradient, frequency, meanAffinity);
    }

    /** s = sigmoid(l), the router's affinities (as the gate computes them). */
    protected double[] affinities(double[] logits) {
        double[] s = new double[logits.length];
        for (int i = 0; i < s.length; i++) s[i] = 1.0 / (1.0 + Math.exp(-logits[i]));
        return s;
    }

    /** S_t = Σ_j s_{j,t} over ALL routed experts, the denominator of s'. */
    protected double normaliser(double[] s, int[] selected) {
        double sum = 0;
        for (double v : s) sum += v;
        return sum;
    }

    /** f_i = N_r c_i / (K_r T), c_i the number of the sequence's tokens [from, to) that selected expert i; one rounding. */
    protected double[] frequencies(int[][] selected, double[][] s, int from, int to, int n, int k) {
        long[] count = new long[n];
        for (int t = from; t < to; t++) for (int e : selected[t]) count[e]++;
        double[] f = new double[n];
        long denominator = (long) k * (to - from);
        for (int i = 0; i < n; i++) f[i] = (double) (n * count[i]) / denominator;
        return f;
    }

    /** P_i = (1/T) Σ_t s'_{i,t} over the sequence's tokens [from, to). */
    protected double[] meanAffinities(double[][] normalised, int from, int to) {
        int n = normalised[from].length;
        double[] p = new double[n];
        for (int t = from; t < to; t++) for (int i = 0; i < n; i++) p[i] += normalised[t][i];
        for (int i = 0; i < n; i++) p[i] /= (to - from);
        return p;
    }

    /** L_seq = Σ_i f_i P_i. */
    protected double sequenceLoss(double[] f, double[] p) {
        double sum = 0;
        for (int i = 0; i < f.length; i++) sum += f[i] * p[i];
        return sum;
    }

    /** L_Bal = α · (1/B) Σ_b L_seq(b): the mean over the batch's sequences. */
    protected double combine(double[] perSequence, double alpha) {
        double sum = 0;
        for (double v : perSequence) sum += v;
        return alpha * sum / perSequence.length;
    }

    /** g_i = ∂L_Bal/∂s'_{i,t} = α f_i / (B T) for every token t of the sequence (f is a constant). */
    protected double[] lossPerNormalisedAffinity(double[] f, double alpha, int batch, int length) {
        double[] g = new double[f.length];
        for (int i = 0; i < g.length; i++) g[i] = alpha * f[i] / ((double) batch * length);
        return g;
    }

    /** ∂L/∂s_m = (g_m − Σ_i g_i s'_i) / S: s'_i = s_i / S depends on every s_m through S. */
    protected double[] throughNormalisation(double[] g, double[] normalised, double normaliser) {
        double mean = 0;
        for (int i = 0; i < g.length; i++) mean += g[i] * normalised[i];
        double[] d = new double[g.length];
        for (int m = 0; m < d.length; m++) d[m] = (g[m] - mean) / normaliser;
        return d;
    }

    /** ∂L/∂l_m = ∂L/∂s_m · s_m (1 − s_m). */
    protected double[] throughSigmoid(double[] ds, double[] s) {
        double[] dl = new double[ds.length];
        for (int m = 0; m < dl.length; m++) dl[m] = ds[m] * s[m] * (1 - s[m]);
        return dl;
    }
}
