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
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Bf16Tolerance;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.ScaleFormat;
import org.dsv32.spec.weights.Weight;

/**
 * Linear layers y = x W^T: FP8 block-scaled weights with ue8m0 and with plain block scales, and dense bf16
 * weights. Edges: one token, K = 128, N = 576 (ragged last block of rows), N = 200 and K = 320 (ragged columns),
 * an all-zero activation tile, an outlier at ±448·scale, NaN and inf inputs (TIGHT only).
 */
public final class LinearCheck extends AbstractOperationCheck<LinearOp, LinearCheck.Case> {
    public record Case(String name, ModelConfig config, TensorF64 x, Weight w, boolean finite) implements AbstractOperationCheck.Case {}

    public LinearCheck() { super(LinearOp.class); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        List<Case> cases = new ArrayList<>();
        int i = 0;
        for (ModelConfig cfg : List.of(ConformanceConfigs.small(), ConformanceConfigs.smallPlainScales())) {
            String sf = cfg.activationScaleFormat().label();
            SplittableRandom rng = new SplittableRandom(o.seedFor("linear", i++));
            ScaleFormat wsf = cfg.activationScaleFormat();
            Weight w128 = RandomWeights.fp8(rng, "test.fp8_256x128.weight", 256, 128, 1 / Math.sqrt(128), wsf);
            cases.add(new Case(sf + " fp8 one token K=128", cfg, RandomInputs.gaussian(rng, 1, 1, 128), w128, true));
            Weight w576 = RandomWeights.fp8(rng, "test.kv_a_proj_with_mqa.weight", 576, 256, 1 / Math.sqrt(256), wsf);
            TensorF64 x = RandomInputs.rowScaled(rng, RandomInputs.gaussian(rng, 1, o.quick() ? 3 : 7, 256), 0.01, 100);
            cases.add(new Case(sf + " fp8 N=576 ragged rows", cfg, x, w576, true));
            cases.add(new Case(sf + " fp8 all-zero tile", cfg, RandomInputs.zeroTile(x, 1, 1), w576, true));
            cases.add(new Case(sf + " fp8 outlier at 448 scale", cfg, RandomInputs.with(x, 2, 77, 3e3), w576, true));
            if (!o.quick()) {
                Weight w384 = RandomWeights.fp8(rng, "test.fp8_200x384.weight", 200, 384, 1 / Math.sqrt(384), wsf);
                cases.add(new Case(sf + " fp8 N=200 K=384", cfg, RandomInputs.gaussian(rng, 1, 5, 384), w384, true));
            }
            TensorF64 nf = RandomInputs.with(RandomInputs.with(x, 0, 3, Double.NaN), 1, 130, Double.POSITIVE_INFINITY);
            cases.add(new Case(sf + " fp8 NaN and inf", cfg, nf, w576, false));
        }
        SplittableRandom rng = new SplittableRandom(o.seedFor("linear", 99));
        ModelConfig cfg = ConformanceConfigs.small();
        Weight dense = RandomWeights.linear(rng, "test.weights_proj.weight", 12, 320, false, ScaleFormat.UE8M0);
        cases.add(new Case("bf16 dense K=320", cfg, RandomInputs.gaussian(rng, 1, 3, 320), dense, true));
        cases.add(new Case("bf16 dense NaN", cfg, RandomInputs.with(RandomInputs.gaussian(rng, 1, 3, 320), 1, 7, Double.NaN), dense, false));
        return cases;
    }

    @Override
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT, ModeTier.FP8_LOOSE, ModeTier.BF16_TIGHT); }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) {
        return Bf16Tolerance.of(Tolerances.linear(c.w().cols(), c.w() instanceof Fp8BlockWeight, mt.candidateMode(), mt.tier()),
                mt.candidateMode(), c.w().cols(), 1, 0, 1.0);
    }

    @Override
    protected CaseResult runCase(Case c, LinearOp cand, LinearOp cand2, LinearOp ref, ModeTier mt) {
        if (mt.tier() == Tier.LOOSE && !c.finite()) return null;
        CaseEval ev = new CaseEval(c.name(), toleranceOf(c, mt));
        TensorF64 x = c.x().copy();
        TensorF64 y = cand.apply(x, c.w());
        ev.requireUnchanged("x", c.x(), x);
        ev.requireDeterministic("y", y, cand2.apply(c.x().copy(), c.w()));
        ev.compare("y", y, ref.apply(c.x().copy(), c.w()));
        return ev.result();
    }
}
