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
import org.dsv32.spec.tolerance.Bf16Tolerance;
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
 * cache prefix; small activations (x scaled by 1e-3), where the k_norm LayerNorm's eps is visible; a chunked
 * prefill (chunks of 5, 4, 3 tokens: start &gt; 0 with several tokens); a ragged batch of three sequences of
 * different lengths and cache prefixes ({@link IndexerOp#selectRagged} against each sequence alone).
 */
public final class IndexerCheck extends AbstractOperationCheck<IndexerOp, IndexerCheck.Case> {
    /**
     * {@code steps} token counts fed one after another, starting after a synthetic prefix of {@code prefix} tokens. With
     * a non-empty {@code ragged}, the case is a ragged batch of those sequences instead (each with its own prefix, steps
     * and inputs; this case's own are unused): step k feeds every sequence that has a k-th step in ONE
     * {@link IndexerOp#selectRagged} call, and each sequence is judged against the reference run alone.
     */
    public record Case(String name, ModelConfig config, int prefix, int[] steps, IndexerWeights w, TensorF64 x, TensorF64 qLatent,
                       long cacheSeed, List<Case> ragged) implements AbstractOperationCheck.Case {
        public Case(String name, ModelConfig config, int prefix, int[] steps, IndexerWeights w, TensorF64 x, TensorF64 qLatent, long cacheSeed) {
            this(name, config, prefix, steps, w, x, qLatent, cacheSeed, List.of());
        }

        public Case {
            ragged = List.copyOf(ragged);
        }

        int maxPosition() {
            int n = prefix;
            for (int s : steps) n += s;
            for (Case c : ragged) n = Math.max(n, c.maxPosition());
            return n;
        }
    }

    /** The real-dims case of several query rows after a cached prefix (the chunked-prefill form). */
    public static final String CHUNK_AFTER_CACHE = "prefill chunk of 4 tokens after 4096 cached keys";
    /** The real-dims case whose new keys' pre-norm variance is near the k_norm eps. */
    public static final String SMALL_ACTIVATIONS = "small activations, 4 tokens from 0 (x scaled by 1e-3: k_norm eps visible)";
    /** The real-dims ragged batch. */
    public static final String RAGGED = "ragged batch (3 sequences: caches 0/5/20, chunks 12/3/1 then 1/4/2)";

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
        ModelConfig chunked = base.withIndexTopk(4);
        cases.add(make("chunked prefill (start > 0, several tokens)", chunked, 0, new int[] {5, 4, 3}, w, rng));
        List<Case> sequences = List.of(make("a", chunked, 0, new int[] {6, 1}, w, rng), make("b", chunked, 3, new int[] {2, 4}, w, rng),
                make("c", chunked, 9, new int[] {1, 3}, w, rng));
        cases.add(new Case("ragged batch (3 sequences, chunks 6/2/1 then 1/4/3)", chunked, 0, new int[0], w, null, null, 0, sequences));
        return cases;
    }

    /**
     * Real dims: 64 index heads of 128 with top-2048 over real context lengths: decode queries at 4096 cached keys
     * (the first position beyond original_max_position_embeddings, where selection first bites: 2048 of 4097) and at
     * 32768 cached keys, a prefill chunk of 4 tokens after 4096 cached keys (start &gt; 0 with several rows: the only
     * form where a row's position is not its row index), a prefill of 16 tokens from 0 (top-k above the key count),
     * small activations (x scaled by 1e-3: a new key's pre-norm variance near 1e-6, the k_norm eps, which no other
     * real case reaches), and a ragged batch of three sequences whose caches and chunks differ (padding key slots and
     * padding rows in the padded layout). --quick: all but the decode at 32768, the decode at 4096 one step.
     */
    @Override
    protected List<Case> realCases(CheckOptions o) {
        ModelConfig cfg = ConformanceConfigs.real();
        SplittableRandom rng = new SplittableRandom(o.seedFor("indexer", 1000));
        IndexerWeights w = org.dsv32.conformance.generate.RealWeights.indexer(cfg, o.seedFor("indexer", 1001));
        List<Case> cases = new ArrayList<>();
        cases.add(make("prefill of 16 tokens from 0 (top-2048 > keys)", cfg, 0, new int[] {16}, w, rng));
        cases.add(make("decode at 4096 cached keys (top-2048 of 4097)", cfg, 4096, o.quick() ? new int[] {1} : new int[] {1, 1}, w, rng));
        cases.add(make(CHUNK_AFTER_CACHE, cfg, 4096, new int[] {4}, w, rng));
        if (!o.quick()) cases.add(make("decode at 32768 cached keys (top-2048 of 32769)", cfg, 32768, new int[] {1}, w, rng));
        // appended after the cases above so that their inputs stay the ones drawn before these existed
        cases.add(small(make(SMALL_ACTIVATIONS, cfg, 0, new int[] {4}, w, rng)));
        // a serving batch: a fresh prompt's prefill then its first decode; a chunk after a short cache then another;
        // a decode then a 2-token (speculative) step: three caches and chunk sizes, so padding rows and slots exist
        List<Case> sequences = List.of(make("a", cfg, 0, new int[] {12, 1}, w, rng), make("b", cfg, 5, new int[] {3, 4}, w, rng),
                make("c", cfg, 20, new int[] {1, 2}, w, rng));
        cases.add(new Case(RAGGED, cfg, 0, new int[0], w, null, null, 0, sequences));
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
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT, ModeTier.FP8_LOOSE, ModeTier.BF16_TIGHT); }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) {
        return Bf16Tolerance.of(Tolerances.indexer(c.config(), mt.candidateMode(), mt.tier(), c.maxPosition()),
                mt.candidateMode(), c.config().hiddenSize(), 4, 2, 1.0);
    }

    @Override
    protected CaseResult runCase(Case c, IndexerOp cand, IndexerOp cand2, IndexerOp ref, ModeTier mt) {
        if (!c.ragged().isEmpty()) return runRagged(c, cand, cand2, ref, mt);
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

    /**
     * A ragged batch: at step k the candidate's {@link IndexerOp#selectRagged} over every sequence with a k-th step
     * (twice, for determinism), the reference's {@link IndexerOp#select} per sequence alone; per sequence the scores,
     * the appended keys and each query's selection are judged as in a single-sequence case.
     */
    private CaseResult runRagged(Case c, IndexerOp cand, IndexerOp cand2, IndexerOp ref, ModeTier mt) {
        CaseEval ev = new CaseEval(c.name(), toleranceOf(c, mt));
        List<Case> seqs = c.ragged();
        List<LayerCache> cc = new ArrayList<>(), cc2 = new ArrayList<>(), rc = new ArrayList<>();
        for (Case q : seqs) {
            cc.add(SyntheticCache.fill(q.config(), q.prefix(), q.cacheSeed()));
            cc2.add(SyntheticCache.fill(q.config(), q.prefix(), q.cacheSeed()));
            rc.add(SyntheticCache.fill(q.config(), q.prefix(), q.cacheSeed()));
        }
        int[] row = new int[seqs.size()], pos = seqs.stream().mapToInt(Case::prefix).toArray();
        int steps = seqs.stream().mapToInt(q -> q.steps().length).max().orElse(0);
        for (int step = 0; step < steps; step++) {
            List<Integer> in = new ArrayList<>();
            for (int b = 0; b < seqs.size(); b++) if (step < seqs.get(b).steps().length) in.add(b);
            List<TensorF64> xs = new ArrayList<>(), qs = new ArrayList<>();
            int[] starts = new int[in.size()];
            for (int i = 0; i < in.size(); i++) {
                Case q = seqs.get(in.get(i));
                int n = q.steps()[step];
                xs.add(rows(q.x(), row[in.get(i)], n));
                qs.add(rows(q.qLatent(), row[in.get(i)], n));
                starts[i] = pos[in.get(i)];
            }
            List<IndexerResult> r = cand.selectRagged(copies(xs), copies(qs), starts, c.w(), in.stream().map(cc::get).toList());
            List<IndexerResult> r2 = cand2.selectRagged(copies(xs), copies(qs), starts, c.w(), in.stream().map(cc2::get).toList());
            if (r.size() != in.size()) {
                ev.fail("step " + step + ": " + r.size() + " results for a ragged batch of " + in.size() + " sequences");
                return ev.result();
            }
            for (int i = 0; i < in.size(); i++) {
                int b = in.get(i), n = xs.get(i).rows();
                String at = "step " + step + " sequence " + seqs.get(b).name() + " (pos " + pos[b] + ", " + n + " of a ragged batch)";
                IndexerResult e = ref.select(xs.get(i).copy(), qs.get(i).copy(), pos[b], c.w(), rc.get(b));
                ev.requireDeterministic(at + " scores", r.get(i).scores(), r2.get(i).scores());
                if (!java.util.Arrays.deepEquals(r.get(i).selected(), r2.get(i).selected())) ev.fail(at + ": selection differs between two runs (not deterministic)");
                ev.compare(at + " scores", r.get(i).scores(), e.scores());
                compareKeys(ev, at, cc.get(b), rc.get(b), pos[b], n);
                for (int t = 0; t < n; t++) {
                    double[] scores = e.scores().rowArray(t);
                    int[] cs = t < r.get(i).selected().length ? r.get(i).selected()[t] : null;
                    ev.decision(at + " query " + (pos[b] + t), SelectionCheck.check(scores, e.selected()[t], cs, e.selected()[t].length,
                            ev.tolerance().scoreRel() * scale(scores)));
                }
                row[b] += n;
                pos[b] += n;
            }
        }
        return ev.result();
    }

    private static List<TensorF64> copies(List<TensorF64> l) { return l.stream().map(TensorF64::copy).toList(); }

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
