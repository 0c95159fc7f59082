package org.dsv32.conformance.checks;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.dsv32.conformance.AbstractOperationCheck;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.trace.DecisionTape;
import org.dsv32.conformance.trace.TracingBackend;
import org.dsv32.spec.backend.Backend;
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
 * position 4096. The block contract exposes no decisions, so at the small shapes nothing is replayed: only TIGHT
 * comparisons (where a near-tie flip has probability of the order of the fp32 noise over the score gaps); the FP8
 * rounding cost is judged per component (mla_attention, moe, mlp), where decisions are replayed.
 *
 * <p>At {@code --dims real} ({@link #realCases}): one MoE layer at the 671B shapes ({@link RealLayerWeights}), a
 * prefill and then decode steps over a cache of 4096 positions where the indexer's top-2048 selects half the keys.
 * There top-k ties within rounding are certain (2048 of 4096 scores, 256 experts per token), so the decisions ARE
 * replayed: the candidate and the reference run behind {@link TracingBackend}s sharing a {@link DecisionTape}, which
 * records every indexer selection and routing of the candidate, judges each against the reference's own scores and
 * forces it on the reference's run. The outputs then differ by rounding only.
 */
public final class BlockCheck extends AbstractOperationCheck<BlockOp, BlockCheck.Case> {
    public record Case(String name, ModelConfig config, int prefix, int[] steps, LayerWeights w, TensorF64 x, long cacheSeed)
            implements AbstractOperationCheck.Case {
        int maxPosition() { int n = prefix; for (int s : steps) n += s; return n; }
    }

    public BlockCheck() { super(BlockOp.class); }

    /** Tokens of the real-dims prefill (from position 0; the naive MLA form expands every cached key, ~17 MMAC each). */
    static final int REAL_PREFILL = 16, REAL_PREFILL_QUICK = 4;
    /** Decode steps at real dims over a cache of {@link #REAL_CONTEXT} positions. */
    static final int REAL_DECODE = 3, REAL_DECODE_QUICK = 1;
    /** Positions the real-dims decode attends over: the first decode token sits at position REAL_CONTEXT - 1. */
    static final int REAL_CONTEXT = 4096;

    /** The tape of the real-dims run in progress (null at the small shapes: nothing replayed). */
    private DecisionTape tape;

    /**
     * At {@code --dims real} the candidate and the reference run behind {@link TracingBackend}s sharing one
     * {@link DecisionTape}; a candidate whose composites do not take their parts from it cannot be traced, so its
     * decisions cannot be replayed: NOT IMPLEMENTED with that reason, never a pass.
     */
    @Override
    public List<CheckResult> run(Backend candidate, Backend reference, CheckOptions options, Progress progress) {
        if (!options.realDims()) return super.run(candidate, reference, options, progress);
        return Replayed.run(BlockOp.class, comparisons(), candidate, reference, t -> tape = t, (c, r) -> super.run(c, r, options, progress));
    }

    @Override
    protected List<Case> realCases(CheckOptions o) {
        ModelConfig c = ModelConfig.deepseekV32();
        SplittableRandom rng = new SplittableRandom(o.seedFor("block-real", 0));
        LayerWeights moe = RealLayerWeights.of(c, o.seedFor("real-layer", 0)).moeLayer;
        int prefill = o.quick() ? REAL_PREFILL_QUICK : REAL_PREFILL, decode = o.quick() ? REAL_DECODE_QUICK : REAL_DECODE;
        int[] steps = new int[decode];
        java.util.Arrays.fill(steps, 1);
        List<Case> cases = new ArrayList<>();
        cases.add(make("671B MoE layer, prefill of " + prefill + " tokens then a decode step", c, 0, new int[] {prefill, 1}, moe, rng));
        cases.add(make("671B MoE layer, " + decode + " decode step(s) over " + REAL_CONTEXT + " positions (top-2048 of 4096)", c,
                REAL_CONTEXT - 1, steps, moe, rng));
        return cases;
    }

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
        DecisionTape tape = this.tape;
        LayerCache cc = SyntheticCache.fill(c.config(), c.prefix(), c.cacheSeed());
        LayerCache cc2 = SyntheticCache.fill(c.config(), c.prefix(), c.cacheSeed());
        LayerCache rc = SyntheticCache.fill(c.config(), c.prefix(), c.cacheSeed());
        int row = 0, pos = c.prefix();
        for (int step = 0; step < c.steps().length; step++) {
            int n = c.steps()[step];
            String at = "step " + step + " (pos " + pos + ", " + n + " tokens)";
            TensorF64 x = IndexerCheck.rows(c.x(), row, n), xc = x.copy();
            if (tape != null) Replayed.arm(tape, ev, at, c.config(), mt, c.maxPosition());
            TensorF64 y = cand.forward(xc, pos, c.w(), cc);
            if (tape != null) tape.disarm();
            ev.requireUnchanged("x", x, xc);
            ev.requireDeterministic(at + " output", y, cand2.forward(x.copy(), pos, c.w(), cc2));
            ev.compare(at + (tape == null ? " output" : " output (reference replaying the candidate's decisions)"), y, ref.forward(x.copy(), pos, c.w(), rc));
            if (tape != null) tape.finish();
            if (cc.length() != rc.length()) ev.fail(at + ": cache holds " + cc.length() + " tokens, reference " + rc.length());
            row += n;
            pos += n;
        }
        return ev.result();
    }
}
