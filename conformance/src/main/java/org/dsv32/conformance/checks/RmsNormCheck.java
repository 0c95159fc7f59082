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
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Weight;

/**
 * RMSNorm, plain and with the fused residual add (whose modified residual is compared too). Rows with an RMS near
 * 1e-3 make eps (1e-6 against mean(x²) ≈ 1e-6) visible, so a wrong eps fails; rows of 1e4 and a NaN row cover the
 * rest. The norm has no rounding point, so it is compared TIGHT in both modes.
 */
public final class RmsNormCheck extends AbstractOperationCheck<RmsNormOp, RmsNormCheck.Case> {
    public record Case(String name, ModelConfig config, TensorF64 x, TensorF64 residual, Weight w) implements AbstractOperationCheck.Case {}

    public RmsNormCheck() { super(RmsNormOp.class); }

    @Override
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT, ModeTier.BF16_TIGHT); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        ModelConfig cfg = ConformanceConfigs.small();
        int d = cfg.hiddenSize();
        SplittableRandom rng = new SplittableRandom(o.seedFor("rms_norm", 0));
        Weight w = RandomWeights.normWeight(rng, "model.layers.0.input_layernorm.weight", d);
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("one token", cfg, RandomInputs.gaussian(rng, 1, 1, d), null, w));
        cases.add(new Case("rows of rms 1e-3 (eps visible)", cfg, RandomInputs.gaussian(rng, 1e-3, 3, d), null, w));
        cases.add(new Case("rows of mixed magnitude", cfg, RandomInputs.rowScaled(rng, RandomInputs.gaussian(rng, 1, 6, d), 1e-4, 1e4), null, w));
        cases.add(new Case("all-zero row", cfg, RandomInputs.zeroTile(RandomInputs.zeroTile(RandomInputs.gaussian(rng, 1, 2, d), 1, 0), 1, 1), null, w));
        cases.add(new Case("NaN and inf", cfg, RandomInputs.with(RandomInputs.with(RandomInputs.gaussian(rng, 1, 3, d), 0, 5, Double.NaN), 2, 9, Double.POSITIVE_INFINITY), null, w));
        cases.add(new Case("fused residual", cfg, RandomInputs.gaussian(rng, 1, 4, d), RandomInputs.gaussian(rng, 3, 4, d), w));
        cases.add(new Case("fused residual, small", cfg, RandomInputs.gaussian(rng, 1e-3, 2, d), RandomInputs.gaussian(rng, 1e-3, 2, d), w));
        return cases;
    }

    /**
     * Real dims: the model's three norms at their widths (the layer norms over D = 7168, q_a_layernorm over 1536,
     * kv_a_layernorm over 512), a prefill's worth of rows, rows of rms 1e-3 (eps visible), mixed magnitudes, NaN / inf,
     * and the fused residual add at D = 7168. The case's configuration carries the width ({@code hiddenSize}), which
     * the tolerance reads.
     */
    @Override
    protected List<Case> realCases(CheckOptions o) {
        SplittableRandom rng = new SplittableRandom(o.seedFor("rms_norm", 1000));
        ModelConfig real = ConformanceConfigs.real();
        int rows = o.quick() ? 16 : 128;
        List<Case> cases = new ArrayList<>();
        for (int d : new int[] {real.hiddenSize(), real.qLoraRank(), real.kvLoraRank()}) {
            ModelConfig cfg = d == real.hiddenSize() ? real : real.toBuilder().hiddenSize(d).build();
            Weight w = RandomWeights.normWeight(rng, "model.layers.3." + (d == real.hiddenSize() ? "input_layernorm" : d == real.qLoraRank()
                    ? "self_attn.q_a_layernorm" : "self_attn.kv_a_layernorm") + ".weight", d);
            cases.add(new Case("D=" + d + ", " + rows + " rows of mixed magnitude", cfg,
                    RandomInputs.rowScaled(rng, RandomInputs.gaussian(rng, 1, rows, d), 1e-4, 1e4), null, w));
            cases.add(new Case("D=" + d + ", rows of rms 1e-3 (eps visible)", cfg, RandomInputs.gaussian(rng, 1e-3, 4, d), null, w));
            if (d == real.hiddenSize()) {
                cases.add(new Case("D=" + d + ", NaN and inf", cfg, RandomInputs.with(RandomInputs.with(RandomInputs.gaussian(rng, 1, 3, d), 0, 5, Double.NaN),
                        2, 7000, Double.POSITIVE_INFINITY), null, w));
                cases.add(new Case("D=" + d + ", fused residual, " + rows + " rows", cfg, RandomInputs.gaussian(rng, 1, rows, d),
                        RandomInputs.gaussian(rng, 3, rows, d), w));
            }
        }
        return cases;
    }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) {
        return Bf16Tolerance.of(Tolerances.rmsNorm(c.config().hiddenSize(), c.residual() != null),
                mt.candidateMode(), c.config().hiddenSize(), 1, 0, 1.0);
    }

    @Override
    protected CaseResult runCase(Case c, RmsNormOp cand, RmsNormOp cand2, RmsNormOp ref, ModeTier mt) {
        CaseEval ev = new CaseEval(c.name(), toleranceOf(c, mt));
        double eps = c.config().rmsNormEps();
        TensorF64 x = c.x().copy();
        if (c.residual() == null) {
            TensorF64 y = cand.apply(x, c.w(), eps);
            ev.requireUnchanged("x", c.x(), x);
            ev.requireDeterministic("y", y, cand2.apply(c.x().copy(), c.w(), eps));
            ev.compare("y", y, ref.apply(c.x().copy(), c.w(), eps));
        } else {
            TensorF64 res = c.residual().copy(), res2 = c.residual().copy(), resRef = c.residual().copy();
            TensorF64 y = cand.applyWithResidual(x, res, c.w(), eps);
            ev.requireUnchanged("x", c.x(), x);
            ev.requireDeterministic("y", y, cand2.applyWithResidual(c.x().copy(), res2, c.w(), eps));
            ev.requireDeterministic("residual", res, res2);
            TensorF64 yRef = ref.applyWithResidual(c.x().copy(), resRef, c.w(), eps);
            ev.compare("y", y, yRef);
            ev.compare("residual (modified)", res, resRef);
        }
        return ev.result();
    }
}
