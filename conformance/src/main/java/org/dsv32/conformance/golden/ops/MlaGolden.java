package org.dsv32.conformance.golden.ops;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
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
import org.dsv32.spec.ops.AttentionResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.MlaAttentionOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.AttentionWeights;

/**
 * mla_attention: {@code input.x} [T][D] (the normed attention input), the attention and indexer weights under
 * {@code weight_prefix}, optionally a cache ({@code cache.kv_latent}, {@code cache.k_pe} and the indexer keys, S0
 * tokens), fed in {@code steps} → {@code expected.y} [T][D], the indexer's {@code expected.indexer_scores}
 * [T][S0+T] and {@code expected.selected} [T][index_topk] (−1 padded), and the appended cache entries
 * {@code expected.kv_latent}, {@code expected.k_pe}, {@code expected.index_k}. When the candidate's key selection
 * differs from the expected one within the score tolerance (a near tie), its output is compared after running it
 * again with the expected selection forced (decision replay); a selection beyond the tolerance fails.
 */
public final class MlaGolden extends AbstractGoldenOp<MlaAttentionOp, MlaGolden.Prepared> {
    record Prepared(TensorF64 x, AttentionWeights w, LayerCache cache, int start, int[] steps, TensorF64 y, TensorF64 scores,
                    int[][] selected, TensorF64 latents, TensorF64 kPe, TensorF64 keys) {}

    static final String PREFIX = "model.layers.0.self_attn";

    public MlaGolden() { super(MlaAttentionOp.class); }

    @Override
    public void generate(GoldenGenerator.Context ctx) throws IOException {
        for (GoldenGenerator.Variant v : ctx.variants(false)) {
            write(ctx, v, "prefill-then-decode", 0, new int[] {8, 1, 1},
                    "a prefill of 8 tokens (top-k 4 < keys from the 5th query on) then two one-token decode steps");
        }
        for (GoldenGenerator.Variant v : ctx.modes()) {
            write(ctx, v, "decode-with-cache", 24, new int[] {1, 1}, "two decode steps over a given 24-token cache (MLA latents and indexer keys)");
            write(ctx, v, "chunked-prefill-with-cache", 24, new int[] {4, 3},
                    "a chunked prefill over a given 24-token cache: chunks of 4 then 3 tokens (start > 0, several tokens)");
        }
    }

    private void write(GoldenGenerator.Context ctx, GoldenGenerator.Variant v, String what, int prefix, int[] steps, String d) throws IOException {
        ModelConfig cfg = GoldenConfigs.operations(v.scales());
        long seed = ctx.seed("mla_attention-" + what + "-" + v.scales().label());
        SplittableRandom rng = new SplittableRandom(seed);
        AttentionWeights w = RandomWeights.attention(rng, cfg, 0, v.scales());
        int t = Arrays.stream(steps).sum();
        TensorF64 x = RandomInputs.gaussian(rng, 1, t, cfg.hiddenSize());
        LayerCache cache = SyntheticCache.fill(cfg, prefix, rng.nextLong());
        GoldenCaseWriter wr = writer(v, cfg, what, seed, d).meta(GoldenFormat.WEIGHT_PREFIX, PREFIX)
                .meta(GoldenFormat.STEPS, Arrays.toString(steps).replace(" ", "")).meta(GoldenFormat.START_POS, prefix);
        GoldenCaches.write(wr, cache, prefix, true);
        MlaAttentionOp ref = ctx.reference(MlaAttentionOp.class, cfg, v.mode());
        List<TensorF64> ys = new ArrayList<>(), scores = new ArrayList<>();
        List<int[]> selected = new ArrayList<>();
        int row = 0, pos = prefix;
        for (int n : steps) {
            AttentionResult r = ref.forward(rows(x, row, n), pos, w, cache, null);
            ys.add(r.output());
            scores.add(padColumns(r.indexer().scores(), prefix + t, Double.NEGATIVE_INFINITY));
            selected.addAll(List.of(r.indexer().selected()));
            row += n;
            pos += n;
        }
        weights(wr, w).input("x", x).expected("y", stack(ys)).expected("indexer_scores", stack(scores))
                .expectedIndices("selected", selected.toArray(int[][]::new), cfg.indexTopk())
                .expected(GoldenFormat.KV_LATENT, GoldenCaches.rows(cache, prefix, t, GoldenCaches.Entry.LATENT))
                .expected(GoldenFormat.K_PE, GoldenCaches.rows(cache, prefix, t, GoldenCaches.Entry.ROPE))
                .expected(GoldenFormat.INDEX_K, GoldenCaches.rows(cache, prefix, t, GoldenCaches.Entry.INDEX_KEY));
        ctx.write(name(v, what), wr);
    }

    static GoldenCaseWriter weights(GoldenCaseWriter wr, AttentionWeights w) {
        wr.weight(w.qA()).vector(w.qANorm()).weight(w.qB()).weight(w.kvA()).vector(w.kvANorm()).weight(w.kvB()).weight(w.o());
        var i = w.indexer();
        return wr.weight(i.wqB()).weight(i.wk()).vector(i.kNormWeight()).vector(i.kNormBias()).weight(i.weightsProj());
    }

    @Override
    public Prepared prepare(GoldenCase c) throws GoldenException {
        ModelConfig cfg = c.config();
        TensorF64 x = matrix(c, GoldenFormat.INPUT + "x", -1, cfg.hiddenSize());
        int t = x.rows();
        AttentionWeights w = c.weights().attention(c.meta(GoldenFormat.WEIGHT_PREFIX));
        LayerCache cache = GoldenCaches.read(c, true);
        int start = IndexerGolden.startPos(c, cache.length());
        return new Prepared(x, w, cache, start, c.steps(t), c.expected("y", t, cfg.hiddenSize()),
                c.expected("indexer_scores", t, start + t), IndexerGolden.selected(c, t, start),
                c.expected(GoldenFormat.KV_LATENT, t, cfg.kvLoraRank()), c.expected(GoldenFormat.K_PE, t, cfg.qkRopeHeadDim()),
                c.expected(GoldenFormat.INDEX_K, t, cfg.indexHeadDim()));
    }

    @Override
    public Tolerance tolerance(GoldenCase c, Prepared p, Tier tier) {
        int maxPos = p.start() + p.x().rows();
        return Tolerances.mla(c.config(), c.mode(), tier, maxPos, Math.min(c.config().indexTopk(), maxPos))
                .withScoreOf(Tolerances.indexer(c.config(), c.mode(), tier, maxPos));
    }

    @Override
    public CaseResult run(GoldenCase c, Prepared p, MlaAttentionOp op, Tolerance tol) {
        CaseEval ev = eval(c, tol);
        LayerCache cache = GoldenCaches.prefix(p.cache(), p.start());
        int row = 0, pos = p.start();
        for (int step = 0; step < p.steps().length; step++) {
            int n = p.steps()[step];
            String at = "step " + step + " (pos " + pos + ", " + n + " tokens)";
            TensorF64 x = rows(p.x(), row, n), xc = x.copy();
            AttentionResult r = op.forward(xc, pos, p.w(), cache, null);
            ev.requireUnchanged("input.x", x, xc);
            TensorF64 expScores = leftColumns(rows(p.scores(), row, n), pos + n);
            boolean agree;
            if (r.indexer() == null) {
                ev.fail(at + ": no indexer result returned");
                agree = false;
            } else {
                ev.compare(at + " indexer scores", r.indexer().scores(), expScores);
                agree = IndexerGolden.judge(ev, at, expScores, p.selected(), row, pos, n, r.indexer().selected(), tol);
            }
            if (cache.length() == pos + n && cache.indexLength() == pos + n) {
                IndexerGolden.compareAppended(ev, at, cache, pos, n, rows(p.latents(), row, n), GoldenCaches.Entry.LATENT, "cached c_kv");
                IndexerGolden.compareAppended(ev, at, cache, pos, n, rows(p.kPe(), row, n), GoldenCaches.Entry.ROPE, "cached k_pe");
                IndexerGolden.compareAppended(ev, at, cache, pos, n, rows(p.keys(), row, n), GoldenCaches.Entry.INDEX_KEY, "cached index keys");
            } else {
                ev.fail(at + ": the cache holds " + cache.length() + " MLA entries and " + cache.indexLength() + " indexer keys after the call, expected " + (pos + n));
                return ev.result();
            }
            TensorF64 expY = rows(p.y(), row, n);
            if (agree) {
                ev.compare(at + " y", r.output(), expY);
            } else {
                int[][] forced = Arrays.copyOfRange(p.selected(), row, row + n);
                AttentionResult replay = op.forward(x.copy(), pos, p.w(), GoldenCaches.prefix(cache, pos), forced);
                ev.compare(at + " y (candidate replaying the expected selection)", replay.output(), expY);
            }
            row += n;
            pos += n;
        }
        return ev.result();
    }
}
