package org.dsv32.conformance.checks;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.dsv32.conformance.AbstractOperationCheck;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.ModeTier;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.generate.Generation;
import org.dsv32.spec.generate.SpeculativeDecoding;
import org.dsv32.spec.ops.SpeculativeDecodingOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.ModelWeights;

/**
 * Speculative decoding's one property (spec/SEMANTICS.md §10e): the candidate's tokens with MTP drafting equal the
 * reference's plain greedy tokens exactly, and the candidate's own bookkeeping is consistent (every accepted draft
 * saves exactly one main step). Prompts of one token and of several, with room for several drafts. A draft accepted
 * without verification changes the tokens (a random model's MTP module is almost never right). TIGHT only.
 */
public final class SpeculativeDecodingCheck extends AbstractOperationCheck<SpeculativeDecodingOp, SpeculativeDecodingCheck.Case> {
    /** Token equality is exact when no reference logits are at hand to judge a near-tie. */
    static final Tolerance EXACT = new Tolerance(0, Double.NaN, Double.NaN, "greedy tokens equal exactly, token for token");

    public record Case(String name, ModelConfig config, ModelWeights w, int[] prompt, int count) implements AbstractOperationCheck.Case {}

    public SpeculativeDecodingCheck() { super(SpeculativeDecodingOp.class); }

    @Override
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        ModelConfig c = ConformanceConfigs.small().withIndexTopk(4);
        SplittableRandom rng = new SplittableRandom(o.seedFor("speculative_decoding", 0));
        ModelWeights w = RandomWeights.model(rng, c, c.activationScaleFormat());
        int count = o.quick() ? 6 : 10;
        return List.of(new Case("one-token prompt", c, w, ModelCheck.tokens(rng, c, 1), count),
                new Case("prompt longer than the top-k", c, w, ModelCheck.tokens(rng, c, 7), count));
    }

    /**
     * Real dims: the model of {@link ConformanceConfigs#realModel()} (real widths, one dense main layer, the MoE MTP
     * module, vocabulary 8192), shared with mtp_loss: a 2-token prompt with 4 tokens to generate (a 1-token prompt and
     * 3 in --quick). A random model's draft is almost never accepted, so the check mainly proves that verification
     * keeps the greedy tokens at the real shapes.
     */
    @Override
    protected List<Case> realCases(CheckOptions o) {
        ModelConfig c = ConformanceConfigs.realModel();
        SplittableRandom rng = new SplittableRandom(o.seedFor("speculative_decoding", 1000));
        ModelWeights w = org.dsv32.conformance.generate.RealWeights.sharedModel(c, MtpLossCheck.realModelSeed(o));
        return o.quick() ? List.of(new Case("one-token prompt, 3 tokens", c, w, ModelCheck.tokens(rng, c, 1), 3))
                : List.of(new Case("two-token prompt, 4 tokens", c, w, ModelCheck.tokens(rng, c, 2), 4));
    }

    /**
     * Each token is a top-1 decision judged by the reference's logits along the candidate's own path: the logits'
     * calc_diff bound of the model ({@link Tolerances#model}) turned into a score tolerance as the model check's argmax
     * rows are ({@link MtpCheck#argmaxes}).
     */
    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) {
        int length = c.prompt().length + c.count();
        return Tolerances.model(c.config(), mt.candidateMode(), mt.tier(), length, Math.min(c.config().indexTopk(), length));
    }

    @Override
    protected CaseResult runCase(Case c, SpeculativeDecodingOp cand, SpeculativeDecodingOp cand2, SpeculativeDecodingOp ref, ModeTier mt) {
        CaseEval ev = new CaseEval(c.name(), ref instanceof SpeculativeDecoding ? toleranceOf(c, mt) : EXACT);
        int[] prompt = c.prompt().clone();
        Generation g = cand.generate(c.w(), prompt, c.count());
        if (!Arrays.equals(prompt, c.prompt())) ev.fail("the prompt was modified");
        Generation again = cand2.generate(c.w(), c.prompt().clone(), c.count());
        if (!Arrays.equals(g.tokens(), again.tokens())) ev.fail("two runs on the same inputs differ (not deterministic)");
        if (ref instanceof SpeculativeDecoding s) {
            // The judge: plain greedy on the reference, teacher-forced along the candidate's tokens. Each token must be
            // the reference's argmax or a near-tie within the logits' tolerance; after a near-tie the judgment follows
            // the candidate's path (the decision replayed), so one admissible flip does not fail every later token.
            TensorF64 z = s.teacherForced(c.w(), c.prompt().clone(), g.tokens());
            MtpCheck.argmaxes(ev, "token", g.tokens(), z);
        } else {
            int[] greedy = ref.generate(c.w(), c.prompt().clone(), c.count()).tokens();
            ev.requireBitwise("tokens (speculative, candidate) vs plain greedy (reference)", doubles(g.tokens()), doubles(greedy));
        }
        if (g.mainSteps() != c.count() - 1 - g.accepted()) {
            ev.fail("bookkeeping: " + g.mainSteps() + " main steps for " + c.count() + " tokens with " + g.accepted()
                    + " accepted drafts (expected " + (c.count() - 1 - g.accepted()) + ")");
        }
        if (g.accepted() > g.drafts()) ev.fail("bookkeeping: " + g.accepted() + " drafts accepted of " + g.drafts());
        return ev.result();
    }

    static double[] doubles(int[] v) { return Arrays.stream(v).asDoubleStream().toArray(); }
}
