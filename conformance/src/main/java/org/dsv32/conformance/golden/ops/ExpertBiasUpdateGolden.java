package org.dsv32.conformance.golden.ops;

import java.io.IOException;
import java.util.SplittableRandom;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.checks.ExpertBiasUpdateCheck;
import org.dsv32.conformance.golden.GoldenCase;
import org.dsv32.conformance.golden.GoldenConfigs;
import org.dsv32.conformance.golden.GoldenException;
import org.dsv32.conformance.golden.GoldenFormat;
import org.dsv32.conformance.golden.GoldenGenerator;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.ExpertBiasUpdateOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;

/**
 * expert_bias_update: {@code input.bias} F32 [N_r], {@code input.selected} I32 [T][K] (the experts each token of the
 * batch was routed to) and metadata {@code gamma} → {@code expected.bias} [N_r] = bias + γ sign(T K − N_r c_i). The
 * shipped cases: the real layer's 256 experts with top-8 routing of 512 skewed tokens, and a batch with every expert
 * but two exactly at the mean load (sign 0).
 */
public final class ExpertBiasUpdateGolden extends AbstractGoldenOp<ExpertBiasUpdateOp, ExpertBiasUpdateGolden.Prepared> {
    record Prepared(TensorF64 bias, int[][] selected, double gamma, TensorF64 expected) {}

    public ExpertBiasUpdateGolden() { super(ExpertBiasUpdateOp.class); }

    @Override
    public void generate(GoldenGenerator.Context ctx) throws IOException {
        for (GoldenGenerator.Variant v : ctx.modes()) {
            ModelConfig cfg = GoldenConfigs.operations(v.scales());
            ExpertBiasUpdateOp ref = ctx.reference(ExpertBiasUpdateOp.class, cfg, v.mode());
            double gamma = ExpertBiasUpdateCheck.DEEPSEEK_V3_GAMMA;

            long seed = ctx.seed("expert_bias_update-real-layer");
            SplittableRandom rng = new SplittableRandom(seed);
            TensorF64 bias = ExpertBiasUpdateCheck.bias(rng, 256, 1e-2);
            int[][] selected = ExpertBiasUpdateCheck.skewedRouting(rng, 512, 256, 8);
            write(ctx, v, cfg, "real-layer", seed, "256 experts, top-8 routing of 512 tokens with a skew toward low indices, gamma 0.001",
                    bias, selected, gamma, ref);

            seed = ctx.seed("expert_bias_update-at-mean");
            rng = new SplittableRandom(seed);
            int n = cfg.nRoutedExperts(), k = cfg.numExpertsPerTok();
            int[][] nearMean = ExpertBiasUpdateCheck.balancedRouting(n, k);
            nearMean[0][0] = (nearMean[0][0] + k) % n;
            write(ctx, v, cfg, "at-mean", seed, "every expert but two exactly at the mean load: their bias must not move (sign 0)",
                    ExpertBiasUpdateCheck.bias(rng, n, 1e-2), nearMean, gamma, ref);
        }
    }

    private void write(GoldenGenerator.Context ctx, GoldenGenerator.Variant v, ModelConfig cfg, String what, long seed, String description,
                       TensorF64 bias, int[][] selected, double gamma, ExpertBiasUpdateOp ref) throws IOException {
        TensorF64 y = ref.update(bias.copy(), selected, gamma);
        ctx.write(name(v, what), writer(v, cfg, what, seed, description)
                .meta(GoldenFormat.GAMMA, Double.toString(gamma))
                .input("bias", bias).inputIndices("selected", selected, selected[0].length).expected("bias", y));
    }

    @Override
    public Prepared prepare(GoldenCase c) throws GoldenException {
        TensorF64 bias = c.tensor(GoldenFormat.INPUT + "bias");
        if (bias.rank() != 1 || bias.size() == 0) throw GoldenException.corrupted(c.file() + ": input.bias is " + bias + ", expected [n_routed_experts]");
        String sel = GoldenFormat.INPUT + "selected";
        long[] shape = c.raw(sel).shape();
        if (shape.length != 2) throw GoldenException.corrupted(c.file() + ": " + sel + " has rank " + shape.length + ", expected [T][K]");
        int[][] selected = c.indexRows(sel, (int) shape[0]);
        double gamma = c.metaDouble(GoldenFormat.GAMMA, Double.NaN);
        if (!(gamma >= 0) || Double.isInfinite(gamma)) throw GoldenException.corrupted(c.file() + ": __metadata__ gamma must be a finite number >= 0");
        return new Prepared(bias, selected, gamma, c.expected("bias", bias.size()));
    }

    @Override
    public Tolerance tolerance(GoldenCase c, Prepared p, Tier tier) { return ExpertBiasUpdateCheck.tolerance(p.bias(), p.gamma(), p.expected()); }

    @Override
    public CaseResult run(GoldenCase c, Prepared p, ExpertBiasUpdateOp op, Tolerance tol) {
        CaseEval ev = eval(c, tol);
        TensorF64 b = p.bias().copy();
        TensorF64 y = op.update(b, p.selected(), p.gamma());
        ev.requireUnchanged("input.bias", p.bias(), b);
        ExpertBiasUpdateCheck.requireSameDirections(ev, p.bias(), y, p.expected());
        ev.compare("bias", y, p.expected());
        return ev.result();
    }
}
