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
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.Weight;

/**
 * linear: {@code input.x} [M][K] and the weight named by metadata {@code weight} ([N][K]: F8_E4M3 codes with a
 * {@code weight_scale_inv} sibling, or dense) → {@code expected.y} [M][N] = x W^T (in fp8 mode through act_quant
 * and the block-scaled GEMM). Cases: N = 576 (a ragged 64-row block) with K = 256, an all-zero activation tile and an
 * outlier, in all four mode/scale variants; one token with K = 128; a dense bf16 LM head.
 */
public final class LinearGolden extends AbstractGoldenOp<LinearOp, LinearGolden.Prepared> {
    record Prepared(TensorF64 x, Weight w, TensorF64 y) {}

    public LinearGolden() { super(LinearOp.class); }

    @Override
    public void generate(GoldenGenerator.Context ctx) throws IOException {
        for (GoldenGenerator.Variant v : ctx.variants(true)) {
            ModelConfig cfg = GoldenConfigs.operations(v.scales());
            long seed = ctx.seed("linear-n576-" + v.scales().label());
            SplittableRandom rng = new SplittableRandom(seed);
            Weight w = RandomWeights.fp8(rng, "model.layers.0.self_attn.kv_a_proj_with_mqa.weight", 576, 256, 1 / Math.sqrt(256), v.scales());
            TensorF64 x = RandomInputs.rowScaled(rng, RandomInputs.gaussian(rng, 1, 5, 256), 0.01, 100);
            x = RandomInputs.with(RandomInputs.zeroTile(x, 1, 1), 2, 77, 3e3);
            write(ctx, v, cfg, "n576-ragged", seed, x, w,
                    "FP8 weight N=576 (last 128-row block ragged: 64 rows) x K=256; row 1 tile 1 all zero; an outlier in row 2");
        }
        for (GoldenGenerator.Variant v : ctx.variants(false)) {
            if (v.mode() != PrecisionMode.FP8) continue;
            long seed = ctx.seed("linear-one-token-" + v.scales().label());
            SplittableRandom rng = new SplittableRandom(seed);
            Weight w = RandomWeights.fp8(rng, "model.layers.1.mlp.experts.0.down_proj.weight", 256, 128, 1 / Math.sqrt(128), v.scales());
            write(ctx, v, GoldenConfigs.operations(v.scales()), "one-token-k128", seed, RandomInputs.gaussian(rng, 1, 1, 128), w,
                    "one token through an FP8 weight with K = 128 (a single block)");
        }
        for (GoldenGenerator.Variant v : ctx.modes()) {
            ModelConfig cfg = GoldenConfigs.operations(v.scales());
            long seed = ctx.seed("linear-dense");
            SplittableRandom rng = new SplittableRandom(seed);
            Weight w = RandomWeights.bf16(rng, "lm_head.weight", cfg.vocabSize(), cfg.hiddenSize(), 0, 1 / Math.sqrt(cfg.hiddenSize()));
            write(ctx, v, cfg, "dense-bf16", seed, RandomInputs.gaussian(rng, 1, 3, cfg.hiddenSize()), w,
                    "a dense bf16 weight (the LM head): never quantised, in either mode");
        }
    }

    private void write(GoldenGenerator.Context ctx, GoldenGenerator.Variant v, ModelConfig cfg, String what, long seed, TensorF64 x, Weight w,
                       String d) throws IOException {
        TensorF64 y = ctx.reference(LinearOp.class, cfg, v.mode()).apply(x.copy(), w);
        ctx.write(name(v, what), writer(v, cfg, what, seed, d).meta(GoldenFormat.WEIGHT, w.name()).weight(w).input("x", x).expected("y", y));
    }

    @Override
    public Prepared prepare(GoldenCase c) throws GoldenException {
        TensorF64 x = matrix(c, GoldenFormat.INPUT + "x", -1, -1);
        Weight w = c.weights().linear(c.meta(GoldenFormat.WEIGHT), -1, x.cols());
        return new Prepared(x, w, c.expected("y", x.rows(), w.rows()));
    }

    @Override
    public Tolerance tolerance(GoldenCase c, Prepared p, Tier tier) {
        return Tolerances.linear(p.w().cols(), p.w() instanceof Fp8BlockWeight, c.mode(), tier);
    }

    @Override
    public CaseResult run(GoldenCase c, Prepared p, LinearOp op, Tolerance tol) {
        CaseEval ev = eval(c, tol);
        TensorF64 x = p.x().copy();
        TensorF64 y = op.apply(x, p.w());
        ev.requireUnchanged("input.x", p.x(), x);
        ev.compare("y", y, p.y());
        return ev.result();
    }
}
