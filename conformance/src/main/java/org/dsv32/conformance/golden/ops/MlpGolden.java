package org.dsv32.conformance.golden.ops;

import java.io.IOException;
import java.util.SplittableRandom;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.conformance.golden.GoldenCase;
import org.dsv32.conformance.golden.GoldenConfigs;
import org.dsv32.conformance.golden.GoldenException;
import org.dsv32.conformance.golden.GoldenFormat;
import org.dsv32.conformance.golden.GoldenGenerator;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Bf16Tolerance;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MlpWeights;

/**
 * mlp (SwiGLU: dense FFN, routed or shared expert): {@code input.x} [T][D] and the weights
 * {@code <weight_prefix>.gate_proj / up_proj / down_proj} → {@code expected.y} = down(silu(gate x) * up x). The
 * shipped cases use an expert of width 128 (down has K = 128) and an all-zero activation tile.
 */
public final class MlpGolden extends AbstractGoldenOp<MlpOp, MlpGolden.Prepared> {
    record Prepared(TensorF64 x, MlpWeights w, TensorF64 y) {}

    public MlpGolden() { super(MlpOp.class); }

    @Override
    public void generate(GoldenGenerator.Context ctx) throws IOException {
        for (GoldenGenerator.Variant v : ctx.variantsWithBf16(false)) {
            ModelConfig cfg = GoldenConfigs.operations(v.scales());
            long seed = ctx.seed("mlp-expert-" + v.scales().label());
            SplittableRandom rng = new SplittableRandom(seed);
            String prefix = "model.layers.1.mlp.experts.0";
            MlpWeights w = RandomWeights.mlp(rng, prefix, cfg.hiddenSize(), cfg.moeIntermediateSize(), v.scales());
            TensorF64 x = RandomInputs.zeroTile(RandomInputs.gaussian(rng, 1, 4, cfg.hiddenSize()), 2, 1);
            TensorF64 y = ctx.reference(MlpOp.class, cfg, v.mode()).forward(x.copy(), w);
            ctx.write(name(v, "expert-i128"), writer(v, cfg, "expert-i128", seed,
                    "a routed expert D=256 -> I=128 -> D (down_proj K = 128); row 2 tile 1 all zero")
                    .meta(GoldenFormat.WEIGHT_PREFIX, prefix).weight(w.gate()).weight(w.up()).weight(w.down())
                    .input("x", x).expected("y", y));
        }
    }

    @Override
    public Prepared prepare(GoldenCase c) throws GoldenException {
        TensorF64 x = matrix(c, GoldenFormat.INPUT + "x", -1, -1);
        MlpWeights w = c.weights().mlp(c.meta(GoldenFormat.WEIGHT_PREFIX), x.cols());
        return new Prepared(x, w, c.expected("y", x.rows(), x.cols()));
    }

    @Override
    public Tolerance tolerance(GoldenCase c, Prepared p, Tier tier) {
        return Bf16Tolerance.of(Tolerances.mlp(p.x().cols(), p.w().intermediateSize(), c.mode(), tier), c.mode(),
                p.w().intermediateSize(), 3, 1, 1.0); // the bf16 tier of MlpCheck
    }

    @Override
    public CaseResult run(GoldenCase c, Prepared p, MlpOp op, Tolerance tol) {
        CaseEval ev = eval(c, tol);
        TensorF64 x = p.x().copy();
        ev.compare("y", op.forward(x, p.w()), p.y());
        ev.requireUnchanged("input.x", p.x(), x);
        return ev.result();
    }
}
