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
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.MtpOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ModelWeights;

/**
 * The MTP module from position 0 (where the embedding is zeroed) and then a decode step: logits compared, argmax
 * per row must agree; a swapped concat order or a missing position-0 zeroing moves them far beyond the bound.
 * TIGHT only, as for the block it contains.
 */
public final class MtpCheck extends AbstractOperationCheck<MtpOp, MtpCheck.Case> {
    public record Case(String name, ModelConfig config, ModelWeights w, TensorF64 hidden, int[] nextTokens, int[] steps)
            implements AbstractOperationCheck.Case {}

    public MtpCheck() { super(MtpOp.class); }

    @Override
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT, ModeTier.BF16_TIGHT); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        ModelConfig c = ConformanceConfigs.small().withIndexTopk(4);
        SplittableRandom rng = new SplittableRandom(o.seedFor("mtp", 0));
        ModelWeights w = RandomWeights.model(rng, c, c.activationScaleFormat());
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("position 0, one token", c, w, RandomInputs.gaussian(rng, 1, 1, c.hiddenSize()), ModelCheck.tokens(rng, c, 1), new int[] {1}));
        int n = o.quick() ? 5 : 8;
        cases.add(new Case("prefill then decode", c, w, RandomInputs.gaussian(rng, 1, n + 1, c.hiddenSize()), ModelCheck.tokens(rng, c, n + 1), new int[] {n, 1}));
        return cases;
    }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) {
        return Bf16Tolerance.of(Tolerances.mtp(c.config(), mt.candidateMode(), mt.tier(), c.hidden().rows(), Math.min(c.config().indexTopk(), c.hidden().rows())),
                mt.candidateMode(), 2 * c.config().hiddenSize(), 21, 7, Bf16Tolerance.softmaxAmplification());
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
            int[] next = java.util.Arrays.copyOfRange(c.nextTokens(), pos, pos + n);
            TensorF64 logits = cand.forward(hc, next.clone(), pos, c.w(), 0, cc);
            ev.requireUnchanged("hidden", h, hc);
            ev.requireDeterministic(at + " logits", logits, cand2.forward(h.copy(), next.clone(), pos, c.w(), 0, cc2));
            TensorF64 refLogits = ref.forward(h.copy(), next.clone(), pos, c.w(), 0, rc);
            ev.compare(at + " logits", logits, refLogits);
            for (int i = 0; i < n && logits.rows() == refLogits.rows(); i++) {
                if (org.dsv32.spec.metrics.Metrics.argmax(logits.rowArray(i)) != org.dsv32.spec.metrics.Metrics.argmax(refLogits.rowArray(i))) {
                    ev.fail(at + " row " + i + ": argmax of the logits differs from the reference");
                }
            }
            pos += n;
        }
        return ev.result();
    }
}
