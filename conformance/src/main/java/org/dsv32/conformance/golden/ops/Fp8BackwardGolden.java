package org.dsv32.conformance.golden.ops;

import java.io.IOException;
import java.util.SplittableRandom;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.checks.Fp8BackwardCheck;
import org.dsv32.conformance.golden.GoldenCase;
import org.dsv32.conformance.golden.GoldenConfigs;
import org.dsv32.conformance.golden.GoldenException;
import org.dsv32.conformance.golden.GoldenFormat;
import org.dsv32.conformance.golden.GoldenGenerator;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.Fp8BackwardOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.Weight;

/**
 * fp8_backward: a Dgrad case holds {@code input.dy} [M][N] and the weight named by metadata {@code weight} ([N][K],
 * F8_E4M3 codes with a {@code weight_scale_inv} sibling) → {@code expected.dx} [M][K] = dY W; a Wgrad case (no
 * {@code weight} metadata) holds {@code input.dy} [M][N] and {@code input.x} [M][K] → {@code expected.dw} [N][K] =
 * dY^T X. In fp8 mode through the quantisers and block-scaled products of spec/SEMANTICS.md §5b. Cases, in the three
 * variants exact, fp8 ue8m0, fp8 plain: Dgrad with ragged N = 320 and K = 200, block scales varying by powers of two
 * and an all-zero dY tile; Wgrad with a ragged token count M = 160 (a 32-token last tile), N = 40, K = 72 and an
 * all-zero 128x1 tile in each operand.
 */
public final class Fp8BackwardGolden extends AbstractGoldenOp<Fp8BackwardOp, Fp8BackwardGolden.Prepared> {
    record Prepared(Fp8BackwardCheck.Case c, TensorF64 expected) {}

    public Fp8BackwardGolden() { super(Fp8BackwardOp.class); }

    @Override
    public void generate(GoldenGenerator.Context ctx) throws IOException {
        for (GoldenGenerator.Variant v : ctx.variants(false)) {
            ModelConfig cfg = GoldenConfigs.operations(v.scales());
            long seed = ctx.seed("fp8-backward-dgrad-" + v.scales().label());
            SplittableRandom rng = new SplittableRandom(seed);
            Fp8BlockWeight w = Fp8BackwardCheck.weight(rng, "model.layers.0.mlp.down_proj.weight", 320, 200, v.scales());
            TensorF64 dy = org.dsv32.conformance.generate.RandomInputs.zeroTile(Fp8BackwardCheck.tokens(rng, 4, 320), 1, 2);
            TensorF64 dx = ctx.reference(Fp8BackwardOp.class, cfg, v.mode()).dgrad(dy.copy(), w);
            ctx.write(name(v, "dgrad-ragged"), writer(v, cfg, "dgrad-ragged", seed,
                    "Dgrad dX = dY W: N=320 (a 64-wide last dY tile and W block), K=200; W's block scales differ by powers of two; dY row 1 tile 2 all zero")
                    .meta(GoldenFormat.WEIGHT, w.name()).weight(w).input("dy", dy).expected("dx", dx));

            seed = ctx.seed("fp8-backward-wgrad-" + v.scales().label());
            rng = new SplittableRandom(seed);
            TensorF64 gy = Fp8BackwardCheck.zeroColumnTile(Fp8BackwardCheck.tokens(rng, 160, 40), 3, 0);
            TensorF64 x = Fp8BackwardCheck.zeroColumnTile(Fp8BackwardCheck.tokens(rng, 160, 72), 9, 1);
            TensorF64 dw = ctx.reference(Fp8BackwardOp.class, cfg, v.mode()).wgrad(gy.copy(), x.copy());
            ctx.write(name(v, "wgrad-ragged"), writer(v, cfg, "wgrad-ragged", seed,
                    "Wgrad dW = dY^T X over M=160 tokens (a 32-token last 128x1 tile), N=40, K=72; tokens of magnitude 0.01 to 100; "
                            + "dY channel 3 tokens 0-127 and X channel 9 tokens 128-159 all zero")
                    .input("dy", gy).input("x", x).expected("dw", dw));
        }
    }

    @Override
    public Prepared prepare(GoldenCase c) throws GoldenException {
        TensorF64 dy = matrix(c, GoldenFormat.INPUT + "dy", -1, -1);
        if (c.metaOptional(GoldenFormat.WEIGHT).isPresent()) {
            Weight w = c.weights().linear(c.meta(GoldenFormat.WEIGHT), dy.cols(), -1);
            return new Prepared(Fp8BackwardCheck.Case.dgrad(c.name(), c.config(), dy, w), c.expected("dx", dy.rows(), w.cols()));
        }
        TensorF64 x = matrix(c, GoldenFormat.INPUT + "x", dy.rows(), -1);
        return new Prepared(Fp8BackwardCheck.Case.wgrad(c.name(), c.config(), dy, x), c.expected("dw", dy.cols(), x.cols()));
    }

    @Override
    public Tolerance tolerance(GoldenCase c, Prepared p, Tier tier) { return Fp8BackwardCheck.tolerance(p.c(), c.mode(), tier); }

    @Override
    public CaseResult run(GoldenCase c, Prepared p, Fp8BackwardOp op, Tolerance tol) {
        CaseEval ev = eval(c, tol);
        TensorF64 dy = p.c().dy().copy(), x = p.c().x() == null ? null : p.c().x().copy();
        TensorF64 y = x == null ? op.dgrad(dy, p.c().w()) : op.wgrad(dy, x);
        ev.requireUnchanged("input.dy", p.c().dy(), dy);
        if (x != null) ev.requireUnchanged("input.x", p.c().x(), x);
        ev.compare(x == null ? "dx" : "dw", y, p.expected());
        return ev.result();
    }
}
