package org.dsv32.conformance.checks;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.dsv32.conformance.AbstractOperationCheck;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.ConformanceConfigs;
import org.dsv32.conformance.ModeTier;
import org.dsv32.conformance.RandomInputs;
import org.dsv32.conformance.RandomWeights;
import org.dsv32.conformance.Tolerance;
import org.dsv32.conformance.Tolerances;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.MtpOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.LayerWeights;
import org.dsv32.spec.weights.ModelWeights;
import org.dsv32.spec.weights.MtpWeights;
import org.dsv32.spec.weights.Weight;

/**
 * The multi-token-prediction module (fact sheet, section 10): candidate and reference get the same final hidden
 * states h_i (an input here, so no main model runs) and next tokens, step by step with the MTP block's cache, and
 * their logits are compared. What it is for: the module's own semantics — the embedding FIRST in the eh_proj
 * concat, the embedding zeroed at position 0, enorm / hnorm / shared_head.norm, shared_head.head or the main head.
 *
 * <p>The block is made dense (first_k_dense_replace beyond the MTP layer) and no sequence is longer than
 * index_topk, so the indexer selects every visible key: there is no discrete decision inside, the logits are a
 * smooth function of the inputs, and a budget tolerance is sound for any backend. The indexer's and the router's
 * decisions are judged, with replay, by their own checks. Cases: a prefill from position 0, a prefill then two
 * one-token decode steps (the cache carried over, the absorbed form), and weights without shared_head.head.
 */
public final class MtpCheck extends AbstractOperationCheck<MtpOp, MtpCheck.Case> {
    /** {@code steps} token counts fed one after another from position 0; row i of {@code hidden} goes with {@code next[i]}. */
    public record Case(String name, ModelConfig config, ModelWeights w, TensorF64 hidden, int[] next, int[] steps)
            implements AbstractOperationCheck.Case {
        int positions() { int n = 0; for (int s : steps) n += s; return n; }
    }

    public MtpCheck() { super(MtpOp.class); }

    /** {@link ConformanceConfigs#small()} with a dense MTP block: first_k_dense_replace past the MTP layer's index. */
    static ModelConfig denseMtpConfig() {
        ModelConfig c = ConformanceConfigs.small();
        return new ModelConfig(c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.moeIntermediateSize(), c.numHiddenLayers(),
                c.numNextnPredictLayers(), c.numHiddenLayers() + c.numNextnPredictLayers(), c.numAttentionHeads(), c.qLoraRank(),
                c.kvLoraRank(), c.qkNopeHeadDim(), c.qkRopeHeadDim(), c.vHeadDim(), c.nRoutedExperts(), c.numExpertsPerTok(), c.nGroup(),
                c.topkGroup(), c.nSharedExperts(), c.scoringFunc(), c.topkMethod(), c.normTopkProb(), c.routedScalingFactor(),
                c.indexNHeads(), c.indexHeadDim(), c.indexTopk(), c.ropeTheta(), c.ropeScaling(), c.rmsNormEps(),
                c.maxPositionEmbeddings(), c.quantization());
    }

    @Override
    protected List<Case> cases(CheckOptions o) {
        ModelConfig c = denseMtpConfig();
        SplittableRandom rng = new SplittableRandom(o.seedFor("mtp", 0));
        ModelWeights withHead = weights(rng, c, true);
        ModelWeights mainHead = new ModelWeights(c, withHead.embedding(), withHead.layers(), withHead.finalNorm(), withHead.lmHead(),
                List.of(new MtpWeights(withHead.mtp().get(0).enorm(), withHead.mtp().get(0).hnorm(), withHead.mtp().get(0).ehProj(),
                        withHead.mtp().get(0).block(), withHead.mtp().get(0).headNorm(), null)));
        List<Case> cases = new ArrayList<>();
        cases.add(make("prefill from position 0", c, withHead, new int[] {5}, rng));
        cases.add(make("prefill then decode", c, withHead, new int[] {4, 1, 1}, rng));
        cases.add(make("main head (no shared_head.head)", c, mainHead, new int[] {3}, rng));
        for (Case k : cases) {
            if (k.positions() > c.indexTopk()) throw new IllegalStateException(k.name() + ": longer than index_topk, the indexer would decide");
        }
        return cases;
    }

    private static Case make(String name, ModelConfig c, ModelWeights w, int[] steps, SplittableRandom rng) {
        int t = 0;
        for (int s : steps) t += s;
        int[] next = new int[t];
        for (int i = 0; i < t; i++) next[i] = rng.nextInt(c.vocabSize());
        return new Case(name, c, w, RandomInputs.gaussian(rng, 1, t, c.hiddenSize()), next, steps);
    }

    /** The weights the MTP module reads: the shared embedding and LM head, and layer num_hidden_layers (dense). */
    static ModelWeights weights(SplittableRandom rng, ModelConfig c, boolean ownHead) {
        int d = c.hiddenSize(), layer = c.numHiddenLayers();
        var sf = c.activationScaleFormat();
        String p = "model.layers." + layer + ".";
        Weight embedding = RandomWeights.bf16(rng, "model.embed_tokens.weight", c.vocabSize(), d, 0, 1);
        Weight lmHead = RandomWeights.bf16(rng, "lm_head.weight", c.vocabSize(), d, 0, 1 / Math.sqrt(d));
        LayerWeights block = new LayerWeights(layer, RandomWeights.normWeight(rng, p + "input_layernorm.weight", d),
                RandomWeights.normWeight(rng, p + "post_attention_layernorm.weight", d), RandomWeights.attention(rng, c, layer, sf),
                RandomWeights.mlp(rng, p + "mlp", d, c.intermediateSize(), sf), null);
        MtpWeights mtp = new MtpWeights(RandomWeights.normWeight(rng, p + "enorm.weight", d), RandomWeights.normWeight(rng, p + "hnorm.weight", d),
                RandomWeights.bf16(rng, p + "eh_proj.weight", d, 2 * d, 0, 1 / Math.sqrt(2 * d)), block,
                RandomWeights.normWeight(rng, p + "shared_head.norm.weight", d),
                ownHead ? RandomWeights.bf16(rng, p + "shared_head.head.weight", c.vocabSize(), d, 0, 1 / Math.sqrt(d)) : null);
        return new ModelWeights(c, embedding, List.of(), RandomWeights.normWeight(rng, "model.norm.weight", d), lmHead, List.of(mtp));
    }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) {
        return Tolerances.mtp(c.config(), mt.candidateMode(), mt.tier(), c.positions(), c.positions());
    }

    @Override
    protected CaseResult runCase(Case c, MtpOp cand, MtpOp cand2, MtpOp ref, ModeTier mt) {
        CaseEval ev = new CaseEval(c.name(), toleranceOf(c, mt));
        LayerCache cc = new LayerCache(), cc2 = new LayerCache(), rc = new LayerCache();
        int pos = 0;
        for (int step = 0; step < c.steps().length; step++) {
            int n = c.steps()[step];
            String at = "step " + step + " (pos " + pos + ", " + n + " tokens)";
            TensorF64 h = IndexerCheck.rows(c.hidden(), pos, n), hc = h.copy();
            int[] next = java.util.Arrays.copyOfRange(c.next(), pos, pos + n), nextCopy = next.clone();
            TensorF64 y = cand.forward(hc, nextCopy, pos, c.w(), 0, cc);
            ev.requireUnchanged("hidden", h, hc);
            if (!java.util.Arrays.equals(next, nextCopy)) ev.fail(at + ": next tokens modified by the candidate");
            ev.requireDeterministic(at + " logits", y, cand2.forward(h.copy(), next.clone(), pos, c.w(), 0, cc2));
            ev.compare(at + " logits", y, ref.forward(h.copy(), next.clone(), pos, c.w(), 0, rc));
            if (cc.length() != rc.length()) ev.fail(at + ": the MTP block's cache holds " + cc.length() + " tokens, reference " + rc.length());
            pos += n;
        }
        return ev.result();
    }
}
