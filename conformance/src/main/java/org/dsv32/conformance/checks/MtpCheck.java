package org.dsv32.conformance.checks;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.dsv32.conformance.AbstractOperationCheck;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.ModeTier;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.SelectionCheck;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.conformance.generate.SyntheticCache;
import org.dsv32.conformance.trace.DecisionTape;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.tolerance.Bf16Tolerance;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.metrics.Metrics;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.MtpOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.ModelWeights;

/**
 * The MTP module from position 0 (where the embedding is zeroed) and then a decode step: logits compared, and the
 * argmax of each row judged as a decision ({@link #argmaxes}); a swapped concat order or a missing position-0 zeroing
 * moves them far beyond the bound. TIGHT only, as for the block it contains.
 *
 * <p>At {@code --dims real} ({@link #realCases}): the module around one MoE block at the 671B shapes
 * ({@link RealLayerWeights}; its head has {@link RealLayerWeights#MTP_VOCAB} rows), a prefill from position 0 then a
 * decode step, and decode steps over a cache of 4096 positions; the block's indexer selections and routings are
 * recorded from the candidate and replayed into the reference as in {@link BlockCheck}.
 */
public final class MtpCheck extends AbstractOperationCheck<MtpOp, MtpCheck.Case> {
    /** {@code prefix} cached positions (a {@link SyntheticCache} of {@code cacheSeed}) before the first step. */
    public record Case(String name, ModelConfig config, ModelWeights w, TensorF64 hidden, int[] nextTokens, int[] steps, int prefix, long cacheSeed)
            implements AbstractOperationCheck.Case {
        public Case(String name, ModelConfig config, ModelWeights w, TensorF64 hidden, int[] nextTokens, int[] steps) {
            this(name, config, w, hidden, nextTokens, steps, 0, 0);
        }

        int maxPosition() { return prefix + hidden.rows(); }
    }

    /** Tokens of the real-dims prefill from position 0, and decode steps over {@link BlockCheck#REAL_CONTEXT} positions. */
    static final int REAL_PREFILL = 8, REAL_PREFILL_QUICK = 2, REAL_DECODE = 2, REAL_DECODE_QUICK = 1;

    /** The tape of the real-dims run in progress (null at the small shapes). */
    private DecisionTape tape;

    public MtpCheck() { super(MtpOp.class); }

    @Override
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT, ModeTier.BF16_TIGHT); }

    @Override
    public List<CheckResult> run(Backend candidate, Backend reference, CheckOptions options, Progress progress) {
        if (!options.realDims()) return super.run(candidate, reference, options, progress);
        return Replayed.run(MtpOp.class, comparisons(), candidate, reference, t -> tape = t, (c, r) -> super.run(c, r, options, progress));
    }

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
    protected List<Case> realCases(CheckOptions o) {
        ModelConfig real = ModelConfig.deepseekV32();
        ModelWeights w = RealLayerWeights.of(real, o.seedFor("real-layer", 0)).mtp;
        ModelConfig c = w.config();
        SplittableRandom rng = new SplittableRandom(o.seedFor("mtp-real", 0));
        int prefill = o.quick() ? REAL_PREFILL_QUICK : REAL_PREFILL, decode = o.quick() ? REAL_DECODE_QUICK : REAL_DECODE;
        int[] steps = new int[decode];
        java.util.Arrays.fill(steps, 1);
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("671B MTP module, position 0 and a prefill of " + prefill + " tokens, then a decode step", c, w,
                RandomInputs.gaussian(rng, 1, prefill + 1, c.hiddenSize()), ModelCheck.tokens(rng, c, prefill + 1), new int[] {prefill, 1}));
        cases.add(new Case("671B MTP module, " + decode + " decode step(s) over " + BlockCheck.REAL_CONTEXT + " positions (top-2048 of 4096)", c, w,
                RandomInputs.gaussian(rng, 1, decode, c.hiddenSize()), ModelCheck.tokens(rng, c, decode), steps, BlockCheck.REAL_CONTEXT - 1, rng.nextLong()));
        return cases;
    }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) {
        return Bf16Tolerance.of(Tolerances.mtp(c.config(), mt.candidateMode(), mt.tier(), c.maxPosition(), Math.min(c.config().indexTopk(), c.maxPosition())),
                mt.candidateMode(), 2 * c.config().hiddenSize(), 21, 7, Bf16Tolerance.softmaxAmplification());
    }

    @Override
    protected CaseResult runCase(Case c, MtpOp cand, MtpOp cand2, MtpOp ref, ModeTier mt) {
        CaseEval ev = new CaseEval(c.name(), toleranceOf(c, mt));
        DecisionTape tape = this.tape;
        LayerCache cc = SyntheticCache.fill(c.config(), c.prefix(), c.cacheSeed()), cc2 = SyntheticCache.fill(c.config(), c.prefix(), c.cacheSeed()),
                rc = SyntheticCache.fill(c.config(), c.prefix(), c.cacheSeed());
        int pos = c.prefix(), row = 0;
        for (int step = 0; step < c.steps().length; step++) {
            int n = c.steps()[step];
            String at = "step " + step + " (pos " + pos + ", " + n + " tokens)";
            TensorF64 h = IndexerCheck.rows(c.hidden(), row, n), hc = h.copy();
            int[] next = java.util.Arrays.copyOfRange(c.nextTokens(), row, row + n);
            if (tape != null) Replayed.arm(tape, ev, at, c.config(), mt, c.maxPosition());
            TensorF64 logits = cand.forward(hc, next.clone(), pos, c.w(), 0, cc);
            if (tape != null) tape.disarm();
            ev.requireUnchanged("hidden", h, hc);
            ev.requireDeterministic(at + " logits", logits, cand2.forward(h.copy(), next.clone(), pos, c.w(), 0, cc2));
            TensorF64 refLogits = ref.forward(h.copy(), next.clone(), pos, c.w(), 0, rc);
            if (tape != null) tape.finish();
            ev.compare(at + " logits", logits, refLogits);
            argmaxes(ev, at, logits, refLogits);
            pos += n;
            row += n;
        }
        return ev.result();
    }

    /**
     * Each row's argmax as a top-1 decision ({@link SelectionCheck}) against the reference's logits, with the score
     * tolerance the norm-wise gate implies: calc_diff ≈ ε²/2 with ε = ‖δ‖/‖Z‖ over the whole tensor, and a gap between
     * two logits moves by at most √2‖δ‖, so τ = 2·sqrt(calc_diff bound)·‖Z‖. A flip within τ is a near-tie the
     * calc_diff gate admits anyway; beyond it the case fails with margin gap / τ.
     */
    static void argmaxes(CaseEval ev, String at, TensorF64 logits, TensorF64 reference) {
        if (logits == null || logits.rows() != reference.rows() || logits.cols() != reference.cols()) return; // compare() failed it
        int[] chosen = new int[logits.rows()];
        for (int i = 0; i < chosen.length; i++) chosen[i] = Metrics.argmax(logits.rowArray(i));
        argmaxes(ev, at, chosen, reference);
    }

    /** The same judgment for tokens chosen elsewhere: {@code chosen[i]} against row i of the reference's logits. */
    static void argmaxes(CaseEval ev, String at, int[] chosen, TensorF64 reference) {
        if (chosen.length != reference.rows()) {
            ev.fail(at + ": " + chosen.length + " tokens, reference " + reference.rows());
            return;
        }
        double norm = 0;
        for (int i = 0; i < reference.size(); i++) if (Double.isFinite(reference.getFlat(i))) norm += reference.getFlat(i) * reference.getFlat(i);
        double tau = 2 * Math.sqrt(ev.tolerance().calcDiff()) * Math.sqrt(norm);
        for (int i = 0; i < reference.rows(); i++) {
            double[] z = reference.rowArray(i);
            int mine = chosen[i];
            ev.decision(at + " row " + i + " argmax", SelectionCheck.check(z, new int[] {Metrics.argmax(z)}, new int[] {mine}, 1, tau));
        }
    }
}
