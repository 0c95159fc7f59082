package org.dsv32.conformance.golden.ops;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.conformance.SelectionCheck;
import org.dsv32.conformance.generate.SyntheticCache;
import org.dsv32.conformance.golden.GoldenCaches;
import org.dsv32.conformance.golden.GoldenCase;
import org.dsv32.conformance.golden.GoldenCaseWriter;
import org.dsv32.conformance.golden.GoldenConfigs;
import org.dsv32.conformance.golden.GoldenException;
import org.dsv32.conformance.golden.GoldenFormat;
import org.dsv32.conformance.golden.GoldenGenerator;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.IndexerWeights;

/**
 * indexer: {@code input.x} [T][D] (the normed attention input), {@code input.q_latent} [T][q_lora_rank] (MLA's c_q),
 * the indexer weights under {@code weight_prefix}, optionally a key cache ({@code cache.index_k*}, S0 tokens), fed
 * in {@code steps} → {@code expected.scores} [T][S0+T] (−∞ for future keys), {@code expected.selected} I32
 * [T][index_topk] (the selected keys, best first, −1 padded: query t selects min(top-k, t+1) keys) and
 * {@code expected.index_k} [T][index_head_dim] (the keys the calls append). The selection is judged by the
 * harness's {@link SelectionCheck} against the expected scores: a different choice within the score tolerance
 * is a near tie, not a failure.
 */
public final class IndexerGolden extends AbstractGoldenOp<IndexerOp, IndexerGolden.Prepared> {
    record Prepared(TensorF64 x, TensorF64 q, IndexerWeights w, LayerCache cache, int start, int[] steps,
                    TensorF64 scores, int[][] selected, TensorF64 keys) {}

    public IndexerGolden() { super(IndexerOp.class); }

    static final String PREFIX = "model.layers.0.self_attn.indexer";

    @Override
    public void generate(GoldenGenerator.Context ctx) throws IOException {
        for (GoldenGenerator.Variant v : ctx.variants(false)) {
            write(ctx, v, "prefill-then-decode", 0, new int[] {9, 1, 1},
                    "a prefill of 9 tokens (top-k 4 < keys from the 5th query on) then two one-token decode steps");
        }
        for (GoldenGenerator.Variant v : ctx.modes()) {
            write(ctx, v, "decode-with-cache", 40, new int[] {1, 1}, "two decode steps over a given 40-key cache");
            write(ctx, v, "chunked-prefill-with-cache", 40, new int[] {4, 3},
                    "a chunked prefill over a given 40-key cache: chunks of 4 then 3 tokens (start > 0, several tokens)");
        }
    }

    private void write(GoldenGenerator.Context ctx, GoldenGenerator.Variant v, String what, int prefix, int[] steps, String d) throws IOException {
        ModelConfig cfg = GoldenConfigs.operations(v.scales());
        long seed = ctx.seed("indexer-" + what + "-" + v.scales().label());
        SplittableRandom rng = new SplittableRandom(seed);
        IndexerWeights w = RandomWeights.indexer(rng, cfg, 0, v.scales());
        int t = 0;
        for (int s : steps) t += s;
        TensorF64 x = RandomInputs.gaussian(rng, 1, t, cfg.hiddenSize());
        TensorF64 q = RandomInputs.gaussian(rng, 1, t, cfg.qLoraRank());
        LayerCache cache = SyntheticCache.fill(cfg, prefix, rng.nextLong());
        GoldenCaseWriter wr = writer(v, cfg, what, seed, d).meta(GoldenFormat.WEIGHT_PREFIX, PREFIX)
                .meta(GoldenFormat.STEPS, java.util.Arrays.toString(steps).replace(" ", "")).meta(GoldenFormat.START_POS, prefix);
        GoldenCaches.write(wr, cache, prefix, false);
        IndexerOp ref = ctx.reference(IndexerOp.class, cfg, v.mode());
        List<TensorF64> scores = new ArrayList<>();
        List<int[]> selected = new ArrayList<>();
        int row = 0, pos = prefix;
        for (int n : steps) {
            IndexerResult r = ref.select(rows(x, row, n), rows(q, row, n), pos, w, cache);
            scores.add(padColumns(r.scores(), prefix + t, Double.NEGATIVE_INFINITY));
            selected.addAll(List.of(r.selected()));
            row += n;
            pos += n;
        }
        wr.weight(w.wqB()).weight(w.wk()).vector(w.kNormWeight()).vector(w.kNormBias()).weight(w.weightsProj())
                .input("x", x).input("q_latent", q)
                .expected("scores", stack(scores)).expectedIndices("selected", selected.toArray(int[][]::new), cfg.indexTopk())
                .expected(GoldenFormat.INDEX_K, GoldenCaches.rows(cache, prefix, t, GoldenCaches.Entry.INDEX_KEY));
        ctx.write(name(v, what), wr);
    }

    @Override
    public Prepared prepare(GoldenCase c) throws GoldenException {
        ModelConfig cfg = c.config();
        TensorF64 x = matrix(c, GoldenFormat.INPUT + "x", -1, cfg.hiddenSize());
        int t = x.rows();
        TensorF64 q = matrix(c, GoldenFormat.INPUT + "q_latent", t, cfg.qLoraRank());
        IndexerWeights w = c.weights().indexer(c.meta(GoldenFormat.WEIGHT_PREFIX));
        LayerCache cache = GoldenCaches.read(c, false);
        int start = startPos(c, cache.indexLength());
        return new Prepared(x, q, w, cache, start, c.steps(t), c.expected("scores", t, start + t),
                selected(c, t, start), c.expected(GoldenFormat.INDEX_K, t, cfg.indexHeadDim()));
    }

    /** The cache length, which {@code start_pos} (when given) must equal. */
    static int startPos(GoldenCase c, int cached) throws GoldenException {
        int s = c.metaInt(GoldenFormat.START_POS, cached);
        if (s != cached) throw GoldenException.corrupted(c.file() + ": __metadata__ start_pos " + s + " but the cache holds " + cached + " tokens");
        return s;
    }

    /** expected.selected [T][top-k]: per query the selected keys, -1 padded, each a key the query may attend. */
    static int[][] selected(GoldenCase c, int t, int start) throws GoldenException {
        int[][] sel = c.indexRows(GoldenFormat.EXPECTED + "selected", t);
        for (int r = 0; r < t; r++) {
            for (int k : sel[r]) {
                if (k > start + r) throw GoldenException.corrupted(c.file() + ": expected.selected row " + r + " names key " + k + " after the query's position " + (start + r));
            }
        }
        return sel;
    }

    @Override
    public Tolerance tolerance(GoldenCase c, Prepared p, Tier tier) {
        return Tolerances.indexer(c.config(), c.mode(), tier, p.start() + p.x().rows());
    }

    @Override
    public CaseResult run(GoldenCase c, Prepared p, IndexerOp op, Tolerance tol) {
        CaseEval ev = eval(c, tol);
        LayerCache cache = GoldenCaches.prefix(p.cache(), p.start());
        int row = 0, pos = p.start();
        for (int step = 0; step < p.steps().length; step++) {
            int n = p.steps()[step];
            String at = "step " + step + " (pos " + pos + ")";
            TensorF64 x = rows(p.x(), row, n), q = rows(p.q(), row, n), xc = x.copy(), qc = q.copy();
            IndexerResult r = op.select(xc, qc, pos, p.w(), cache);
            ev.requireUnchanged("input.x", x, xc);
            ev.requireUnchanged("input.q_latent", q, qc);
            TensorF64 expScores = leftColumns(rows(p.scores(), row, n), pos + n);
            ev.compare(at + " scores", r.scores(), expScores);
            compareAppended(ev, at, cache, pos, n, rows(p.keys(), row, n), GoldenCaches.Entry.INDEX_KEY, "cached index keys");
            judge(ev, at, expScores, p.selected(), row, pos, n, r.selected(), tol);
            row += n;
            pos += n;
        }
        return ev.result();
    }

    /** Each query's selection against the expected scores; returns whether every decision agreed exactly. */
    static boolean judge(CaseEval ev, String at, TensorF64 expScores, int[][] expected, int row, int pos, int n, int[][] got, Tolerance tol) {
        boolean agree = true;
        for (int t = 0; t < n; t++) {
            double[] s = expScores.rowArray(t);
            double tau = tol.scoreRel() * scale(s);
            int[] cand = got == null || t >= got.length ? null : got[t];
            SelectionCheck.Outcome o = SelectionCheck.check(s, expected[row + t], cand, expected[row + t].length, tau);
            ev.decision(at + " query " + (pos + t), o);
            agree &= o.decision() == org.dsv32.conformance.Decision.AGREE;
        }
        return agree;
    }

    /** The largest finite |score| of a row: what the relative score tolerance multiplies. */
    static double scale(double[] s) {
        double m = 0;
        for (double v : s) if (Double.isFinite(v)) m = Math.max(m, Math.abs(v));
        return m;
    }

    /** The entries a call appended to the cache against the expected ones. */
    static void compareAppended(CaseEval ev, String at, LayerCache cache, int from, int n, TensorF64 expected, GoldenCaches.Entry e, String what) {
        int have = e == GoldenCaches.Entry.INDEX_KEY ? cache.indexLength() : cache.length();
        if (have != from + n) {
            ev.fail(at + ": " + what + ": the cache holds " + have + " tokens after the call, expected " + (from + n));
            return;
        }
        ev.compare(at + " " + what, GoldenCaches.rows(cache, from, n, e), expected);
    }
}
