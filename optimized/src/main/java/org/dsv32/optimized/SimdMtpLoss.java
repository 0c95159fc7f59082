package org.dsv32.optimized;

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
import org.dsv32.spec.weights.ModelWeights;
import org.dsv32.spec.weights.MtpWeights;
import org.dsv32.spec.weights.Weight;

/**
 * The MTP training objective over one sequence in float32 (spec/SEMANTICS.md §10d; the contract is
 * {@link MtpLossOp}): the main prefill through this backend's model, then each module over the positions that have
 * a target, chained through its block's output, and the losses reduced in float32 as a training framework's fp32
 * cross-entropy does: per row the max-subtracted log-sum-exp, the mean over positions, then (λ / D) Σ_k L^k. The
 * tolerance against the float64 reference is derived in {@code Tolerances.mtpLoss}.
 */
public final class SimdMtpLoss implements MtpLossOp {
    private final OpContext ctx;
    private final SimdParts parts;
    private final Backend self;

    public SimdMtpLoss(OpContext ctx, Backend self) {
        this.ctx = ctx;
        this.self = self;
        this.parts = new SimdParts(self, ctx);
    }

    @Override
    public MtpLoss loss(int[] tokens, ModelWeights weights, double lambda) {
        MtpLossOp.validate(ctx.config(), tokens, weights, lambda);
        int t = tokens.length, d = ctx.config().numNextnPredictLayers(), dim = ctx.config().hiddenSize();
        double[][] nll = new double[d + 1][];
        float[] stats = new float[2];
        ModelSession main = self.require(ModelOp.class, ctx).open(weights);
        float[] logits = SimdTensors.toFloats(main.forward(tokens));
        float[] hidden = SimdTensors.toFloats(main.lastHidden());
        int vocab = logits.length / t;
        nll[0] = nll(logits, vocab, tokens, 0, t - 1, stats);
        RmsNormOp norm = parts.get(RmsNormOp.class);
        LinearOp linear = parts.get(LinearOp.class);
        double eps = ctx.config().rmsNormEps();
        for (int k = 1; k <= d; k++) {
            int rows = t - k - 1;
            MtpWeights m = weights.mtp().get(k - 1);
            int[] in = new int[rows];
            for (int i = 0; i < rows; i++) in[i] = tokens[i + k];
            float[] e = SimdOps.rmsNorm(norm, SimdEmbedding.lookup(weights.embedding(), in), rows, dim, m.enorm(), eps);
            java.util.Arrays.fill(e, 0, dim, 0f); // row 0 is position 0: no predecessor
            float[] h = SimdOps.rmsNorm(norm, java.util.Arrays.copyOf(hidden, rows * dim), rows, dim, m.hnorm(), eps);
            float[] cat = new float[rows * 2 * dim];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(e, r * dim, cat, r * 2 * dim, dim);        // embedding first
                System.arraycopy(h, r * dim, cat, r * 2 * dim + dim, dim);
            }
            float[] u = SimdOps.linear(linear, cat, rows, m.ehProj());
            float[] g = SimdBlock.run(parts.get(BlockOp.class), u, rows, 0, m.block(), new LayerCache());
            Weight head = m.head() != null ? m.head() : weights.lmHead();
            float[] z = SimdOps.linear(linear, SimdOps.rmsNorm(norm, g, rows, dim, m.headNorm(), eps), rows, head);
            nll[k] = nll(z, head.rows(), tokens, k, rows, stats);
            hidden = g;
        }
        double[] moduleLosses = new double[d];
        float sum = 0;
        for (int k = 1; k <= d; k++) {
            moduleLosses[k - 1] = mean(nll[k]);
            sum += (float) moduleLosses[k - 1];
        }
        float mtp = (float) lambda / d * sum;
        return new MtpLoss(mean(nll[0]), moduleLosses, mtp, nll, stats[0], stats[1]);
    }

    /** −log softmax(z_i)[t_{i+k+1}] for rows 0 .. rows−1, in float32, max-subtracted; updates the logit statistics. */
    private static double[] nll(float[] z, int vocab, int[] tokens, int k, int rows, float[] stats) {
        double[] out = new double[rows];
        for (int i = 0; i < rows; i++) {
            int o = i * vocab;
            float max = Float.NEGATIVE_INFINITY, min = Float.POSITIVE_INFINITY, sq = 0;
            for (int j = 0; j < vocab; j++) {
                float v = z[o + j];
                max = Math.max(max, v);
                min = Math.min(min, v);
                sq += v * v;
            }
            float s = 0;
            for (int j = 0; j < vocab; j++) s += (float) Math.exp(z[o + j] - max);
            out[i] = -((z[o + tokens[i + k + 1]] - max) - (float) Math.log(s));
            stats[0] = Math.max(stats[0], (float) Math.sqrt(sq));
            stats[1] = Math.max(stats[1], max - min);
        }
        return out;
    }

    /** The float32 mean of float32 terms. */
    private static double mean(double[] terms) {
        float s = 0;
        for (double v : terms) s += (float) v;
        return s / terms.length;
    }
}
