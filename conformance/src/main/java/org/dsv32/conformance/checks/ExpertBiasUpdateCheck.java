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
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.ExpertBiasUpdateOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;

/**
 * The auxiliary-loss-free expert bias update. Beside the value gate, every expert's DIRECTION (up, down, unchanged)
 * must be the reference's exactly: the sign is decided in integers, so there is no admissible disagreement, and a
 * flipped or lost direction fails whatever the shape (at the real 256 experts and γ = 0.001 a flipped sign moves a
 * bias by 2γ, far above the fp32 rounding the value gate allows). Cases: a skewed load, a load with experts exactly
 * at the mean (sign(0) = 0), a perfectly balanced batch, γ = 0, an empty batch, and the real layer's 256 experts
 * with top-8 routing. The update has no rounding point of its own, so it is compared TIGHT in both modes.
 */
public final class ExpertBiasUpdateCheck extends AbstractOperationCheck<ExpertBiasUpdateOp, ExpertBiasUpdateCheck.Case> {
    /** The real model's bias update speed for its first 14.3T tokens. */
    public static final double DEEPSEEK_V3_GAMMA = 0.001;

    public record Case(String name, ModelConfig config, TensorF64 bias, int[][] selected, double gamma) implements AbstractOperationCheck.Case {}

    public ExpertBiasUpdateCheck() { super(ExpertBiasUpdateOp.class); }

    @Override
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        ModelConfig cfg = ConformanceConfigs.small();
        int n = cfg.nRoutedExperts(), k = cfg.numExpertsPerTok();
        SplittableRandom rng = new SplittableRandom(o.seedFor("expert_bias_update", 0));
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("skewed load", cfg, bias(rng, n, 1e-2), skewedRouting(rng, 24, n, k), DEEPSEEK_V3_GAMMA));
        int[][] balanced = balancedRouting(n, k);
        cases.add(new Case("every expert at the mean (sign 0)", cfg, bias(rng, n, 1e-2), balanced, DEEPSEEK_V3_GAMMA));
        int[][] nearMean = balancedRouting(n, k);
        nearMean[0][0] = (nearMean[0][0] + k) % n; // one expert one over the mean, one under, the rest at it
        cases.add(new Case("two experts off the mean, the rest at it", cfg, bias(rng, n, 1e-2), nearMean, DEEPSEEK_V3_GAMMA));
        cases.add(new Case("gamma 0 freezes the bias", cfg, bias(rng, n, 1e-2), skewedRouting(rng, 16, n, k), 0));
        cases.add(new Case("empty batch", cfg, bias(rng, n, 1e-2), new int[0][], DEEPSEEK_V3_GAMMA));
        cases.add(new Case("large bias, small gamma", cfg, bias(rng, n, 1), skewedRouting(rng, 32, n, k), 1e-5));
        cases.add(new Case("256 experts, top-8, 512 tokens (the real layer)", cfg, bias(rng, 256, 1e-2), skewedRouting(rng, 512, 256, 8), DEEPSEEK_V3_GAMMA));
        return cases;
    }

    /**
     * Real dims: the real layer's 256 experts with top-8 routing over a training step's worth of tokens (8192; 1024 in
     * --quick): a skewed load, every expert at the mean, two experts off it, γ = 0, a large bias with a small γ.
     */
    @Override
    protected List<Case> realCases(CheckOptions o) {
        ModelConfig cfg = ConformanceConfigs.real();
        int n = cfg.nRoutedExperts(), k = cfg.numExpertsPerTok(), tokens = o.quick() ? 1024 : 8192;
        SplittableRandom rng = new SplittableRandom(o.seedFor("expert_bias_update", 1000));
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("skewed load, " + tokens + " tokens", cfg, bias(rng, n, 1e-2), skewedRouting(rng, tokens, n, k), DEEPSEEK_V3_GAMMA));
        cases.add(new Case("every expert at the mean (sign 0)", cfg, bias(rng, n, 1e-2), balancedRouting(n, k), DEEPSEEK_V3_GAMMA));
        int[][] nearMean = balancedRouting(n, k);
        nearMean[0][0] = (nearMean[0][0] + k) % n;
        cases.add(new Case("two experts off the mean, the rest at it", cfg, bias(rng, n, 1e-2), nearMean, DEEPSEEK_V3_GAMMA));
        cases.add(new Case("gamma 0 freezes the bias", cfg, bias(rng, n, 1e-2), skewedRouting(rng, 256, n, k), 0));
        cases.add(new Case("large bias, small gamma, " + tokens + " tokens", cfg, bias(rng, n, 1), skewedRouting(rng, tokens, n, k), 1e-5));
        return cases;
    }

    /** A bias of fp32 values (the parameter's dtype) with standard deviation {@code std}. */
    public static TensorF64 bias(SplittableRandom rng, int n, double std) {
        TensorF64 b = TensorF64.zeros(n);
        for (int i = 0; i < n; i++) b.setFlat(i, (float) (std * org.dsv32.conformance.generate.RandomInputs.gauss(rng)));
        return b;
    }

    /** T tokens each selecting K distinct experts, the low-numbered ones favoured (a router with a skew). */
    public static int[][] skewedRouting(SplittableRandom rng, int tokens, int n, int k) {
        int[][] sel = new int[tokens][];
        for (int t = 0; t < tokens; t++) {
            boolean[] taken = new boolean[n];
            sel[t] = new int[k];
            for (int j = 0; j < k; j++) {
                int e;
                do {
                    double u = rng.nextDouble();
                    e = (int) (n * u * u);
                } while (taken[e]);
                taken[e] = true;
                sel[t][j] = e;
            }
        }
        return sel;
    }

    /** N_r tokens, token t selecting experts t, t+1, ..., t+K-1 (mod N_r): every expert selected exactly K times, the mean. */
    public static int[][] balancedRouting(int n, int k) {
        int[][] sel = new int[n][k];
        for (int t = 0; t < n; t++) for (int j = 0; j < k; j++) sel[t][j] = (t + j) % n;
        return sel;
    }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) { return tolerance(c.bias(), c.gamma(), null); }

    /** The gate, from the inputs' and the result's magnitudes (the result's when known, else its lower bound). */
    public static Tolerance tolerance(TensorF64 bias, double gamma, TensorF64 result) {
        double maxBias = 0, maxResult = 0;
        for (int i = 0; i < bias.size(); i++) maxBias = Math.max(maxBias, Math.abs(bias.getFlat(i)));
        if (result != null) for (int i = 0; i < result.size(); i++) maxResult = Math.max(maxResult, Math.abs(result.getFlat(i)));
        else maxResult = Math.max(maxBias - gamma, gamma);
        return Tolerances.expertBiasUpdate(maxBias, gamma, maxResult);
    }

    @Override
    protected CaseResult runCase(Case c, ExpertBiasUpdateOp cand, ExpertBiasUpdateOp cand2, ExpertBiasUpdateOp ref, ModeTier mt) {
        TensorF64 expected = ref.update(c.bias().copy(), c.selected(), c.gamma());
        CaseEval ev = new CaseEval(c.name(), tolerance(c.bias(), c.gamma(), expected));
        TensorF64 b = c.bias().copy();
        TensorF64 y = cand.update(b, c.selected(), c.gamma());
        ev.requireUnchanged("bias", c.bias(), b);
        ev.requireDeterministic("bias'", y, cand2.update(c.bias().copy(), c.selected(), c.gamma()));
        requireSameDirections(ev, c.bias(), y, expected);
        ev.compare("bias'", y, expected);
        return ev.result();
    }

    /** Fails unless every expert moved the way the reference's did (up, down or not at all). */
    public static void requireSameDirections(CaseEval ev, TensorF64 bias, TensorF64 candidate, TensorF64 expected) {
        if (candidate.size() != expected.size()) {
            ev.fail("bias' has " + candidate.size() + " experts, expected " + expected.size());
            return;
        }
        int wrong = 0, first = -1;
        for (int i = 0; i < expected.size(); i++) {
            double want = Math.signum(expected.getFlat(i) - bias.getFlat(i)), got = Math.signum(candidate.getFlat(i) - bias.getFlat(i));
            if (want != got) {
                if (wrong++ == 0) first = i;
            }
        }
        if (wrong > 0) {
            ev.fail(wrong + " expert(s) moved the wrong way, first expert " + first + ": bias " + bias.getFlat(first) + " -> "
                    + candidate.getFlat(first) + ", expected " + expected.getFlat(first));
        }
    }
}
