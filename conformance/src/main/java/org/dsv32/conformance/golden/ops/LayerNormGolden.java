package org.dsv32.conformance.golden.ops;

import java.io.IOException;
import java.util.SplittableRandom;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.conformance.golden.CaseWeights;
import org.dsv32.conformance.golden.GoldenCase;
import org.dsv32.conformance.golden.GoldenConfigs;
import org.dsv32.conformance.golden.GoldenException;
import org.dsv32.conformance.golden.GoldenFormat;
import org.dsv32.conformance.golden.GoldenGenerator;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Weight;

/**
 * layer_norm (the indexer key's k_norm): {@code input.x} [T][d], the 1-D tensors named by {@code weight} and
 * {@code bias}, eps from {@code eps} (default 1e-6) → {@code expected.y} = ((x - mean) / sqrt(var + eps)) w + b,
 * biased variance. The gate grows with the rows' condition max|x| / std(x), computed from input.x.
 */
public final class LayerNormGolden extends AbstractGoldenOp<LayerNormOp, LayerNormGolden.Prepared> {
    /** eps of the indexer's k_norm (spec/SEMANTICS.md §6). */
    static final double EPS = 1e-6;

    record Prepared(TensorF64 x, Weight w, Weight b, double eps, TensorF64 y) {}

    public LayerNormGolden() { super(LayerNormOp.class); }

    @Override
    public void generate(GoldenGenerator.Context ctx) throws IOException {
        for (GoldenGenerator.Variant v : ctx.modes()) {
            ModelConfig cfg = GoldenConfigs.operations(v.scales());
            int d = cfg.indexHeadDim();
            long seed = ctx.seed("layer_norm-rows");
            SplittableRandom rng = new SplittableRandom(seed);
            Weight w = RandomWeights.normWeight(rng, "model.layers.0.self_attn.indexer.k_norm.weight", d);
            Weight b = RandomWeights.bf16(rng, "model.layers.0.self_attn.indexer.k_norm.bias", 1, d, 0, 0.1);
            TensorF64 x = RandomInputs.rowScaled(rng, RandomInputs.gaussian(rng, 1, 4, d), 1e-2, 1e2);
            x = RandomInputs.offsetRow(x, 2, 8 * Math.abs(x.at(2, 0)) + 1);
            TensorF64 y = ctx.reference(LayerNormOp.class, cfg, v.mode()).apply(x.copy(), w, b, EPS);
            ctx.write(name(v, "rows"), writer(v, cfg, "rows", seed, "LayerNorm over 128 dims; row 2 has a large common offset")
                    .meta(GoldenFormat.WEIGHT, w.name()).meta(GoldenFormat.BIAS, b.name()).meta(GoldenFormat.EPS, Double.toString(EPS))
                    .vector(w).vector(b).input("x", x).expected("y", y));
        }
    }

    @Override
    public Prepared prepare(GoldenCase c) throws GoldenException {
        TensorF64 x = matrix(c, GoldenFormat.INPUT + "x", -1, -1);
        CaseWeights cw = c.weights();
        return new Prepared(x, cw.vector(c.meta(GoldenFormat.WEIGHT), x.cols()), cw.vector(c.meta(GoldenFormat.BIAS), x.cols()),
                c.metaDouble(GoldenFormat.EPS, EPS), c.expected("y", x.rows(), x.cols()));
    }

    @Override
    public Tolerance tolerance(GoldenCase c, Prepared p, Tier tier) {
        return Tolerances.layerNorm(p.x().cols(), Tolerances.layerNormCondition(p.x(), p.eps()));
    }

    @Override
    public CaseResult run(GoldenCase c, Prepared p, LayerNormOp op, Tolerance tol) {
        CaseEval ev = eval(c, tol);
        TensorF64 x = p.x().copy();
        ev.compare("y", op.apply(x, p.w(), p.b(), p.eps()), p.y());
        ev.requireUnchanged("input.x", p.x(), x);
        return ev.result();
    }
}
