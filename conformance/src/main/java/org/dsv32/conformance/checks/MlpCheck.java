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
import org.dsv32.spec.tolerance.Bf16Tolerance;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MlpWeights;

/** The SwiGLU feed-forward: dense width 384 and expert width 128 (K = 128 for down), one token and several, a zero tile. */
public final class MlpCheck extends AbstractOperationCheck<MlpOp, MlpCheck.Case> {
    public record Case(String name, ModelConfig config, TensorF64 x, MlpWeights w) implements AbstractOperationCheck.Case {}

    public MlpCheck() { super(MlpOp.class); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        List<Case> cases = new ArrayList<>();
        int i = 0;
        for (ModelConfig cfg : List.of(ConformanceConfigs.small(), ConformanceConfigs.smallPlainScales())) {
            String sf = cfg.activationScaleFormat().label();
            SplittableRandom rng = new SplittableRandom(o.seedFor("mlp", i++));
            int d = cfg.hiddenSize();
            MlpWeights dense = RandomWeights.mlp(rng, "model.layers.0.mlp", d, cfg.intermediateSize(), cfg.activationScaleFormat());
            MlpWeights expert = RandomWeights.mlp(rng, "model.layers.1.mlp.experts.0", d, cfg.moeIntermediateSize(), cfg.activationScaleFormat());
            cases.add(new Case(sf + " dense one token", cfg, RandomInputs.gaussian(rng, 1, 1, d), dense));
            TensorF64 x = RandomInputs.gaussian(rng, 1, o.quick() ? 3 : 6, d);
            cases.add(new Case(sf + " expert I=128", cfg, x, expert));
            cases.add(new Case(sf + " dense zero tile", cfg, RandomInputs.zeroTile(x, 0, 1), dense));
        }
        return cases;
    }

    /**
     * Real dims: the dense MLP of the first three layers (7168 -> 18432 -> 7168) and a routed expert (7168 -> 2048 ->
     * 7168, the shared expert's shape too), ue8m0 and plain scales, a zero tile. --quick: the ue8m0 dense and expert cases.
     */
    @Override
    protected List<Case> realCases(CheckOptions o) {
        List<Case> cases = new ArrayList<>();
        ModelConfig cfg = ConformanceConfigs.real();
        int d = cfg.hiddenSize();
        SplittableRandom rng = new SplittableRandom(o.seedFor("mlp", 1000));
        MlpWeights dense = org.dsv32.conformance.generate.RealWeights.mlp("model.layers.0.mlp", d, cfg.intermediateSize(), o.seedFor("mlp", 1001));
        MlpWeights expert = org.dsv32.conformance.generate.RealWeights.mlp("model.layers.3.mlp.experts.0", d, cfg.moeIntermediateSize(), o.seedFor("mlp", 1002));
        cases.add(new Case("ue8m0 dense I=" + cfg.intermediateSize() + ", one token", cfg, RandomInputs.gaussian(rng, 1, 1, d), dense));
        TensorF64 x = RandomInputs.gaussian(rng, 1, 2, d);
        cases.add(new Case("ue8m0 expert I=" + cfg.moeIntermediateSize() + ", " + x.rows() + " tokens", cfg, x, expert));
        if (!o.quick()) cases.add(new Case("ue8m0 expert zero tile", cfg, RandomInputs.zeroTile(x, 0, 30), expert));
        if (!o.quick()) cases.add(new Case("plain expert I=" + cfg.moeIntermediateSize(), ConformanceConfigs.realPlainScales(), IndexerCheck.rows(x, 0, 1), expert));
        return cases;
    }

    @Override
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT, ModeTier.FP8_LOOSE, ModeTier.BF16_TIGHT); }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) { return tolerance(c.w().down().rows(), c.w().intermediateSize(), mt); }

    /** The gates of an MLP of width D and intermediate size I in one comparison (also what `calibrate` measures against). */
    public static Tolerance tolerance(int d, int intermediate, ModeTier mt) {
        return Bf16Tolerance.of(Tolerances.mlp(d, intermediate, mt.candidateMode(), mt.tier()), mt.candidateMode(), intermediate, 3, 1, 1.0);
    }

    @Override
    protected CaseResult runCase(Case c, MlpOp cand, MlpOp cand2, MlpOp ref, ModeTier mt) {
        CaseEval ev = new CaseEval(c.name(), toleranceOf(c, mt));
        TensorF64 x = c.x().copy();
        TensorF64 y = cand.forward(x, c.w());
        ev.requireUnchanged("x", c.x(), x);
        ev.requireDeterministic("y", y, cand2.forward(c.x().copy(), c.w()));
        ev.compare("y", y, ref.forward(c.x().copy(), c.w()));
        return ev.result();
    }
}
