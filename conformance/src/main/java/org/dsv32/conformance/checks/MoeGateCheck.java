package org.dsv32.conformance.checks;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.dsv32.conformance.AbstractOperationCheck;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.ModeTier;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MoeWeights;

/**
 * The router: sigmoid scores (calc_diff), group and expert choices ({@link RoutingDecisions}), and the routing
 * weights against the reference's formula on the candidate's experts (element-wise). The router runs in fp32 in
 * both modes, so only TIGHT comparisons exist. Cases: one token, several, no bias, a strong bias (which changes the
 * choice, so a bias leaking into the weights shows), duplicated router rows (exact ties: lower index wins), and a
 * bias that makes every s + bias negative (a dropped group filled with 0 instead of −∞ would then win).
 */
public final class MoeGateCheck extends AbstractOperationCheck<MoeGateOp, MoeGateCheck.Case> {
    public record Case(String name, ModelConfig config, MoeWeights w, TensorF64 x) implements AbstractOperationCheck.Case {}

    public MoeGateCheck() { super(MoeGateOp.class); }

    @Override
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        ModelConfig c = ConformanceConfigs.small();
        SplittableRandom rng = new SplittableRandom(o.seedFor("moe_gate", 0));
        int d = c.hiddenSize();
        List<Case> cases = new ArrayList<>();
        MoeWeights plain = RandomWeights.moe(rng, c, 1, c.activationScaleFormat(), 0.0);
        MoeWeights biased = new MoeWeights(plain.router(), RandomWeights.fp32(rng, "model.layers.1.mlp.gate.e_score_correction_bias", 1, c.nRoutedExperts(), 0, 0.3),
                plain.experts(), plain.shared());
        cases.add(new Case("one token", c, plain, RandomInputs.gaussian(rng, 1, 1, d)));
        cases.add(new Case("tokens, no bias", c, plain, RandomInputs.gaussian(rng, 1, o.quick() ? 6 : 16, d)));
        cases.add(new Case("tokens, strong bias", c, biased, RandomInputs.gaussian(rng, 1, o.quick() ? 6 : 16, d)));
        cases.add(new Case("exact ties (duplicated router rows)", c, withDuplicatedRows(plain, c), RandomInputs.gaussian(rng, 1, 4, d)));
        // every s + bias below zero: experts of dropped groups must stay out (-inf), a 0 fill would let them win
        MoeWeights negative = new MoeWeights(plain.router(), RandomWeights.fp32(rng, "model.layers.1.mlp.gate.e_score_correction_bias", 1, c.nRoutedExperts(), -1.5, 0.1),
                plain.experts(), plain.shared());
        cases.add(new Case("negative bias (every s + bias < 0)", c, negative, RandomInputs.gaussian(rng, 1, 4, d)));
        return cases;
    }

    /**
     * Real dims: the router over D = 7168 into 256 experts in 8 groups (top-4 groups, top-8 experts): tokens without
     * and with a strong bias, exact ties (duplicated router rows), and every s + bias negative. The gate reads only
     * the router and the bias, so the cases carry no expert weights.
     */
    @Override
    protected List<Case> realCases(CheckOptions o) {
        ModelConfig c = ConformanceConfigs.real();
        SplittableRandom rng = new SplittableRandom(o.seedFor("moe_gate", 1000));
        int d = c.hiddenSize(), n = c.nRoutedExperts(), tokens = o.quick() ? 16 : 64;
        String p = "model.layers.3.mlp.gate.";
        org.dsv32.spec.weights.Weight router = org.dsv32.conformance.generate.RealWeights.bf16(p + "weight", n, d, 0, 1 / Math.sqrt(d), o.seedFor("moe_gate", 1001));
        MoeWeights plain = new MoeWeights(router, RandomWeights.fp32(rng, p + "e_score_correction_bias", 1, n, 0, 0), List.of(), null);
        List<Case> cases = new ArrayList<>();
        cases.add(new Case(tokens + " tokens, no bias", c, plain, RandomInputs.gaussian(rng, 1, tokens, d)));
        cases.add(new Case(tokens + " tokens, strong bias", c, new MoeWeights(router, RandomWeights.fp32(rng, p + "e_score_correction_bias", 1, n, 0, 0.3),
                List.of(), null), RandomInputs.gaussian(rng, 1, tokens, d)));
        cases.add(new Case("exact ties (duplicated router rows)", c, withDuplicatedRows(plain, c), RandomInputs.gaussian(rng, 1, 8, d)));
        cases.add(new Case("negative bias (every s + bias < 0)", c, new MoeWeights(router, RandomWeights.fp32(rng, p + "e_score_correction_bias", 1, n, -1.5, 0.1),
                List.of(), null), RandomInputs.gaussian(rng, 1, 8, d)));
        return cases;
    }

    /** Router rows of experts 1 and 2 copied from expert 0, and group 1's copied from group 0: exact score ties. */
    private static MoeWeights withDuplicatedRows(MoeWeights w, ModelConfig c) {
        int e = c.nRoutedExperts(), d = c.hiddenSize(), per = c.expertsPerGroup();
        float[] v = new float[e * d];
        for (int r = 0; r < e; r++) for (int k = 0; k < d; k++) v[r * d + k] = (float) w.router().get(r, k);
        for (int r : new int[] {1, 2}) System.arraycopy(v, 0, v, r * d, d);
        System.arraycopy(v, 0, v, per * d, per * d);
        return new MoeWeights(org.dsv32.spec.weights.DenseWeight.ofFloats(w.router().name(), v, e, d), w.correctionBias(), w.experts(), w.shared());
    }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) { return Tolerances.moeGate(c.config()); }

    @Override
    protected CaseResult runCase(Case c, MoeGateOp cand, MoeGateOp cand2, MoeGateOp ref, ModeTier mt) {
        Tolerance tol = toleranceOf(c, mt);
        CaseEval ev = new CaseEval(c.name(), tol);
        TensorF64 x = c.x().copy();
        Routing r = cand.route(x, c.w());
        ev.requireUnchanged("x", c.x(), x);
        Routing r2 = cand2.route(c.x().copy(), c.w());
        if (!java.util.Arrays.deepEquals(r.experts(), r2.experts()) || !java.util.Arrays.deepEquals(r.weights(), r2.weights())) {
            ev.fail("routing differs between two runs (not deterministic)");
        }
        Routing e = ref.route(c.x().copy(), c.w());
        ev.compare("sigmoid scores", TensorF64.wrap(flat(r.scores()), c.x().rows(), c.config().nRoutedExperts()),
                TensorF64.wrap(flat(e.scores()), c.x().rows(), c.config().nRoutedExperts()));
        Routing replay = RoutingDecisions.judge(ev, "routing", c.config(), c.w(), r, e, tol);
        if (replay != null) RoutingDecisions.compareWeights(ev, "routing", c.config(), r, replay,
                new Tolerance(Tolerances.calcDiffOf(tol.maxErrInf()), tol.maxErrInf(), Double.NaN, tol.derivation()));
        return ev.result();
    }

    static double[] flat(double[][] a) {
        if (a == null) return new double[0];
        return java.util.Arrays.stream(a).flatMapToDouble(java.util.Arrays::stream).toArray();
    }
}
