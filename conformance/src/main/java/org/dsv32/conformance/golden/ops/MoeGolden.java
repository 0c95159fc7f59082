package org.dsv32.conformance.golden.ops;

import java.io.IOException;
import java.util.Arrays;
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
import org.dsv32.conformance.checks.RoutingJudge;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.MoeOp;
import org.dsv32.spec.ops.MoeResult;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MlpWeights;
import org.dsv32.spec.weights.MoeWeights;

/**
 * moe: {@code input.x} [T][D] and the whole MoE layer under {@code weight_prefix} (router, correction bias, every
 * routed expert {@code experts.j.*}, {@code shared_experts.*}) → {@code expected.y} [T][D] plus the routing tensors
 * of moe_gate. The candidate's routing is judged against the expected scores; when it differs within the score
 * tolerance, the candidate is run again with the expected routing forced and that output is compared.
 */
public final class MoeGolden extends AbstractGoldenOp<MoeOp, MoeGolden.Prepared> {
    record Prepared(TensorF64 x, MoeWeights w, Routing routing, TensorF64 y) {}

    public MoeGolden() { super(MoeOp.class); }

    @Override
    public void generate(GoldenGenerator.Context ctx) throws IOException {
        for (GoldenGenerator.Variant v : ctx.variants(false)) {
            ModelConfig cfg = GoldenConfigs.model(v.scales());
            long seed = ctx.seed("moe-tokens-" + v.scales().label());
            SplittableRandom rng = new SplittableRandom(seed);
            MoeWeights w = RandomWeights.moe(rng, cfg, 1, v.scales(), 0.2);
            TensorF64 x = RandomInputs.zeroTile(RandomInputs.gaussian(rng, 1, 6, cfg.hiddenSize()), 3, 0);
            MoeResult r = ctx.reference(MoeOp.class, cfg, v.mode()).forward(x.copy(), w, null);
            GoldenCaseWriter wr = writer(v, cfg, "tokens", seed,
                    "6 tokens through 8 routed experts (top-2 of 2 kept groups) and the shared expert; token 3 is all zero")
                    .meta(GoldenFormat.WEIGHT_PREFIX, MoeGateGolden.PREFIX).weight(w.router()).vector(w.correctionBias());
            for (MlpWeights e : w.experts()) wr.weight(e.gate()).weight(e.up()).weight(e.down());
            wr.weight(w.shared().gate()).weight(w.shared().up()).weight(w.shared().down());
            ctx.write(name(v, "tokens"), MoeGateGolden.writeRouting(wr.input("x", x).expected("y", r.output()), r.routing(), cfg));
        }
    }

    @Override
    public Prepared prepare(GoldenCase c) throws GoldenException {
        TensorF64 x = matrix(c, GoldenFormat.INPUT + "x", -1, c.config().hiddenSize());
        return new Prepared(x, c.weights().moe(c.meta(GoldenFormat.WEIGHT_PREFIX), true), MoeGateGolden.readRouting(c, x.rows()),
                c.expected("y", x.rows(), x.cols()));
    }

    @Override
    public Tolerance tolerance(GoldenCase c, Prepared p, Tier tier) {
        return Tolerances.moe(c.config(), c.mode(), tier).withScoreOf(Tolerances.moeGate(c.config()));
    }

    @Override
    public CaseResult run(GoldenCase c, Prepared p, MoeOp op, Tolerance tol) {
        CaseEval ev = eval(c, tol);
        TensorF64 x = p.x().copy();
        MoeResult r = op.forward(x, p.w(), null);
        ev.requireUnchanged("input.x", p.x(), x);
        Routing replay = RoutingJudge.judge(ev, "routing", c.config(), p.w(), r.routing(), p.routing(), tol);
        if (replay == null) return ev.result();
        if (sameExperts(r.routing(), p.routing())) {
            ev.compare("y", r.output(), p.y());
        } else {
            MoeResult forced = op.forward(p.x().copy(), p.w(), p.routing());
            ev.compare("y (candidate replaying the expected routing)", forced.output(), p.y());
        }
        return ev.result();
    }

    static boolean sameExperts(Routing a, Routing b) {
        if (a == null || a.experts() == null || a.experts().length != b.experts().length) return false;
        for (int t = 0; t < b.experts().length; t++) {
            int[] x = a.experts()[t] == null ? null : a.experts()[t].clone(), y = b.experts()[t].clone();
            if (x == null) return false;
            Arrays.sort(x);
            Arrays.sort(y);
            if (!Arrays.equals(x, y)) return false;
        }
        return true;
    }
}
