package org.dsv32.conformance.golden.ops;

import java.io.IOException;
import java.util.SplittableRandom;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.checks.BalanceLossCheck;
import org.dsv32.conformance.checks.ExpertBiasUpdateCheck;
import org.dsv32.conformance.golden.GoldenCase;
import org.dsv32.conformance.golden.GoldenConfigs;
import org.dsv32.conformance.golden.GoldenException;
import org.dsv32.conformance.golden.GoldenFormat;
import org.dsv32.conformance.golden.GoldenGenerator;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.BalanceLossOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;

/**
 * balance_loss: {@code input.logits} F32 [T][N_r], {@code input.selected} I32 [T][K], {@code input.sequence_lengths}
 * I32 [B] and metadata {@code alpha} → {@code expected.loss} [1], {@code expected.frequency} [B][N_r],
 * {@code expected.mean_affinity} [B][N_r], {@code expected.gradient} [T][N_r]. The shipped cases: the real layer's 256
 * experts with top-8 over two skewed sequences of unequal length at DeepSeek-V3's α, and a batch where every expert
 * is selected equally often (f = 1, loss = α, gradient 0).
 */
public final class BalanceLossGolden extends AbstractGoldenOp<BalanceLossOp, BalanceLossGolden.Prepared> {
    record Prepared(TensorF64 logits, int[][] selected, int[] lengths, double alpha, BalanceLossOp.Result expected) {}

    public BalanceLossGolden() { super(BalanceLossOp.class); }

    @Override
    public void generate(GoldenGenerator.Context ctx) throws IOException {
        for (GoldenGenerator.Variant v : ctx.modes()) {
            ModelConfig cfg = GoldenConfigs.operations(v.scales());
            BalanceLossOp ref = ctx.reference(BalanceLossOp.class, cfg, v.mode());

            long seed = ctx.seed("balance_loss-real-layer");
            SplittableRandom rng = new SplittableRandom(seed);
            int[] lengths = {48, 16};
            TensorF64 logits = BalanceLossCheck.skewedLogits(rng, 64, 256, 2, 1);
            int[][] selected = BalanceLossCheck.biasedTopK(logits, ExpertBiasUpdateCheck.bias(rng, 256, 0.05), 8);
            write(ctx, v, cfg, "real-layer", seed, "256 experts, top-8, two skewed sequences of 48 and 16 tokens, alpha 0.0001",
                    logits, selected, lengths, BalanceLossCheck.DEEPSEEK_V3_ALPHA, ref);

            seed = ctx.seed("balance_loss-balanced");
            rng = new SplittableRandom(seed);
            int n = cfg.nRoutedExperts(), k = cfg.numExpertsPerTok();
            write(ctx, v, cfg, "balanced", seed, "every expert selected equally often: f = 1, loss = alpha, gradient 0",
                    BalanceLossCheck.skewedLogits(rng, n, n, 2, 1), ExpertBiasUpdateCheck.balancedRouting(n, k), new int[] {n}, 0.5, ref);
        }
    }

    private void write(GoldenGenerator.Context ctx, GoldenGenerator.Variant v, ModelConfig cfg, String what, long seed, String description,
                       TensorF64 logits, int[][] selected, int[] lengths, double alpha, BalanceLossOp ref) throws IOException {
        BalanceLossOp.Result r = ref.compute(logits.copy(), selected, lengths, alpha);
        ctx.write(name(v, what), writer(v, cfg, what, seed, description)
                .meta(GoldenFormat.ALPHA, Double.toString(alpha))
                .input("logits", logits).inputIndices("selected", selected, selected[0].length).inputInts("sequence_lengths", lengths)
                .expected("loss", TensorF64.vector(r.loss())).expected("frequency", r.frequency())
                .expected("mean_affinity", r.meanAffinity()).expected("gradient", r.gradient()));
    }

    @Override
    public Prepared prepare(GoldenCase c) throws GoldenException {
        TensorF64 logits = matrix(c, GoldenFormat.INPUT + "logits", -1, -1);
        int tokens = logits.rows(), n = logits.cols();
        int[][] selected = c.indexRows(GoldenFormat.INPUT + "selected", tokens);
        int[] lengths = c.ints(GoldenFormat.INPUT + "sequence_lengths");
        double alpha = c.metaDouble(GoldenFormat.ALPHA, Double.NaN);
        if (!(alpha >= 0) || Double.isInfinite(alpha)) throw GoldenException.corrupted(c.file() + ": __metadata__ alpha must be a finite number >= 0");
        try {
            BalanceLossOp.validate(logits, selected, lengths, alpha);
        } catch (IllegalArgumentException e) {
            throw GoldenException.corrupted(c.file() + ": " + e.getMessage());
        }
        int b = lengths.length;
        BalanceLossOp.Result expected = new BalanceLossOp.Result(c.expected("loss", 1).getFlat(0), c.expected("gradient", tokens, n),
                c.expected("frequency", b, n), c.expected("mean_affinity", b, n));
        return new Prepared(logits, selected, lengths, alpha, expected);
    }

    @Override
    public Tolerance tolerance(GoldenCase c, Prepared p, Tier tier) { return BalanceLossCheck.tolerance(p.logits(), p.lengths()); }

    @Override
    public CaseResult run(GoldenCase c, Prepared p, BalanceLossOp op, Tolerance tol) {
        CaseEval ev = eval(c, tol);
        TensorF64 logits = p.logits().copy();
        BalanceLossOp.Result y = op.compute(logits, p.selected(), p.lengths(), p.alpha());
        ev.requireUnchanged("input.logits", p.logits(), logits);
        BalanceLossCheck.compare(ev, p.logits(), p.lengths(), p.alpha(), y, p.expected());
        return ev.result();
    }
}
