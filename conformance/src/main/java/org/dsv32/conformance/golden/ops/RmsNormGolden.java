package org.dsv32.conformance.golden.ops;

import java.io.IOException;
import java.util.SplittableRandom;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.conformance.golden.GoldenCase;
import org.dsv32.conformance.golden.GoldenCaseWriter;
import org.dsv32.conformance.golden.GoldenConfigs;
import org.dsv32.conformance.golden.GoldenException;
import org.dsv32.conformance.golden.GoldenFormat;
import org.dsv32.conformance.golden.GoldenGenerator;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Weight;

/**
 * rms_norm: {@code input.x} [T][D] and the 1-D weight named by {@code weight}, eps from metadata {@code eps}
 * (default the config's rms_norm_eps) → {@code expected.y}. With {@code fused_residual} = true also
 * {@code input.residual}: the operation first adds x into the residual, and {@code expected.residual} is the sum.
 */
public final class RmsNormGolden extends AbstractGoldenOp<RmsNormOp, RmsNormGolden.Prepared> {
    record Prepared(TensorF64 x, TensorF64 residual, Weight w, double eps, TensorF64 y, TensorF64 residualOut) {}

    public RmsNormGolden() { super(RmsNormOp.class); }

    @Override
    public void generate(GoldenGenerator.Context ctx) throws IOException {
        for (GoldenGenerator.Variant v : ctx.modes()) {
            ModelConfig cfg = GoldenConfigs.operations(v.scales());
            int d = cfg.hiddenSize();
            for (boolean fused : new boolean[] {false, true}) {
                String what = fused ? "fused-residual" : "rows";
                long seed = ctx.seed("rms_norm-" + what);
                SplittableRandom rng = new SplittableRandom(seed);
                Weight w = RandomWeights.normWeight(rng, "model.layers.0.input_layernorm.weight", d);
                TensorF64 x = RandomInputs.rowScaled(rng, RandomInputs.gaussian(rng, 1, 4, d), 1e-2, 1e2);
                RmsNormOp ref = ctx.reference(RmsNormOp.class, cfg, v.mode());
                GoldenCaseWriter wr = writer(v, cfg, what, seed, fused
                        ? "residual <- residual + x, then RMSNorm(residual) (the blocks' fused form)"
                        : "RMSNorm of rows of magnitudes 1e-2..1e2")
                        .meta(GoldenFormat.WEIGHT, w.name()).meta(GoldenFormat.EPS, Double.toString(cfg.rmsNormEps()))
                        .meta(GoldenFormat.FUSED_RESIDUAL, Boolean.toString(fused)).vector(w).input("x", x);
                if (fused) {
                    TensorF64 res = RandomInputs.gaussian(rng, 3, 4, d);
                    TensorF64 resOut = res.copy();
                    TensorF64 y = ref.applyWithResidual(x.copy(), resOut, w, cfg.rmsNormEps());
                    wr.input("residual", res).expected("y", y).expected("residual", resOut);
                } else {
                    wr.expected("y", ref.apply(x.copy(), w, cfg.rmsNormEps()));
                }
                ctx.write(name(v, what), wr);
            }
        }
    }

    @Override
    public Prepared prepare(GoldenCase c) throws GoldenException {
        TensorF64 x = matrix(c, GoldenFormat.INPUT + "x", -1, -1);
        Weight w = c.weights().vector(c.meta(GoldenFormat.WEIGHT), x.cols());
        double eps = c.metaDouble(GoldenFormat.EPS, c.config().rmsNormEps());
        boolean fused = c.metaBoolean(GoldenFormat.FUSED_RESIDUAL);
        TensorF64 y = c.expected("y", x.rows(), x.cols());
        if (!fused) return new Prepared(x, null, w, eps, y, null);
        return new Prepared(x, matrix(c, GoldenFormat.INPUT + "residual", x.rows(), x.cols()), w, eps, y, c.expected("residual", x.rows(), x.cols()));
    }

    @Override
    public Tolerance tolerance(GoldenCase c, Prepared p, Tier tier) { return Tolerances.rmsNorm(p.x().cols(), p.residual() != null); }

    @Override
    public CaseResult run(GoldenCase c, Prepared p, RmsNormOp op, Tolerance tol) {
        CaseEval ev = eval(c, tol);
        TensorF64 x = p.x().copy();
        if (p.residual() == null) {
            ev.compare("y", op.apply(x, p.w(), p.eps()), p.y());
        } else {
            TensorF64 res = p.residual().copy();
            ev.compare("y", op.applyWithResidual(x, res, p.w(), p.eps()), p.y());
            ev.compare("residual (modified)", res, p.residualOut());
        }
        ev.requireUnchanged("input.x", p.x(), x);
        return ev.result();
    }
}
