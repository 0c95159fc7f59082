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
import org.dsv32.spec.tolerance.Bf16Tolerance;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.tensor.TensorF64;

/** The Sylvester-order Hadamard transform with scale n^-1/2 over the indexer's 128 dims (and n = 64, 2, 1). */
public final class HadamardCheck extends AbstractOperationCheck<HadamardOp, HadamardCheck.Case> {
    public record Case(String name, ModelConfig config, TensorF64 x) implements AbstractOperationCheck.Case {}

    public HadamardCheck() { super(HadamardOp.class); }

    @Override
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT, ModeTier.BF16_TIGHT); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        ModelConfig cfg = ConformanceConfigs.small();
        int d = cfg.indexHeadDim();
        SplittableRandom rng = new SplittableRandom(o.seedFor("hadamard", 0));
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("one row n=" + d, cfg, RandomInputs.gaussian(rng, 1, 1, d)));
        cases.add(new Case("rows n=" + d, cfg, RandomInputs.rowScaled(rng, RandomInputs.gaussian(rng, 1, 7, d), 1e-3, 1e3)));
        TensorF64 unit = TensorF64.zeros(d, d); // the identity: its transform is H itself, every sign visible
        for (int i = 0; i < d; i++) unit.put(i, i, 1.0);
        cases.add(new Case("unit vectors n=" + d, cfg, unit));
        cases.add(new Case("n=64", cfg, RandomInputs.gaussian(rng, 1, 3, 64)));
        cases.add(new Case("n=2", cfg, RandomInputs.gaussian(rng, 1, 3, 2)));
        cases.add(new Case("n=1", cfg, RandomInputs.gaussian(rng, 1, 2, 1)));
        cases.add(new Case("NaN", cfg, RandomInputs.with(RandomInputs.gaussian(rng, 1, 3, d), 1, 17, Double.NaN)));
        return cases;
    }

    /**
     * Real dims: the indexer rotates its 64 query heads of 128 per token and one key of 128 per token; a decode step's
     * 64 heads for 16 tokens (4 in --quick), a 2048-key prefill's keys, and the 128 unit vectors.
     */
    @Override
    protected List<Case> realCases(CheckOptions o) {
        ModelConfig cfg = ConformanceConfigs.real();
        int d = cfg.indexHeadDim();
        SplittableRandom rng = new SplittableRandom(o.seedFor("hadamard", 1000));
        List<Case> cases = new ArrayList<>();
        int tokens = o.quick() ? 4 : 16;
        cases.add(new Case(cfg.indexNHeads() + " query heads x " + tokens + " tokens, n=" + d, cfg,
                RandomInputs.rowScaled(rng, RandomInputs.gaussian(rng, 1, cfg.indexNHeads() * tokens, d), 1e-3, 1e3)));
        cases.add(new Case((o.quick() ? 256 : 2048) + " keys, n=" + d, cfg, RandomInputs.gaussian(rng, 1, o.quick() ? 256 : 2048, d)));
        TensorF64 unit = TensorF64.zeros(d, d);
        for (int i = 0; i < d; i++) unit.put(i, i, 1.0);
        cases.add(new Case("unit vectors n=" + d, cfg, unit));
        cases.add(new Case("NaN", cfg, RandomInputs.with(RandomInputs.gaussian(rng, 1, 64, d), 1, 17, Double.NaN)));
        return cases;
    }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) {
        return Bf16Tolerance.of(Tolerances.hadamard(c.x().cols()),
                mt.candidateMode(), c.x().cols(), 1, 0, 1.0);
    }

    @Override
    protected CaseResult runCase(Case c, HadamardOp cand, HadamardOp cand2, HadamardOp ref, ModeTier mt) {
        CaseEval ev = new CaseEval(c.name(), toleranceOf(c, mt));
        TensorF64 x = c.x().copy();
        TensorF64 y = cand.apply(x);
        ev.requireUnchanged("x", c.x(), x);
        ev.requireDeterministic("y", y, cand2.apply(c.x().copy()));
        ev.compare("y", y, ref.apply(c.x().copy()));
        return ev.result();
    }
}
