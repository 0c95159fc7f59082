package org.dsv32.reference;

import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.RopeScaling;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.format.UE8M0;
import org.dsv32.spec.weights.AttentionWeights;
import org.dsv32.spec.weights.IndexerWeights;
import org.dsv32.spec.weights.Weight;

/**
 * An independent, deliberately plain float64 implementation of dense causal MLA and of the indexer scores, written
 * from spec/SEMANTICS.md without any reference operation (own linear, norms, RoPE, Hadamard matrix, ue8m0 act_quant).
 * The indexer oracle has switches for the known port bugs, so tests can show that their inputs tell them apart.
 * Arrays are [tokens][...]; positions start at 0.
 */
final class AttentionOracle {
    private AttentionOracle() {}

    /** The indexer formula, or one known bug in it (spec/SEMANTICS.md §12). */
    enum IndexerVariant { CORRECT, SUM_BEFORE_RELU, NO_RELU, NO_HEAD_FACTOR, HADAMARD_Q_ONLY, HADAMARD_K_ONLY, ROPE_INTERLEAVED, ROPE_DIMS_LAST }

    static double[][] linear(double[][] x, Weight w) {
        int rows = w.rows(), cols = w.cols();
        double[] dequantised = w.toDoubleArray();
        double[][] y = new double[x.length][rows];
        for (int t = 0; t < x.length; t++)
            for (int n = 0; n < rows; n++) {
                double s = 0;
                for (int k = 0; k < cols; k++) s += x[t][k] * dequantised[n * cols + k];
                y[t][n] = s;
            }
        return y;
    }

    static double[] rmsNorm(double[] x, Weight w, double eps) {
        double ms = 0;
        for (double v : x) ms += v * v;
        double inv = 1 / Math.sqrt(ms / x.length + eps);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = w.get(i) * x[i] * inv;
        return y;
    }

    static double[] layerNorm(double[] x, Weight w, Weight b, double eps) {
        double mean = 0, var = 0;
        for (double v : x) mean += v;
        mean /= x.length;
        for (double v : x) var += (v - mean) * (v - mean);
        var /= x.length;
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = (x[i] - mean) / Math.sqrt(var + eps) * w.get(i) + b.get(i);
        return y;
    }

    /**
     * Rotates v[off .. off + d) at position p with the config's frequencies; interleaved pairs (2i, 2i+1), otherwise
     * (i, i + d/2). Returns a new array.
     */
    static double[] rope(double[] v, int off, int d, int p, double[] freqs, boolean interleaved) {
        double[] y = v.clone();
        for (int i = 0; i < d / 2; i++) {
            int a = off + (interleaved ? 2 * i : i), b = off + (interleaved ? 2 * i + 1 : i + d / 2);
            double c = Math.cos(p * freqs[i]), s = Math.sin(p * freqs[i]);
            y[a] = v[a] * c - v[b] * s;
            y[b] = v[a] * s + v[b] * c;
        }
        return y;
    }

    /** n^-1/2 H_n v with the Sylvester matrix H[i][j] = (-1)^popcount(i &amp; j). */
    static double[] hadamard(double[] v) {
        int n = v.length;
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < n; j++) s += (Integer.bitCount(i & j) % 2 == 0 ? 1 : -1) * v[j];
            y[i] = s / Math.sqrt(n);
        }
        return y;
    }

    /** mscale computed here by hand: 0.1 * mscale_all_dim * ln(factor) + 1 under YaRN. */
    static double manualMscale(RopeScaling r) {
        return r.isYarn() && r.factor() > 1 ? 0.1 * r.mscaleAllDim() * Math.log(r.factor()) + 1 : 1;
    }

    /** (nope + rope)^-1/2 * mscale^2, by hand. */
    static double manualScale(ModelConfig c) {
        double m = manualMscale(c.ropeScaling());
        return m * m / Math.sqrt(c.qkNopeHeadDim() + c.qkRopeHeadDim());
    }

    static double[][] queryLatent(ModelConfig c, AttentionWeights w, double[][] x) {
        double[][] a = linear(x, w.qA());
        for (int t = 0; t < a.length; t++) a[t] = rmsNorm(a[t], w.qANorm(), c.rmsNormEps());
        return a;
    }

    /** Normed kv latents [T][kv_lora] (exact mode, no FP8 round trip). */
    static double[][] latents(ModelConfig c, AttentionWeights w, double[][] x) {
        double[][] kv = linear(x, w.kvA());
        double[][] out = new double[x.length][];
        for (int t = 0; t < x.length; t++) out[t] = rmsNorm(java.util.Arrays.copyOf(kv[t], c.kvLoraRank()), w.kvANorm(), c.rmsNormEps());
        return out;
    }

    /**
     * Dense causal MLA (every key s &lt;= t attended) in exact mode, naive form written out per head, with the given
     * softmax scale. Returns the output [T][D] after o_proj.
     */
    static double[][] denseCausalMla(ModelConfig c, AttentionWeights w, double[][] x, double scale) {
        int tokens = x.length, heads = c.numAttentionHeads(), nope = c.qkNopeHeadDim(), rope = c.qkRopeHeadDim(), vd = c.vHeadDim();
        double[] freqs = c.ropeFrequencies();
        double[][] q = linear(queryLatent(c, w, x), w.qB());
        double[][] kv = linear(x, w.kvA());
        double[][] latent = latents(c, w, x);
        double[][] kPe = new double[tokens][];
        for (int t = 0; t < tokens; t++) kPe[t] = rope(java.util.Arrays.copyOfRange(kv[t], c.kvLoraRank(), c.kvLoraRank() + rope), 0, rope, t, freqs, true);
        double[][] up = linear(latent, w.kvB());
        double[][] o = new double[tokens][heads * vd];
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < heads; h++) {
                int qb = h * (nope + rope), kb = h * (nope + vd);
                double[] qPe = rope(java.util.Arrays.copyOfRange(q[t], qb + nope, qb + nope + rope), 0, rope, t, freqs, true);
                double[] logits = new double[t + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int s = 0; s <= t; s++) {
                    double dot = 0;
                    for (int d = 0; d < nope; d++) dot += q[t][qb + d] * up[s][kb + d];
                    for (int d = 0; d < rope; d++) dot += qPe[d] * kPe[s][d];
                    logits[s] = dot * scale;
                    max = Math.max(max, logits[s]);
                }
                double sum = 0;
                for (int s = 0; s <= t; s++) sum += logits[s] = Math.exp(logits[s] - max);
                for (int j = 0; j < vd; j++) {
                    double acc = 0;
                    for (int s = 0; s <= t; s++) acc += logits[s] / sum * up[s][kb + nope + j];
                    o[t][h * vd + j] = acc;
                }
            }
        }
        return linear(o, w.o());
    }

    /** Indexer query heads [T][H][D] after RoPE and (unless the variant drops it) the Hadamard transform. */
    static double[][][] indexerQueries(ModelConfig c, IndexerWeights w, double[][] qLatent, IndexerVariant v) {
        int heads = c.indexNHeads(), dim = c.indexHeadDim(), rope = c.qkRopeHeadDim();
        double[][] q = linear(qLatent, w.wqB());
        double[][][] out = new double[q.length][heads][];
        for (int t = 0; t < q.length; t++)
            for (int h = 0; h < heads; h++) {
                double[] head = java.util.Arrays.copyOfRange(q[t], h * dim, (h + 1) * dim);
                head = ropeIndexer(head, t, c, v);
                out[t][h] = v == IndexerVariant.HADAMARD_K_ONLY ? head : hadamard(head);
            }
        return out;
    }

    /** Indexer keys [T][D] after LayerNorm (eps 1e-6), RoPE and (unless the variant drops it) the Hadamard transform. */
    static double[][] indexerKeys(ModelConfig c, IndexerWeights w, double[][] x, IndexerVariant v) {
        double[][] k = linear(x, w.wk());
        for (int t = 0; t < k.length; t++) {
            k[t] = ropeIndexer(layerNorm(k[t], w.kNormWeight(), w.kNormBias(), 1e-6), t, c, v);
            if (v != IndexerVariant.HADAMARD_Q_ONLY) k[t] = hadamard(k[t]);
        }
        return k;
    }

    private static double[] ropeIndexer(double[] head, int p, ModelConfig c, IndexerVariant v) {
        int rope = c.qkRopeHeadDim(), off = v == IndexerVariant.ROPE_DIMS_LAST ? head.length - rope : 0;
        return rope(head, off, rope, p, c.ropeFrequencies(), v == IndexerVariant.ROPE_INTERLEAVED);
    }

    /** Head weights (W_w x)_h * H^-1/2 (the factor dropped by NO_HEAD_FACTOR), [T][H]. */
    static double[][] indexerHeadWeights(ModelConfig c, IndexerWeights w, double[][] x, IndexerVariant v) {
        double[][] p = linear(x, w.weightsProj());
        double f = v == IndexerVariant.NO_HEAD_FACTOR ? 1 : 1 / Math.sqrt(c.indexNHeads());
        for (double[] row : p) for (int h = 0; h < row.length; h++) row[h] *= f;
        return p;
    }

    /** I(t, s) = sum_h w_h D^-1/2 ReLU(q_h . k_s) for s &lt;= t, -inf after (or the variant's formula). */
    static double[][] indexerScores(ModelConfig c, double[][][] q, double[][] k, double[][] weights, IndexerVariant v) {
        int tokens = q.length;
        double[][] scores = new double[tokens][tokens];
        double dScale = 1 / Math.sqrt(c.indexHeadDim());
        for (int t = 0; t < tokens; t++)
            for (int s = 0; s < tokens; s++) {
                if (s > t) {
                    scores[t][s] = Double.NEGATIVE_INFINITY;
                    continue;
                }
                double sum = 0;
                for (int h = 0; h < q[t].length; h++) {
                    double dot = 0;
                    for (int d = 0; d < k[s].length; d++) dot += q[t][h][d] * k[s][d];
                    sum += weights[t][h] * dScale * (v == IndexerVariant.NO_RELU || v == IndexerVariant.SUM_BEFORE_RELU ? dot : Math.max(dot, 0));
                }
                scores[t][s] = v == IndexerVariant.SUM_BEFORE_RELU ? Math.max(sum, 0) : sum;
            }
        return scores;
    }

    /** Exact-mode indexer scores [T][T] of the variant, from x and the MLA weights. */
    static double[][] indexerScores(ModelConfig c, AttentionWeights w, double[][] x, IndexerVariant v) {
        double[][] qLatent = queryLatent(c, w, x);
        return indexerScores(c, indexerQueries(c, w.indexer(), qLatent, v), indexerKeys(c, w.indexer(), x, v),
                indexerHeadWeights(c, w.indexer(), x, v), v);
    }

    /** ue8m0 act_quant of one 128-wide row, written from spec/SEMANTICS.md: {codes as values, scale}. */
    static double[] actQuantUe8m0(double[] row, float[] scaleOut) {
        if (row.length != 128) throw new IllegalArgumentException("one tile expected");
        double amax = 1e-4;
        for (double v : row) amax = Math.max(amax, Math.abs(v));
        float s = UE8M0.roundUp((float) amax * (float) (1.0 / 448));
        scaleOut[0] = s;
        double[] codes = new double[row.length];
        for (int i = 0; i < row.length; i++) codes[i] = E4M3.round(row[i] / s);
        return codes;
    }

    static double[][] toArray(org.dsv32.spec.tensor.TensorF64 t) {
        double[][] a = new double[t.rows()][];
        for (int r = 0; r < a.length; r++) a[r] = t.rowArray(r);
        return a;
    }
}
