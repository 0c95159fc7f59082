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
import org.dsv32.conformance.generate.SyntheticCache;
import org.dsv32.spec.tolerance.Bf16Tolerance;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.BlockOp;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.LayerWeights;

/**
 * A decoder block, step by step (prefill then decode), for a dense layer and an MoE layer, and a decode beyond
 * position 4096. The block contract exposes no decisions, so nothing can be replayed: only TIGHT comparisons
 * (where a near-tie flip has probability of the order of the fp32 noise over the score gaps); the FP8 rounding
 * cost is judged per component (mla_attention, moe, mlp), where decisions are replayed.
 */
public final class BlockCheck extends AbstractOperationCheck<BlockOp, BlockCheck.Case> {
    public record Case(String name, ModelConfig config, int prefix, int[] steps, LayerWeights w, TensorF64 x, long cacheSeed)
            implements AbstractOperationCheck.Case {
        int maxPosition() { int n = prefix; for (int s : steps) n += s; return n; }
    }

    public BlockCheck() { super(BlockOp.class); }

    @Override
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT, ModeTier.BF16_TIGHT); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        ModelConfig c = ConformanceConfigs.small().withIndexTopk(4);
        SplittableRandom rng = new SplittableRandom(o.seedFor("block", 0));
        LayerWeights dense = RandomWeights.layer(rng, c, 0, c.activationScaleFormat());
        LayerWeights moe = RandomWeights.layer(rng, c, c.firstKDenseReplace(), c.activationScaleFormat());
        List<Case> cases = new ArrayList<>();
        cases.add(make("dense layer, one token", c, 0, new int[] {1}, dense, rng));
        cases.add(make("dense layer, prefill then decode", c, 0, new int[] {6, 1}, dense, rng));
        cases.add(make("MoE layer, prefill then decode", c, 0, new int[] {o.quick() ? 6 : 10, 1}, moe, rng));
        cases.add(make("MoE layer, decode beyond 4096", c, 4097, new int[] {1}, moe, rng));
        return cases;
    }

    private static Case make(String name, ModelConfig c, int prefix, int[] steps, LayerWeights w, SplittableRandom rng) {
        int t = 0;
        for (int s : steps) t += s;
        return new Case(name, c, prefix, steps, w, RandomInputs.gaussian(rng, 1, t, c.hiddenSize()), rng.nextLong());
    }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) {
        return Bf16Tolerance.of(Tolerances.block(c.config(), mt.candidateMode(), mt.tier(), c.maxPosition(), Math.min(c.config().indexTopk(), c.maxPosition()), c.w().isMoe()),
                mt.candidateMode(), c.config().hiddenSize(), 18, 6, Bf16Tolerance.softmaxAmplification());
    }

    @Override
    protected CaseResult runCase(Case c, BlockOp cand, BlockOp cand2, BlockOp ref, ModeTier mt) {
        CaseEval ev = new CaseEval(c.name(), toleranceOf(c, mt));
        LayerCache cc = SyntheticCache.fill(c.config(), c.prefix(), c.cacheSeed());
        LayerCache cc2 = SyntheticCache.fill(c.config(), c.prefix(), c.cacheSeed());
        LayerCache rc = SyntheticCache.fill(c.config(), c.prefix(), c.cacheSeed());
        int row = 0, pos = c.prefix();
        for (int step = 0; step < c.steps().length; step++) {
            int n = c.steps()[step];
            String at = "step " + step + " (pos " + pos + ", " + n + " tokens)";
            TensorF64 x = IndexerCheck.rows(c.x(), row, n), xc = x.copy();
            TensorF64 y = cand.forward(xc, pos, c.w(), cc);
            ev.requireUnchanged("x", x, xc);
            ev.requireDeterministic(at + " output", y, cand2.forward(x.copy(), pos, c.w(), cc2));
            ev.compare(at + " output", y, ref.forward(x.copy(), pos, c.w(), rc));
            if (cc.length() != rc.length()) ev.fail(at + ": cache holds " + cc.length() + " tokens, reference " + rc.length());
            row += n;
            pos += n;
        }
        return ev.result();
    }
}
