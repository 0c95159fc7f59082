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
import org.dsv32.conformance.SelectionCheck;
import org.dsv32.conformance.generate.SyntheticCache;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.IndexerWeights;

/**
 * The lightning indexer: its scores (finite ones by calc_diff, the −∞ of future keys position by position, which
 * is causality), the keys it appends to the cache, and its top-k key selection per query, judged by
 * {@link SelectionCheck} against the reference's scores. Cases: one token; a prefill with top-k larger than, equal
 * to and smaller than the key count; prefill then decode steps; decode beyond position 4096 over a synthetic
 * cache prefix; small activations (x scaled by 1e-3), where the k_norm LayerNorm's eps is visible.
 */
public final class IndexerCheck extends AbstractOperationCheck<IndexerOp, IndexerCheck.Case> {
    /** {@code steps} token counts fed one after another, starting after a synthetic prefix of {@code prefix} tokens. */
    public record Case(String name, ModelConfig config, int prefix, int[] steps, IndexerWeights w, TensorF64 x, TensorF64 qLatent,
                       long cacheSeed) implements AbstractOperationCheck.Case {
        int maxPosition() { int n = prefix; for (int s : steps) n += s; return n; }
    }

    public IndexerCheck() { super(IndexerOp.class); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        ModelConfig base = ConformanceConfigs.small();
        SplittableRandom rng = new SplittableRandom(o.seedFor("indexer", 0));
        IndexerWeights w = RandomWeights.indexer(rng, base, 3, base.activationScaleFormat());
        List<Case> cases = new ArrayList<>();
        int topk = base.indexTopk();
        cases.add(make("one token (top-k > keys)", base, 0, new int[] {1}, w, rng));
        cases.add(make("prefill, top-k = keys", base.withIndexTopk(6), 0, new int[] {6}, w, rng));
        cases.add(make("prefill, top-k < keys", base, 0, new int[] {topk + (o.quick() ? 4 : 12)}, w, rng));
        cases.add(make("prefill then decode", base.withIndexTopk(4), 0, new int[] {7, 1, 1}, w, rng));
        cases.add(make("decode beyond 4096", base, 4097, new int[] {1, 2}, w, rng));
        cases.add(small(make("small activations (k_norm eps visible)", base, 0, new int[] {3}, w, rng)));
        return cases;
    }

    private static Case make(String name, ModelConfig c, int prefix, int[] steps, IndexerWeights w, SplittableRandom rng) {
        int t = 0;
        for (int s : steps) t += s;
        return new Case(name, c, prefix, steps, w, RandomInputs.gaussian(rng, 1, t, c.hiddenSize()),
                RandomInputs.gaussian(rng, 1, t, c.qLoraRank()), rng.nextLong());
    }

    /** The case with x scaled by 1e-3: W_k x then has a variance near 1e-6, where the k_norm eps counts. */
    private static Case small(Case c) {
        TensorF64 x = c.x().copy();
        for (int i = 0; i < x.size(); i++) x.setFlat(i, (float) (x.getFlat(i) * 1e-3));
        return new Case(c.name(), c.config(), c.prefix(), c.steps(), c.w(), x, c.qLatent(), c.cacheSeed());
    }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) {
        return Tolerances.indexer(c.config(), mt.candidateMode(), mt.tier(), c.maxPosition());
    }

    @Override
    protected CaseResult runCase(Case c, IndexerOp cand, IndexerOp cand2, IndexerOp ref, ModeTier mt) {
        CaseEval ev = new CaseEval(c.name(), toleranceOf(c, mt));
        LayerCache cc = SyntheticCache.fill(c.config(), c.prefix(), c.cacheSeed());
        LayerCache cc2 = SyntheticCache.fill(c.config(), c.prefix(), c.cacheSeed());
        LayerCache rc = SyntheticCache.fill(c.config(), c.prefix(), c.cacheSeed());
        int row = 0, pos = c.prefix();
        for (int step = 0; step < c.steps().length; step++) {
            int n = c.steps()[step];
            TensorF64 x = rows(c.x(), row, n), q = rows(c.qLatent(), row, n);
            TensorF64 xc = x.copy(), qc = q.copy();
            IndexerResult r = cand.select(xc, qc, pos, c.w(), cc);
            ev.requireUnchanged("x", x, xc);
            ev.requireUnchanged("qLatent", q, qc);
            IndexerResult r2 = cand2.select(x.copy(), q.copy(), pos, c.w(), cc2);
            IndexerResult e = ref.select(x.copy(), q.copy(), pos, c.w(), rc);
            String at = "step " + step + " (pos " + pos + ")";
            ev.requireDeterministic(at + " scores", r.scores(), r2.scores());
            if (!java.util.Arrays.deepEquals(r.selected(), r2.selected())) ev.fail(at + ": selection differs between two runs (not deterministic)");
            ev.compare(at + " scores", r.scores(), e.scores());
            compareKeys(ev, at, cc, rc, pos, n);
            for (int t = 0; t < n; t++) {
                double[] scores = e.scores().rowArray(t);
                double tau = ev.tolerance().scoreRel() * scale(scores);
                int[] cs = t < r.selected().length ? r.selected()[t] : null;
                ev.decision(at + " query " + (pos + t), SelectionCheck.check(scores, e.selected()[t], cs, e.selected()[t].length, tau));
            }
            row += n;
            pos += n;
        }
        return ev.result();
    }

    /** The score scale the relative score tolerance multiplies: the largest finite |score| of the query's row. */
    public static double scale(double[] scores) {
        double m = 0;
        for (double s : scores) if (Double.isFinite(s)) m = Math.max(m, Math.abs(s));
        return m;
    }

    private static void compareKeys(CaseEval ev, String at, LayerCache cand, LayerCache ref, int from, int n) {
        if (cand.indexLength() != ref.indexLength()) {
            ev.fail(at + ": indexer cache holds " + cand.indexLength() + " keys, reference " + ref.indexLength());
            return;
        }
        int d = ref.indexKey(from).length;
        TensorF64 a = TensorF64.zeros(n, d), b = TensorF64.zeros(n, d);
        for (int t = 0; t < n; t++) for (int i = 0; i < d; i++) { a.put(t, i, cand.indexKey(from + t)[i]); b.put(t, i, ref.indexKey(from + t)[i]); }
        ev.compare(at + " cached keys", a, b);
    }

    static TensorF64 rows(TensorF64 x, int from, int n) {
        TensorF64 y = TensorF64.zeros(n, x.cols());
        for (int r = 0; r < n; r++) for (int c = 0; c < x.cols(); c++) y.put(r, c, x.at(from + r, c));
        return y;
    }
}
