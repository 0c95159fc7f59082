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
import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Weight;

/**
 * LayerNorm (the indexer key's k_norm, eps 1e-6, biased variance) over 128 dims: one token, several rows, a row
 * with a large common offset (the tolerance grows with the row's condition max|x|/std), rows of tiny variance
 * where eps matters, NaN and inf.
 */
public final class LayerNormCheck extends AbstractOperationCheck<LayerNormOp, LayerNormCheck.Case> {
    /** eps of the indexer's k_norm (spec/SEMANTICS.md §6). */
    public static final double EPS = 1e-6;

    public record Case(String name, ModelConfig config, TensorF64 x, Weight w, Weight b) implements AbstractOperationCheck.Case {}

    public LayerNormCheck() { super(LayerNormOp.class); }

    @Override
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT, ModeTier.BF16_TIGHT); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        ModelConfig cfg = ConformanceConfigs.small();
        int d = cfg.indexHeadDim();
        SplittableRandom rng = new SplittableRandom(o.seedFor("layer_norm", 0));
        Weight w = RandomWeights.normWeight(rng, "model.layers.0.self_attn.indexer.k_norm.weight", d);
        Weight b = RandomWeights.bf16(rng, "model.layers.0.self_attn.indexer.k_norm.bias", 1, d, 0, 0.1);
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("one token", cfg, RandomInputs.gaussian(rng, 1, 1, d), w, b));
        cases.add(new Case("rows", cfg, RandomInputs.rowScaled(rng, RandomInputs.gaussian(rng, 1, 5, d), 1e-2, 1e2), w, b));
        cases.add(new Case("row with common offset", cfg, RandomInputs.offsetRow(RandomInputs.gaussian(rng, 1, 2, d), 1, 8), w, b));
        cases.add(new Case("tiny variance (eps visible)", cfg, RandomInputs.gaussian(rng, 1e-3, 2, d), w, b));
        cases.add(new Case("NaN and inf", cfg, RandomInputs.with(RandomInputs.with(RandomInputs.gaussian(rng, 1, 3, d), 0, 5, Double.NaN), 2, 9, Double.NEGATIVE_INFINITY), w, b));
        return cases;
    }

    /**
     * Real dims: the indexer's k_norm is 128 wide in the real model too; what grows is the row count: one key per
     * token of a 4096-token prefill (512 in --quick), with rows of mixed magnitude, a common offset, tiny variance
     * and NaN / inf.
     */
    @Override
    protected List<Case> realCases(CheckOptions o) {
        ModelConfig cfg = ConformanceConfigs.real();
        int d = cfg.indexHeadDim(), rows = o.quick() ? 512 : 4096;
        SplittableRandom rng = new SplittableRandom(o.seedFor("layer_norm", 1000));
        Weight w = RandomWeights.normWeight(rng, "model.layers.3.self_attn.indexer.k_norm.weight", d);
        Weight b = RandomWeights.bf16(rng, "model.layers.3.self_attn.indexer.k_norm.bias", 1, d, 0, 0.1);
        List<Case> cases = new ArrayList<>();
        cases.add(new Case(rows + " keys of mixed magnitude", cfg, RandomInputs.rowScaled(rng, RandomInputs.gaussian(rng, 1, rows, d), 1e-2, 1e2), w, b));
        cases.add(new Case(rows + " keys, one with a common offset", cfg, RandomInputs.offsetRow(RandomInputs.gaussian(rng, 1, rows, d), rows / 2, 8), w, b));
        cases.add(new Case("tiny variance (eps visible)", cfg, RandomInputs.gaussian(rng, 1e-3, 64, d), w, b));
        cases.add(new Case("NaN and inf", cfg, RandomInputs.with(RandomInputs.with(RandomInputs.gaussian(rng, 1, 64, d), 0, 5, Double.NaN), 40, 9, Double.NEGATIVE_INFINITY), w, b));
        return cases;
    }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) {
        return Bf16Tolerance.of(Tolerances.layerNorm(c.x().cols(), Tolerances.layerNormCondition(c.x(), EPS)),
                mt.candidateMode(), c.x().cols(), 1, 0, 1.0);
    }

    @Override
    protected CaseResult runCase(Case c, LayerNormOp cand, LayerNormOp cand2, LayerNormOp ref, ModeTier mt) {
        CaseEval ev = new CaseEval(c.name(), toleranceOf(c, mt));
        TensorF64 x = c.x().copy();
        TensorF64 y = cand.apply(x, c.w(), c.b(), EPS);
        ev.requireUnchanged("x", c.x(), x);
        ev.requireDeterministic("y", y, cand2.apply(c.x().copy(), c.w(), c.b(), EPS));
        ev.compare("y", y, ref.apply(c.x().copy(), c.w(), c.b(), EPS));
        return ev.result();
    }
}
