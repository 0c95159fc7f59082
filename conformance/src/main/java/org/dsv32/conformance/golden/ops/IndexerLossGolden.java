package org.dsv32.conformance.golden.ops;

import java.io.IOException;
import java.util.SplittableRandom;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.checks.IndexerLossCheck;
import org.dsv32.conformance.golden.GoldenCase;
import org.dsv32.conformance.golden.GoldenConfigs;
import org.dsv32.conformance.golden.GoldenException;
import org.dsv32.conformance.golden.GoldenGenerator;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.IndexerLossOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;

/**
 * indexer_loss: {@code input.attention} F32 [T][H_a][S], {@code input.q} F32 [T][H][d], {@code input.k} F32 [S][d],
 * {@code input.w} F32 [T][H] and, for the sparse stage only, {@code input.selection} I32 [T][k] (-1 padded) →
 * {@code expected.loss} [1], {@code expected.per_query} [T], {@code expected.target} [T][S], {@code expected.scores}
 * [T][S], {@code expected.score_gradient} [T][S], {@code expected.query_gradient} [T][H][d],
 * {@code expected.key_gradient} [S][d], {@code expected.weight_gradient} [T][H]; the gradient into the main attention
 * is 0 by contract and not stored. The shipped cases: the dense warm-up and the sparse stage (the indexer's top-5,
 * early rows selecting masked keys) of a chunk of 4 queries after 3 cached keys, with the real indexer's 64 heads of
 * 128 and 16 main heads.
 */
public final class IndexerLossGolden extends AbstractGoldenOp<IndexerLossOp, IndexerLossGolden.Prepared> {
    record Prepared(TensorF64 attention, TensorF64 q, TensorF64 k, TensorF64 w, int[][] selection, IndexerLossOp.Result expected) {}

    public IndexerLossGolden() { super(IndexerLossOp.class); }

    @Override
    public void generate(GoldenGenerator.Context ctx) throws IOException {
        for (GoldenGenerator.Variant v : ctx.modes()) {
            ModelConfig cfg = GoldenConfigs.operations(v.scales());
            IndexerLossOp ref = ctx.reference(IndexerLossOp.class, cfg, v.mode());

            long seed = ctx.seed("indexer_loss-dense");
            IndexerLossCheck.Case c = IndexerLossCheck.dense("", cfg, new SplittableRandom(seed), 4, 7, 64, 128, 16);
            write(ctx, v, cfg, "dense", seed, "dense warm-up: 4 queries after 3 cached keys, 64 indexer heads of 128, 16 main heads",
                    c.attention(), c, null, ref);

            seed = ctx.seed("indexer_loss-sparse");
            SplittableRandom rng = new SplittableRandom(seed);
            c = IndexerLossCheck.dense("", cfg, rng, 4, 7, 64, 128, 16);
            int[][] selection = IndexerLossCheck.topK(c, 5);
            write(ctx, v, cfg, "sparse", seed, "sparse stage: the indexer's top-5 of 4 queries after 3 cached keys, the main attention over S_t",
                    IndexerLossCheck.attention(rng, 4, 16, 7, selection), c, selection, ref);
        }
    }

    private void write(GoldenGenerator.Context ctx, GoldenGenerator.Variant v, ModelConfig cfg, String what, long seed, String description,
                       TensorF64 attention, IndexerLossCheck.Case c, int[][] selection, IndexerLossOp ref) throws IOException {
        IndexerLossOp.Result r = ref.compute(attention.copy(), c.q().copy(), c.k().copy(), c.w().copy(), selection);
        var w = writer(v, cfg, what, seed, description)
                .input("attention", attention).input("q", c.q()).input("k", c.k()).input("w", c.w());
        if (selection != null) w.inputIndices("selection", selection, selection[0].length);
        ctx.write(name(v, what), w.expected("loss", TensorF64.vector(r.loss())).expected("per_query", r.perQuery())
                .expected("target", r.target()).expected("scores", r.scores()).expected("score_gradient", r.scoreGradient())
                .expected("query_gradient", r.queryGradient()).expected("key_gradient", r.keyGradient())
                .expected("weight_gradient", r.weightGradient()));
    }

    @Override
    public Prepared prepare(GoldenCase c) throws GoldenException {
        TensorF64 attention = c.input("attention"), q = c.input("q"), k = c.input("k"), w = c.input("w");
        if (q.rank() != 3 || attention.rank() != 3 || k.rank() != 2 || w.rank() != 2) {
            throw GoldenException.corrupted(c.file() + ": input.attention and input.q must be rank 3, input.k and input.w rank 2");
        }
        int tokens = q.dim(0), heads = q.dim(1), d = q.dim(2), keys = k.rows(), mainHeads = attention.dim(1);
        int[][] selection = c.has("input.selection") ? c.indexRows("input.selection", tokens) : null;
        try {
            IndexerLossOp.validate(attention, q, k, w, selection);
        } catch (IllegalArgumentException e) {
            throw GoldenException.corrupted(c.file() + ": " + e.getMessage());
        }
        IndexerLossOp.Result expected = new IndexerLossOp.Result(c.expected("loss", 1).getFlat(0), c.expected("per_query", tokens),
                c.expected("target", tokens, keys), c.expected("scores", tokens, keys), c.expected("score_gradient", tokens, keys),
                c.expected("query_gradient", tokens, heads, d), c.expected("key_gradient", keys, d), c.expected("weight_gradient", tokens, heads),
                TensorF64.zeros(tokens, mainHeads, keys));
        return new Prepared(attention, q, k, w, selection, expected);
    }

    @Override
    public Tolerance tolerance(GoldenCase c, Prepared p, Tier tier) { return IndexerLossCheck.lossTolerance(p.attention(), p.q(), p.k()); }

    @Override
    public CaseResult run(GoldenCase c, Prepared p, IndexerLossOp op, Tolerance tol) {
        CaseEval ev = eval(c, tol);
        TensorF64 a = p.attention().copy(), q = p.q().copy(), k = p.k().copy(), w = p.w().copy();
        IndexerLossOp.Result y = op.compute(a, q, k, w, p.selection());
        ev.requireUnchanged("input.attention", p.attention(), a);
        ev.requireUnchanged("input.q", p.q(), q);
        ev.requireUnchanged("input.k", p.k(), k);
        ev.requireUnchanged("input.w", p.w(), w);
        IndexerLossCheck.compare(ev, p.attention(), p.q(), p.k(), p.w(), y, p.expected());
        return ev.result();
    }
}
