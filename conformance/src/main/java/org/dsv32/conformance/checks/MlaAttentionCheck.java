package org.dsv32.conformance.checks;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.dsv32.conformance.AbstractOperationCheck;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.Decision;
import org.dsv32.conformance.ModeTier;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.conformance.SelectionCheck;
import org.dsv32.conformance.generate.SyntheticCache;
import org.dsv32.spec.tolerance.Bf16Tolerance;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.AttentionResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.MlaAttentionOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.AttentionWeights;

/**
 * MLA attention with DSA, one layer, step by step (prefill, then decode steps, which exercise the absorbed form
 * where a backend has one). Per step: the candidate runs with its own indexer; its key selection is judged against
 * the reference's indexer scores ({@link SelectionCheck}); then the reference REPLAYS the candidate's selection
 * (forcedSelection) on its own cache and the outputs and the appended kv-cache entries are compared. Cases: one
 * token, a prefill with top-k above and below the key count, prefill + decode, decode beyond position 4096 over a
 * synthetic cache prefix, small activations (x scaled by 1e-3) where the latent norms' eps is visible, a chunked
 * prefill (chunks of 5, 4, 3 tokens: start &gt; 0 with several tokens, the naive form over a cached prefix). The cache
 * entries get their own, much tighter tolerance ({@link Tolerances#mlaCache}): a cache that skips the FP8 round trip
 * must not hide inside the output's budget.
 */
public final class MlaAttentionCheck extends AbstractOperationCheck<MlaAttentionOp, MlaAttentionCheck.Case> {
    public record Case(String name, ModelConfig config, int prefix, int[] steps, AttentionWeights w, TensorF64 x, long cacheSeed)
            implements AbstractOperationCheck.Case {
        int maxPosition() { int n = prefix; for (int s : steps) n += s; return n; }
    }

    /** The real-dims case whose latents' mean square is near the norms' eps. */
    public static final String SMALL_ACTIVATIONS = "small activations, one token from 0 (x scaled by 1e-3: latent norm eps visible)";

    public MlaAttentionCheck() { super(MlaAttentionOp.class); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        ModelConfig base = ConformanceConfigs.small();
        SplittableRandom rng = new SplittableRandom(o.seedFor("mla_attention", 0));
        AttentionWeights w = RandomWeights.attention(rng, base, 3, base.activationScaleFormat());
        List<Case> cases = new ArrayList<>();
        cases.add(make("one token", base, 0, new int[] {1}, w, rng));
        cases.add(make("prefill, top-k > keys", base, 0, new int[] {5}, w, rng));
        cases.add(make("prefill, top-k < keys", base.withIndexTopk(4), 0, new int[] {o.quick() ? 9 : 14}, w, rng));
        cases.add(make("prefill then decode", base.withIndexTopk(4), 0, new int[] {6, 1, 1}, w, rng));
        cases.add(make("decode beyond 4096", base, 4097, new int[] {1, 1}, w, rng));
        cases.add(small(make("small activations (norm eps visible)", base, 0, new int[] {3}, w, rng)));
        if (!o.quick()) {
            ModelConfig plain = ConformanceConfigs.smallPlainScales().withIndexTopk(4);
            cases.add(make("plain scales prefill then decode", plain, 0, new int[] {5, 1}, RandomWeights.attention(rng, plain, 3, plain.activationScaleFormat()), rng));
        }
        cases.add(make("chunked prefill (start > 0, several tokens)", base.withIndexTopk(4), 0, new int[] {5, 4, 3}, w, rng));
        return cases;
    }

    /**
     * Real dims: 128 heads (nope 128 + rope 64, value 128), q_lora 1536, kv_lora 512, the indexer's top-2048: decode
     * steps at 4096 cached keys (2048 of 4097 selected, the absorbed form) and at 32768 cached keys, and a prefill of
     * 4 tokens from 0 (the naive form; a longer prefill expands every latent through kv_b, 16.7 M multiply-adds a key,
     * which the float64 reference cannot afford here), and one token from 0 with small activations (x scaled by 1e-3:
     * the q_a and kv_a latents' mean square near 1e-6, where the latent norms' eps counts, which no other real case
     * reaches; one token is the cheapest MLA forward at these shapes, one key to expand). --quick: one decode step at
     * 4096 and the small activations.
     */
    @Override
    protected List<Case> realCases(CheckOptions o) {
        ModelConfig cfg = ConformanceConfigs.real();
        SplittableRandom rng = new SplittableRandom(o.seedFor("mla_attention", 1000));
        AttentionWeights w = org.dsv32.conformance.generate.RealWeights.attention(cfg, o.seedFor("mla_attention", 1001));
        List<Case> cases = new ArrayList<>();
        cases.add(make("decode at 4096 cached keys (top-2048 of 4097)", cfg, 4096, o.quick() ? new int[] {1} : new int[] {1, 1}, w, rng));
        if (!o.quick()) {
            cases.add(make("decode at 32768 cached keys (top-2048 of 32769)", cfg, 32768, new int[] {1}, w, rng));
            cases.add(make("prefill of 4 tokens from 0 (naive form)", cfg, 0, new int[] {4}, w, rng));
        }
        // appended after the cases above so that their inputs stay the ones drawn before this existed
        cases.add(small(make(SMALL_ACTIVATIONS, cfg, 0, new int[] {1}, w, rng)));
        return cases;
    }

    private static Case make(String name, ModelConfig c, int prefix, int[] steps, AttentionWeights w, SplittableRandom rng) {
        int t = 0;
        for (int s : steps) t += s;
        return new Case(name, c, prefix, steps, w, RandomInputs.gaussian(rng, 1, t, c.hiddenSize()), rng.nextLong());
    }

    /** The case with x scaled by 1e-3: the q_a and kv_a latents' mean square drops to about 1e-6, where eps counts. */
    private static Case small(Case c) {
        TensorF64 x = c.x().copy();
        for (int i = 0; i < x.size(); i++) x.setFlat(i, (float) (x.getFlat(i) * 1e-3));
        return new Case(c.name(), c.config(), c.prefix(), c.steps(), c.w(), x, c.cacheSeed());
    }

    @Override
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT, ModeTier.FP8_LOOSE, ModeTier.BF16_TIGHT); }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) {
        return Bf16Tolerance.of(Tolerances.mla(c.config(), mt.candidateMode(), mt.tier(), c.maxPosition(), Math.min(c.config().indexTopk(), c.maxPosition()))
                .withScoreOf(Tolerances.indexer(c.config(), mt.candidateMode(), mt.tier(), c.maxPosition())),
                mt.candidateMode(), c.config().hiddenSize(), 12, 4, Bf16Tolerance.softmaxAmplification());
    }

    @Override
    protected CaseResult runCase(Case c, MlaAttentionOp cand, MlaAttentionOp cand2, MlaAttentionOp ref, ModeTier mt) {
        CaseEval ev = new CaseEval(c.name(), toleranceOf(c, mt));
        LayerCache cc = SyntheticCache.fill(c.config(), c.prefix(), c.cacheSeed());
        LayerCache cc2 = SyntheticCache.fill(c.config(), c.prefix(), c.cacheSeed());
        LayerCache rc = SyntheticCache.fill(c.config(), c.prefix(), c.cacheSeed());
        LayerCache replayCache = SyntheticCache.fill(c.config(), c.prefix(), c.cacheSeed());
        int row = 0, pos = c.prefix();
        for (int step = 0; step < c.steps().length; step++) {
            int n = c.steps()[step];
            String at = "step " + step + " (pos " + pos + ", " + n + " tokens)";
            TensorF64 x = IndexerCheck.rows(c.x(), row, n), xc = x.copy();
            AttentionResult r = cand.forward(xc, pos, c.w(), cc, null);
            ev.requireUnchanged("x", x, xc);
            AttentionResult r2 = cand2.forward(x.copy(), pos, c.w(), cc2, null);
            ev.requireDeterministic(at + " output", r.output(), r2.output());
            AttentionResult e = ref.forward(x.copy(), pos, c.w(), rc, null);
            int[][] sel = r.indexer() == null ? null : r.indexer().selected();
            boolean replayable = sel != null && sel.length == n;
            for (int t = 0; t < n; t++) {
                double[] scores = e.indexer().scores().rowArray(t);
                double tau = ev.tolerance().scoreRel() * IndexerCheck.scale(scores);
                SelectionCheck.Outcome o = SelectionCheck.check(scores, e.indexer().selected()[t], sel == null || t >= sel.length ? null : sel[t],
                        e.indexer().selected()[t].length, tau);
                ev.decision(at + " query " + (pos + t), o);
                if (o.decision() == Decision.VIOLATION && !validIndices(sel == null || t >= sel.length ? null : sel[t], pos + n)) replayable = false;
            }
            if (!replayable) {
                ev.fail(at + ": the candidate's selection cannot be replayed (missing or out of range); outputs not compared");
                return ev.result();
            }
            AttentionResult replay = ref.forward(x.copy(), pos, c.w(), replayCache, sel);
            ev.compare(at + " output (reference replaying the candidate's selection)", r.output(), replay.output());
            compareLatents(ev, at, cc, replayCache, pos, n, Tolerances.mlaCache(c.config(), mt.candidateMode(), mt.tier(), c.maxPosition()));
            row += n;
            pos += n;
        }
        return ev.result();
    }

    private static boolean validIndices(int[] s, int keys) {
        if (s == null) return false;
        for (int i : s) if (i < 0 || i >= keys) return false;
        return true;
    }

    private static void compareLatents(CaseEval ev, String at, LayerCache cand, LayerCache ref, int from, int n, Tolerance tol) {
        if (cand.length() != ref.length()) {
            ev.fail(at + ": MLA cache holds " + cand.length() + " tokens, reference " + ref.length());
            return;
        }
        int w = ref.latent(from).length + ref.keyRope(from).length;
        TensorF64 a = TensorF64.zeros(n, w), b = TensorF64.zeros(n, w);
        for (int t = 0; t < n; t++) {
            double[] la = concat(cand.latent(from + t), cand.keyRope(from + t)), lb = concat(ref.latent(from + t), ref.keyRope(from + t));
            if (la.length != w) { ev.fail(at + ": cache entry of " + la.length + " numbers, reference " + w); return; }
            for (int i = 0; i < w; i++) { a.put(t, i, la[i]); b.put(t, i, lb[i]); }
        }
        ev.compare(at + " cached c_kv | k_pe", a, b, tol);
    }

    private static double[] concat(double[] a, double[] b) {
        double[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
