package org.dsv32.conformance.checks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.dsv32.conformance.AbstractOperationCheck;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.Margin;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.ModeTier;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.BalanceLossOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;

/**
 * The complementary sequence-wise balance loss: its value, the frequencies f and mean affinities P it is made of
 * (element-wise, relative), and its gradient with respect to the router logits (per element, in units of
 * s'_{m,t} · max_i g_i, because g_m − ḡ cancels: spec/TOLERANCES.md). Cases: a skewed router in one sequence, three
 * sequences of unequal lengths (the per-sequence rule and the batch mean), a perfectly balanced batch (f = 1,
 * L = α, gradient 0), α = 0, saturated logits (s near 0 and 1), and the real layer's 256 experts with top-8. The
 * loss has no rounding point of its own, so it is compared TIGHT in both modes.
 */
public final class BalanceLossCheck extends AbstractOperationCheck<BalanceLossOp, BalanceLossCheck.Case> {
    /** DeepSeek-V3's balance factor α. */
    public static final double DEEPSEEK_V3_ALPHA = 1e-4;

    public record Case(String name, ModelConfig config, TensorF64 logits, int[][] selected, int[] sequenceLengths, double alpha)
            implements AbstractOperationCheck.Case {}

    public BalanceLossCheck() { super(BalanceLossOp.class); }

    @Override
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        ModelConfig cfg = ConformanceConfigs.small();
        int n = cfg.nRoutedExperts(), k = cfg.numExpertsPerTok();
        SplittableRandom rng = new SplittableRandom(o.seedFor("balance_loss", 0));
        List<Case> cases = new ArrayList<>();
        cases.add(batch("skewed router, one sequence", cfg, rng, new int[] {12}, n, k, 2, 1.0, DEEPSEEK_V3_ALPHA));
        cases.add(batch("three sequences of 5, 1 and 9 tokens", cfg, rng, new int[] {5, 1, 9}, n, k, 2, 1.0, 1.0));
        TensorF64 logits = RandomInputs.gaussian(rng, 2, 2 * n, n);
        int[][] balanced = new int[2 * n][];
        int[][] once = ExpertBiasUpdateCheck.balancedRouting(n, k);
        for (int t = 0; t < 2 * n; t++) balanced[t] = once[t % n].clone();
        cases.add(new Case("every expert selected equally often (f = 1, L = alpha)", cfg, logits, balanced, new int[] {n, n}, 0.5));
        cases.add(batch("alpha 0", cfg, rng, new int[] {4, 4}, n, k, 2, 0.5, 0));
        cases.add(batch("saturated logits (s near 0 and 1)", cfg, rng, new int[] {6, 3}, n, k, 12, 0.5, 1.0));
        cases.add(batch("256 experts, top-8, two sequences of 32 tokens (the real layer)", cfg, rng, new int[] {32, 32}, 256, 8, 2, 1.0,
                DEEPSEEK_V3_ALPHA));
        return cases;
    }

    /**
     * Real dims: 256 experts with top-8, sequences of training length: one of 4096 tokens (512 in --quick), four of
     * unequal lengths (1024, 512, 7, 2048), every expert selected equally often (f = 1), saturated logits; α as
     * DeepSeek-V3's and 1.
     */
    @Override
    protected List<Case> realCases(CheckOptions o) {
        ModelConfig cfg = ConformanceConfigs.real();
        int n = cfg.nRoutedExperts(), k = cfg.numExpertsPerTok();
        SplittableRandom rng = new SplittableRandom(o.seedFor("balance_loss", 1000));
        List<Case> cases = new ArrayList<>();
        int len = o.quick() ? 512 : 4096;
        cases.add(batch("skewed router, one sequence of " + len, cfg, rng, new int[] {len}, n, k, 2, 1.0, DEEPSEEK_V3_ALPHA));
        if (!o.quick()) cases.add(batch("four sequences of 1024, 512, 7 and 2048 tokens", cfg, rng, new int[] {1024, 512, 7, 2048}, n, k, 2, 1.0, 1.0));
        TensorF64 logits = RandomInputs.gaussian(rng, 2, 2 * n, n);
        int[][] balanced = new int[2 * n][];
        int[][] once = ExpertBiasUpdateCheck.balancedRouting(n, k);
        for (int t = 0; t < 2 * n; t++) balanced[t] = once[t % n].clone();
        cases.add(new Case("every expert selected equally often (f = 1, L = alpha)", cfg, logits, balanced, new int[] {n, n}, 0.5));
        cases.add(batch("saturated logits (s near 0 and 1)", cfg, rng, new int[] {64, 32}, n, k, 12, 0.5, 1.0));
        return cases;
    }

    /** Gaussian logits (std {@code std}, fp32 values) and the biased top-k selection of a router skewed by {@code skew}. */
    static Case batch(String name, ModelConfig cfg, SplittableRandom rng, int[] lengths, int n, int k, double std, double skew, double alpha) {
        int tokens = 0;
        for (int l : lengths) tokens += l;
        TensorF64 logits = skewedLogits(rng, tokens, n, std, skew);
        TensorF64 bias = ExpertBiasUpdateCheck.bias(rng, n, 0.05);
        return new Case(name, cfg, logits, biasedTopK(logits, bias, k), lengths, alpha);
    }

    /** Logits of a router that favours the low-numbered experts: N(0, std²) plus skew · (1 − 2i/n), rounded to fp32. */
    public static TensorF64 skewedLogits(SplittableRandom rng, int tokens, int n, double std, double skew) {
        TensorF64 l = TensorF64.zeros(tokens, n);
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < n; i++) l.put(t, i, (float) (std * RandomInputs.gauss(rng) + skew * (1 - 2.0 * i / n)));
        }
        return l;
    }

    /** Per token the k experts of largest sigmoid(l) + bias, ties to the lower index (the gate's rule without groups). */
    public static int[][] biasedTopK(TensorF64 logits, TensorF64 bias, int k) {
        int tokens = logits.rows(), n = logits.cols();
        int[][] sel = new int[tokens][k];
        for (int t = 0; t < tokens; t++) {
            double[] b = new double[n];
            for (int i = 0; i < n; i++) b[i] = 1 / (1 + Math.exp(-logits.at(t, i))) + bias.getFlat(i);
            boolean[] taken = new boolean[n];
            for (int j = 0; j < k; j++) {
                int best = -1;
                for (int i = 0; i < n; i++) if (!taken[i] && (best < 0 || b[i] > b[best])) best = i;
                taken[best] = true;
                sel[t][j] = best;
            }
        }
        return sel;
    }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) { return tolerance(c.logits(), c.sequenceLengths()); }

    /** The gate of the values (L, f, P), from the batch's shape. */
    public static Tolerance tolerance(TensorF64 logits, int[] lengths) {
        int longest = 1;
        for (int l : lengths) longest = Math.max(longest, l);
        return Tolerances.balanceLoss(logits.cols(), longest, lengths.length);
    }

    @Override
    protected CaseResult runCase(Case c, BalanceLossOp cand, BalanceLossOp cand2, BalanceLossOp ref, ModeTier mt) {
        BalanceLossOp.Result expected = ref.compute(c.logits().copy(), c.selected(), c.sequenceLengths(), c.alpha());
        CaseEval ev = new CaseEval(c.name(), tolerance(c.logits(), c.sequenceLengths()));
        TensorF64 logits = c.logits().copy();
        BalanceLossOp.Result y = cand.compute(logits, c.selected(), c.sequenceLengths(), c.alpha());
        ev.requireUnchanged("logits", c.logits(), logits);
        ev.requireDeterministic("gradient", y.gradient(), cand2.compute(c.logits().copy(), c.selected(), c.sequenceLengths(), c.alpha()).gradient());
        compare(ev, c.logits(), c.sequenceLengths(), c.alpha(), y, expected);
        return ev.result();
    }

    /** The comparisons a result must pass against the expected one (shared with the golden cases). */
    public static void compare(CaseEval ev, TensorF64 logits, int[] lengths, double alpha, BalanceLossOp.Result y, BalanceLossOp.Result expected) {
        Tolerance t = ev.tolerance();
        ev.compare("loss", new double[] {y.loss()}, new double[] {expected.loss()}, t);
        ev.compare("frequency f", y.frequency(), expected.frequency(), t);
        ev.compare("mean affinity P", y.meanAffinity(), expected.meanAffinity(), t);
        requireGradient(ev, logits, lengths, alpha, expected.frequency(), y.gradient(), expected.gradient());
    }

    /**
     * Fails unless every gradient element is within ε_G · s'_{m,t} · max_i g_i of the expected one
     * ({@link Tolerances#balanceLossGradient}), with s' from the logits and g = α f / (B T) from the expected f.
     */
    public static void requireGradient(CaseEval ev, TensorF64 logits, int[] lengths, double alpha, TensorF64 frequency,
                                       TensorF64 candidate, TensorF64 expected) {
        if (candidate == null || !java.util.Arrays.equals(candidate.shape(), expected.shape())) {
            ev.fail("gradient: shape " + (candidate == null ? "null" : java.util.Arrays.toString(candidate.shape()))
                    + ", expected " + java.util.Arrays.toString(expected.shape()));
            return;
        }
        int n = logits.cols(), batch = lengths.length;
        double eps = Tolerances.balanceLossGradient(n).maxErrInf(), worst = 0;
        int worstT = -1, worstM = -1, from = 0;
        for (int b = 0; b < batch; b++) {
            double maxG = 0;
            for (int i = 0; i < n; i++) maxG = Math.max(maxG, alpha * frequency.at(b, i) / ((double) batch * lengths[b]));
            for (int t = from; t < from + lengths[b]; t++) {
                double[] s = new double[n];
                double sum = 0;
                for (int m = 0; m < n; m++) sum += s[m] = 1 / (1 + Math.exp(-logits.at(t, m)));
                for (int m = 0; m < n; m++) {
                    double err = Math.abs(candidate.at(t, m) - expected.at(t, m)), unit = s[m] / sum * maxG;
                    double ratio = err == 0 ? 0 : unit == 0 || Double.isNaN(err) ? Double.POSITIVE_INFINITY : err / unit;
                    if (!(ratio <= worst)) { worst = ratio; worstT = t; worstM = m; }
                }
            }
            from += lengths[b];
        }
        if (!(worst <= eps)) {
            ev.fail(String.format(Locale.ROOT, "gradient: token %d expert %d off by %.3g s' max g > %.3g (got %.6g, expected %.6g)",
                    worstT, worstM, worst, eps, candidate.at(worstT, worstM), expected.at(worstT, worstM)), Margin.elementwise(worst, eps));
        }
    }
}
