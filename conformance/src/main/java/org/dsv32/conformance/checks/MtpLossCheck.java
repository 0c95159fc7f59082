package org.dsv32.conformance.checks;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import org.dsv32.conformance.AbstractOperationCheck;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.ModeTier;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.ops.MtpLoss;
import org.dsv32.spec.ops.MtpLossOp;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.ModelWeights;

/**
 * The MTP objective over a sequence: the main loss, every L^k, L_MTP and every position's negative log-likelihood
 * compared with the reference under the gate of {@code Tolerances.mtpLoss} (from the reference's own logit scale:
 * the predictive per-element gate of spec/TOLERANCES.md §10.6, capped by the rigorous bound).
 * Cases: DeepSeek-V3's D = 1 with λ = 0.3 (a λ applied twice is off by the factor 0.3), D = 2 modules chained with
 * λ = 0.1 (a missing division by D doubles L_MTP; module 2 reads module 1's output), and λ = 0 (L_MTP = 0 exactly).
 * The module is the §10 one, so a swapped concat order or a target one position off moves the module losses far
 * beyond the bound. TIGHT in both modes, as for the model it contains.
 */
public final class MtpLossCheck extends AbstractOperationCheck<MtpLossOp, MtpLossCheck.Case> {
    /** DeepSeek-V3's λ for its first 10T tokens. */
    public static final double DEEPSEEK_V3_LAMBDA = 0.3;

    public record Case(String name, ModelConfig config, ModelWeights w, int[] tokens, double lambda) implements AbstractOperationCheck.Case {}

    /** The reference's result per case and mode, remembered for the report's tolerance (runCase computes it first). */
    private final Map<String, MtpLoss> references = new ConcurrentHashMap<>();

    public MtpLossCheck() { super(MtpLossOp.class); }

    @Override
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        ModelConfig c1 = ConformanceConfigs.small().withIndexTopk(4);
        ModelConfig c2 = c1.toBuilder().numNextnPredictLayers(2).build();
        SplittableRandom rng = new SplittableRandom(o.seedFor("mtp_loss", 0));
        ModelWeights w1 = RandomWeights.model(rng, c1, c1.activationScaleFormat());
        ModelWeights w2 = RandomWeights.model(rng, c2, c2.activationScaleFormat());
        int t = o.quick() ? 6 : 9;
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("D = 1, lambda 0.3", c1, w1, ModelCheck.tokens(rng, c1, t), DEEPSEEK_V3_LAMBDA));
        cases.add(new Case("D = 2 chained, lambda 0.1", c2, w2, ModelCheck.tokens(rng, c2, t), 0.1));
        cases.add(new Case("lambda 0, the shortest sequence (T = D + 2)", c1, w1, ModelCheck.tokens(rng, c1, 3), 0));
        return cases;
    }

    /**
     * Real dims: {@link ConformanceConfigs#realModel()}, every layer width of the 671B model (a dense main layer of
     * width 18432, the MTP module's MoE layer with 256 experts) with one main layer and a vocabulary of 8192. The one
     * --quick case is D = 2 chained modules with λ = 0.1 over the shortest sequence (T = D + 2 = 4; module 2 reuses
     * module 1's projection and block, {@link org.dsv32.conformance.generate.RealWeights#chainedModules}), so that a
     * wrong concatenation or target, λ applied twice and a missing division by D all act at these shapes; the full run
     * adds DeepSeek-V3's D = 1 with λ = 0.3 over 4 tokens and λ = 0 over T = 3. Each token costs the float64
     * reference about 1.4 G multiply-adds, so the sequences are short.
     */
    @Override
    protected List<Case> realCases(CheckOptions o) {
        ModelConfig c = ConformanceConfigs.realModel();
        ModelConfig c2 = c.toBuilder().numNextnPredictLayers(2).build();
        SplittableRandom rng = new SplittableRandom(o.seedFor("mtp_loss", 1000));
        ModelWeights w = org.dsv32.conformance.generate.RealWeights.sharedModel(c, realModelSeed(o));
        ModelWeights w2 = org.dsv32.conformance.generate.RealWeights.chainedModules(w, c2, 2, o.seedFor("mtp_loss", 1001));
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("D = 2 chained, lambda 0.1, the shortest sequence (T = D + 2)", c2, w2, ModelCheck.tokens(rng, c2, 4), 0.1));
        if (!o.quick()) {
            cases.add(new Case("D = 1, lambda 0.3, 4 tokens", c, w, ModelCheck.tokens(rng, c, 4), DEEPSEEK_V3_LAMBDA));
            cases.add(new Case("lambda 0, the shortest sequence (T = D + 2)", c, w, ModelCheck.tokens(rng, c, 3), 0));
        }
        return cases;
    }

    /** The seed of the real-dims model mtp_loss and speculative_decoding share (so one run generates it once). */
    static long realModelSeed(CheckOptions o) { return o.seedFor("real_model", 0); }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) {
        MtpLoss r = references.get(key(c, mt));
        if (r == null) return tolerance(c, mt.candidateMode(), mt.tier(), 1, c.tokens().length - 2, 1, 1, Math.log(c.config().vocabSize()), 1);
        return tolerance(c, mt.candidateMode(), mt.tier(), 1, c.tokens().length - 2, r.maxLogitNorm(), r.maxLogitRange(), r.moduleLosses()[0], 1);
    }

    private static Tolerance tolerance(Case c, PrecisionMode mode, Tier tier, int modules, int rows, double norm, double range, double loss, double weight) {
        return tolerance(c.config(), c.tokens().length, mode, tier, modules, rows, norm, range, loss, weight);
    }

    private static Tolerance tolerance(ModelConfig cfg, int t, PrecisionMode mode, Tier tier, int modules, int rows, double norm, double range, double loss, double weight) {
        return Tolerances.mtpLoss(cfg, mode, tier, t, Math.min(cfg.indexTopk(), t), modules, rows, norm, range, weight, loss);
    }

    /**
     * The comparisons of one sequence of T tokens: the main loss, each L^k, each position's NLL, L_MTP (exactly 0 when
     * λ = 0), each under {@code Tolerances.mtpLoss} at the reference's logit scale and the depth of its chain.
     */
    public static void compare(CaseEval ev, ModelConfig cfg, PrecisionMode mode, Tier tier, int t, double lambda, MtpLoss y, MtpLoss r) {
        int d = r.modules();
        if (y.modules() != d || y.nll().length != d + 1) {
            ev.fail("the candidate reports " + y.modules() + " module losses, expected " + d);
            return;
        }
        double norm = r.maxLogitNorm(), range = r.maxLogitRange();
        ev.compare("main loss", new double[] {y.mainLoss()}, new double[] {r.mainLoss()}, tolerance(cfg, t, mode, tier, 0, t - 1, norm, range, r.mainLoss(), 1));
        for (int k = 1; k <= d; k++) {
            ev.compare("L^" + k, new double[] {y.moduleLosses()[k - 1]}, new double[] {r.moduleLosses()[k - 1]},
                    tolerance(cfg, t, mode, tier, k, t - k - 1, norm, range, r.moduleLosses()[k - 1], 1));
        }
        for (int k = 0; k <= d; k++) {
            double worst = 0;
            for (double v : r.nll()[k]) worst = Math.max(worst, Math.abs(v));
            ev.compare((k == 0 ? "main" : "module " + k) + " per-position NLL", y.nll()[k], r.nll()[k], tolerance(cfg, t, mode, tier, k, 1, norm, range, worst, 1));
        }
        if (lambda == 0) {
            if (y.mtpLoss() != 0) ev.fail("lambda 0: L_MTP is " + y.mtpLoss() + ", not 0");
        } else {
            // the deepest module's logits (the largest error) and module 1's row count (the longest mean)
            ev.compare("L_MTP", new double[] {y.mtpLoss()}, new double[] {r.mtpLoss()}, tolerance(cfg, t, mode, tier, d, t - 2, norm, range, r.mtpLoss(), lambda));
        }
    }

    private static String key(Case c, ModeTier mt) { return c.name() + "|" + mt.label(); }

    @Override
    protected CaseResult runCase(Case c, MtpLossOp cand, MtpLossOp cand2, MtpLossOp ref, ModeTier mt) {
        MtpLoss r = ref.loss(c.tokens().clone(), c.w(), c.lambda());
        references.put(key(c, mt), r);
        int t = c.tokens().length;
        CaseEval ev = new CaseEval(c.name(), toleranceOf(c, mt));
        int[] tokens = c.tokens().clone();
        MtpLoss y = cand.loss(tokens, c.w(), c.lambda());
        if (!java.util.Arrays.equals(tokens, c.tokens())) ev.fail("the candidate modified the token sequence");
        MtpLoss y2 = cand2.loss(c.tokens().clone(), c.w(), c.lambda());
        ev.requireBitwise("losses (second run)", values(y), values(y2));
        compare(ev, c.config(), mt.candidateMode(), mt.tier(), t, c.lambda(), y, r);
        return ev.result();
    }

    /** Every number of a result, for the determinism check. */
    private static double[] values(MtpLoss l) {
        List<Double> v = new ArrayList<>(List.of(l.mainLoss(), l.mtpLoss(), l.maxLogitNorm(), l.maxLogitRange()));
        for (double x : l.moduleLosses()) v.add(x);
        for (double[] row : l.nll()) for (double x : row) v.add(x);
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
