package org.dsv32.reference;

import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.BlockOp;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.ModelSession;
import org.dsv32.spec.ops.MtpLoss;
import org.dsv32.spec.ops.MtpLossOp;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ModelWeights;
import org.dsv32.spec.weights.MtpWeights;

/**
 * The MTP training objective over one sequence, the reference (spec/SEMANTICS.md §10d; {@link MtpLossOp} states the
 * formula and the sequence-end rule). Float64, one protected method per step, so that a mutant overrides one:
 * the main prefill, module k's input tokens, the two normed inputs and their concatenation (embedding first), the
 * projection, block and head, the target of a position, the stable log-probability, the mean, and the combination
 * (λ / D) Σ_k L^k. The module is composed here from the backend's norm, linear and block rather than taken from
 * {@code MtpOp}, so that the property "module 1's terms equal the NLL of MtpOp's logits" ties two computations.
 */
public class ReferenceMtpLoss implements MtpLossOp {
    protected final OpContext ctx;
    protected final Backend self;

    public ReferenceMtpLoss(OpContext ctx, Backend self) {
        this.ctx = ctx;
        this.self = self;
    }

    @Override
    public MtpLoss loss(int[] tokens, ModelWeights weights, double lambda) {
        MtpLossOp.validate(ctx.config(), tokens, weights, lambda);
        int t = tokens.length, d = ctx.config().numNextnPredictLayers();
        double[][] nll = new double[d + 1][];
        double[] stats = new double[2]; // max row norm, max row range
        ModelSession main = self.require(ModelOp.class, ctx).open(weights);
        TensorF64 logits = main.forward(tokens);
        TensorF64 hidden = main.lastHidden();
        nll[0] = negativeLogLikelihoods(logits, tokens, 0, t - 1, stats);
        for (int k = 1; k <= d; k++) {
            int rows = t - k - 1;
            MtpWeights m = weights.mtp().get(k - 1);
            TensorF64 h = moduleBlock(moduleInput(firstRows(hidden, rows), moduleTokens(tokens, k, rows), weights, m), m);
            nll[k] = negativeLogLikelihoods(moduleHead(h, weights, m), tokens, k, rows, stats);
            hidden = h;
        }
        double[] moduleLosses = new double[d];
        for (int k = 1; k <= d; k++) moduleLosses[k - 1] = mean(nll[k]);
        return new MtpLoss(mean(nll[0]), moduleLosses, combine(lambda, moduleLosses), nll, stats[0], stats[1]);
    }

    private static TensorF64 firstRows(TensorF64 x, int rows) {
        TensorF64 y = TensorF64.zeros(rows, x.cols());
        for (int r = 0; r < rows; r++) for (int c = 0; c < x.cols(); c++) y.put(r, c, x.at(r, c));
        return y;
    }

    /** Module k's input tokens t_{i+k}, i = 0 .. rows−1. */
    protected int[] moduleTokens(int[] tokens, int k, int rows) {
        int[] out = new int[rows];
        for (int i = 0; i < rows; i++) out[i] = tokens[i + k];
        return out;
    }

    /** h'^k = M_k [RMSNorm_e(Emb(t_{i+k})) ; RMSNorm_h(h^{k−1}_i)], the embedding zeroed at position 0. */
    protected TensorF64 moduleInput(TensorF64 previous, int[] inputTokens, ModelWeights w, MtpWeights m) {
        RmsNormOp norm = self.require(RmsNormOp.class, ctx);
        double eps = ctx.config().rmsNormEps();
        TensorF64 e = norm.apply(ReferenceEmbedding.lookup(w.embedding(), inputTokens), m.enorm(), eps);
        for (int c = 0; c < e.cols(); c++) e.put(0, c, 0.0); // position 0 has no predecessor (spec/SEMANTICS.md §10)
        TensorF64 h = norm.apply(previous, m.hnorm(), eps);
        return self.require(LinearOp.class, ctx).apply(concat(e, h), m.ehProj());
    }

    /** [embedding ; hidden] per row: the order is part of the semantics (embedding first, as the inference code). */
    protected TensorF64 concat(TensorF64 first, TensorF64 second) { return ReferenceMtp.embeddingThenHidden(first, second, first.cols()); }

    /** h^k = Block_k(h'^k), over the sequence from position 0 with a fresh cache. */
    protected TensorF64 moduleBlock(TensorF64 input, MtpWeights m) {
        return self.require(BlockOp.class, ctx).forward(input, 0, m.block(), new LayerCache());
    }

    /** Module logits: the shared head (shared_head.head, or the main LM head when absent) after shared_head.norm. */
    protected TensorF64 moduleHead(TensorF64 h, ModelWeights w, MtpWeights m) {
        TensorF64 n = self.require(RmsNormOp.class, ctx).apply(h, m.headNorm(), ctx.config().rmsNormEps());
        return self.require(LinearOp.class, ctx).apply(n, m.head() != null ? m.head() : w.lmHead());
    }

    /** −log P_i[target(i)] for rows 0 .. rows−1 of {@code logits} (k = 0: the main model); updates the logit statistics. */
    protected double[] negativeLogLikelihoods(TensorF64 logits, int[] tokens, int k, int rows, double[] stats) {
        double[] out = new double[rows];
        for (int i = 0; i < rows; i++) {
            double[] z = logits.rowArray(i);
            out[i] = -logProbability(z, target(tokens, i, k));
            double sq = 0, lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (double v : z) {
                sq += v * v;
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            stats[0] = Math.max(stats[0], Math.sqrt(sq));
            stats[1] = Math.max(stats[1], hi - lo);
        }
        return out;
    }

    /** The token position i predicts at depth k: t_{i+k+1} (k = 0 the main model's next token). */
    protected int target(int[] tokens, int i, int k) { return tokens[i + k + 1]; }

    /** log softmax(z)[target], max-subtracted so that no exponential overflows. */
    protected double logProbability(double[] z, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) max = Math.max(max, v);
        double sum = 0;
        for (double v : z) sum += Math.exp(v - max);
        return z[target] - max - Math.log(sum);
    }

    /** The mean over the positions that have a target. */
    protected double mean(double[] terms) {
        double s = 0;
        for (double v : terms) s += v;
        return s / terms.length;
    }

    /** L_MTP = (λ / D) Σ_k L^k. */
    protected double combine(double lambda, double[] moduleLosses) {
        double s = 0;
        for (double v : moduleLosses) s += v;
        return lambda / moduleLosses.length * s;
    }
}
