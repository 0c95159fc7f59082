package org.dsv32.conformance.golden.ops;

import java.io.IOException;
import java.util.SplittableRandom;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.checks.MtpLossCheck;
import org.dsv32.conformance.golden.DecisionMargins;
import org.dsv32.conformance.golden.GoldenCase;
import org.dsv32.conformance.golden.GoldenException;
import org.dsv32.conformance.golden.GoldenFormat;
import org.dsv32.conformance.golden.GoldenGenerator;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.MtpLoss;
import org.dsv32.spec.ops.MtpLossOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.ModelWeights;

/**
 * mtp_loss: {@code input.tokens} I32 [T], the MTP loss weight in {@code __metadata__} {@code lambda}, over the whole
 * checkpoint of the shared {@code weights_file} (its D MTP modules) → {@code expected.losses} [D + 2] (the main
 * loss, L^1 .. L^D, L_MTP), {@code expected.nll_k} [T − k − 1] for k = 0 .. D (the main model's and module k's
 * per-position negative log-likelihoods) and {@code expected.logit_scale} [2] (the largest logits-row norm and range,
 * which the tolerance scales with). Tokens drawn until no decision inside is near-tied ({@link DecisionMargins}).
 */
public final class MtpLossGolden extends AbstractGoldenOp<MtpLossOp, MtpLossGolden.Prepared> {
    /** The metadata key of λ. */
    static final String LAMBDA = "lambda";

    record Prepared(int[] tokens, double lambda, ModelWeights w, MtpLoss expected) {}

    public MtpLossGolden() { super(MtpLossOp.class); }

    @Override
    public void generate(GoldenGenerator.Context ctx) throws IOException {
        int t = 5; // short: every decision of the main model and the module must be clear of a near tie
        double lambda = MtpLossCheck.DEEPSEEK_V3_LAMBDA;
        for (GoldenGenerator.Variant v : ctx.variants(false)) {
            GoldenGenerator.SharedWeights sw = ctx.modelWeights(v.scales());
            ModelConfig cfg = sw.config();
            for (int attempt = 0; ; attempt++) {
                long seed = ctx.seed("mtp_loss-tokens" + (attempt == 0 ? "" : "#" + attempt));
                int[] tokens = new SplittableRandom(seed).ints(t, 0, cfg.vocabSize()).toArray();
                DecisionMargins rec = new DecisionMargins();
                MtpLoss r = rec.require(MtpLossOp.class, new OpContext(cfg, v.mode())).loss(tokens, sw.weights(), lambda);
                if (!rec.clear()) {
                    if (attempt >= 60) throw new IllegalStateException("mtp_loss: no draw without near-tied decisions");
                    continue;
                }
                var w = writer(v, cfg, "sequence", seed, String.format(java.util.Locale.ROOT,
                        "the MTP objective over a sequence of %d tokens, lambda %.1f: main loss, L^1, L_MTP and every position's NLL; "
                                + "%d decisions inside, the smallest top-k score gap %.1f%% of the score scale",
                        t, lambda, rec.decisions(), 100 * rec.smallestGap()))
                        .meta(LAMBDA, Double.toString(lambda)).meta(GoldenFormat.WEIGHTS_FILE, sw.file()).meta(GoldenFormat.WEIGHTS_SHA256, sw.seal())
                        .inputInts("tokens", tokens).expected("losses", vector(losses(r)))
                        .expected("logit_scale", vector(new double[] {r.maxLogitNorm(), r.maxLogitRange()}));
                for (int k = 0; k < r.nll().length; k++) w.expected("nll_" + k, vector(r.nll()[k]));
                ctx.write(name(v, "sequence"), w);
                break;
            }
        }
    }

    private static double[] losses(MtpLoss r) {
        int d = r.modules();
        double[] out = new double[d + 2];
        out[0] = r.mainLoss();
        System.arraycopy(r.moduleLosses(), 0, out, 1, d);
        out[d + 1] = r.mtpLoss();
        return out;
    }

    private static TensorF64 vector(double[] v) {
        TensorF64 t = TensorF64.zeros(v.length);
        for (int i = 0; i < v.length; i++) t.setFlat(i, v[i]);
        return t;
    }

    @Override
    public Prepared prepare(GoldenCase c) throws GoldenException {
        ModelConfig cfg = c.config();
        int[] tokens = ModelGolden.tokens(c, "tokens");
        int d = cfg.numNextnPredictLayers(), t = tokens.length;
        if (d < 1 || t < d + 2) throw GoldenException.corrupted(c.file() + ": " + t + " tokens and " + d + " MTP modules (T >= D + 2 >= 3 needed)");
        double lambda = c.metaDouble(LAMBDA, Double.NaN);
        if (!(lambda >= 0) || Double.isInfinite(lambda)) throw GoldenException.corrupted(c.file() + ": __metadata__ lambda must be a finite number >= 0");
        double[] losses = c.expected("losses", d + 2).toArray();
        double[] scale = c.expected("logit_scale", 2).toArray();
        double[][] nll = new double[d + 1][];
        for (int k = 0; k <= d; k++) nll[k] = c.expected("nll_" + k, t - k - 1).toArray();
        MtpLoss expected = new MtpLoss(losses[0], java.util.Arrays.copyOfRange(losses, 1, d + 1), losses[d + 1], nll, scale[0], scale[1]);
        return new Prepared(tokens, lambda, c.weights().model(), expected);
    }

    @Override
    public Tolerance tolerance(GoldenCase c, Prepared p, Tier tier) {
        int t = p.tokens().length;
        return Tolerances.mtpLoss(c.config(), c.mode(), tier, t, Math.min(c.config().indexTopk(), t), 1, t - 2,
                p.expected().maxLogitNorm(), p.expected().maxLogitRange(), 1, p.expected().moduleLosses()[0]);
    }

    @Override
    public CaseResult run(GoldenCase c, Prepared p, MtpLossOp op, Tolerance tol) {
        CaseEval ev = eval(c, tol);
        MtpLoss y = op.loss(p.tokens().clone(), p.w(), p.lambda());
        MtpLoss r = p.expected();
        if (c.tolerance().isCustom()) {
            // the case prescribes its own gate: every loss and NLL under it
            ev.compare("losses", losses(y), losses(r), tol);
            for (int k = 0; k < Math.min(y.nll().length, r.nll().length); k++) ev.compare("nll_" + k, y.nll()[k], r.nll()[k], tol);
        } else {
            MtpLossCheck.compare(ev, c.config(), c.mode(), c.tolerance().tier(), p.tokens().length, p.lambda(), y, r);
        }
        return ev.result();
    }
}
