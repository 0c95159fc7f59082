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
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.ModelSession;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ModelWeights;

/**
 * The whole model (one dense and one MoE layer of the small configuration): a session fed a prefill and then
 * single-token decode steps; per step the logits and the final hidden states are compared, and the argmax of each
 * row must agree. TIGHT only, as for the block.
 */
public final class ModelCheck extends AbstractOperationCheck<ModelOp, ModelCheck.Case> {
    public record Case(String name, ModelConfig config, ModelWeights w, int[][] steps) implements AbstractOperationCheck.Case {
        int length() { int n = 0; for (int[] s : steps) n += s.length; return n; }
    }

    public ModelCheck() { super(ModelOp.class); }

    @Override
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        ModelConfig c = ConformanceConfigs.small().withIndexTopk(4);
        SplittableRandom rng = new SplittableRandom(o.seedFor("model", 0));
        ModelWeights w = RandomWeights.model(rng, c, c.activationScaleFormat());
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("one token", c, w, new int[][] {tokens(rng, c, 1)}));
        cases.add(new Case("prefill then decode", c, w, new int[][] {tokens(rng, c, o.quick() ? 6 : 9), tokens(rng, c, 1), tokens(rng, c, 1)}));
        return cases;
    }

    static int[] tokens(SplittableRandom rng, ModelConfig c, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = rng.nextInt(c.vocabSize());
        return t;
    }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) {
        return Tolerances.model(c.config(), mt.candidateMode(), mt.tier(), c.length(), Math.min(c.config().indexTopk(), c.length()));
    }

    @Override
    protected CaseResult runCase(Case c, ModelOp cand, ModelOp cand2, ModelOp ref, ModeTier mt) {
        CaseEval ev = new CaseEval(c.name(), toleranceOf(c, mt));
        ModelSession s = cand.open(c.w()), s2 = cand2.open(c.w()), r = ref.open(c.w());
        for (int step = 0; step < c.steps().length; step++) {
            int[] t = c.steps()[step];
            String at = "step " + step + " (pos " + r.position() + ", " + t.length + " tokens)";
            TensorF64 logits = s.forward(t.clone());
            ev.requireDeterministic(at + " logits", logits, s2.forward(t.clone()));
            TensorF64 refLogits = r.forward(t.clone());
            ev.compare(at + " logits", logits, refLogits);
            ev.compare(at + " final hidden", s.lastHidden(), r.lastHidden());
            for (int i = 0; i < t.length && logits.rows() == refLogits.rows(); i++) {
                if (org.dsv32.spec.metrics.Metrics.argmax(logits.rowArray(i)) != org.dsv32.spec.metrics.Metrics.argmax(refLogits.rowArray(i))) {
                    ev.fail(at + " row " + i + ": argmax of the logits differs from the reference");
                }
            }
            if (s.position() != r.position()) ev.fail(at + ": session position " + s.position() + ", reference " + r.position());
        }
        return ev.result();
    }
}
