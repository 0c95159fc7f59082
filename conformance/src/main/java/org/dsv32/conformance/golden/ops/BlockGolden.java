package org.dsv32.conformance.golden.ops;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.golden.DecisionMargins;
import org.dsv32.conformance.golden.GoldenCaches;
import org.dsv32.conformance.golden.GoldenCase;
import org.dsv32.conformance.golden.GoldenCaseWriter;
import org.dsv32.conformance.golden.GoldenException;
import org.dsv32.conformance.golden.GoldenFormat;
import org.dsv32.conformance.golden.GoldenGenerator;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Bf16Tolerance;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.BlockOp;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.LayerWeights;

/**
 * block: {@code input.x} [T][D] (the residual stream entering decoder block {@code layer}), the block's weights
 * {@code model.layers.<layer>.*} (from the shared {@code weights_file}), optionally a cache, fed in {@code steps} →
 * {@code expected.y} [T][D] and the appended cache entries {@code expected.kv_latent}, {@code expected.k_pe},
 * {@code expected.index_k}. Layer 0 has a dense FFN, layer 1 an MoE. The block exposes no decisions, so its inputs
 * were drawn until every indexer and routing decision inside has a clear winner ({@link DecisionMargins}).
 */
public final class BlockGolden extends AbstractGoldenOp<BlockOp, BlockGolden.Prepared> {
    record Prepared(TensorF64 x, LayerWeights w, LayerCache cache, int start, int[] steps, TensorF64 y, TensorF64 latents,
                    TensorF64 kPe, TensorF64 keys) {}

    public BlockGolden() { super(BlockOp.class); }

    @Override
    public void generate(GoldenGenerator.Context ctx) throws IOException {
        int[] steps = {6, 1};
        int t = Arrays.stream(steps).sum();
        for (GoldenGenerator.Variant v : ctx.variantsWithBf16(false)) {
            GoldenGenerator.SharedWeights sw = ctx.modelWeights(v.scales());
            ModelConfig cfg = sw.config();
            for (int layer = 0; layer < cfg.numHiddenLayers(); layer++) {
                LayerWeights lw = sw.weights().layers().get(layer);
                String what = "layer" + layer + (lw.isMoe() ? "-moe" : "-dense");
                for (int attempt = 0; ; attempt++) {
                    long seed = ctx.seed("block-" + what + (attempt == 0 ? "" : "#" + attempt));
                    TensorF64 x = RandomInputs.gaussian(new SplittableRandom(seed), 1, t, cfg.hiddenSize());
                    DecisionMargins rec = new DecisionMargins();
                    BlockOp op = rec.require(BlockOp.class, new OpContext(cfg, v.mode()));
                    LayerCache cache = new LayerCache();
                    List<TensorF64> ys = new ArrayList<>();
                    int row = 0;
                    for (int n : steps) {
                        ys.add(op.forward(rows(x, row, n), row, lw, cache));
                        row += n;
                    }
                    if (!rec.clear()) {
                        if (attempt >= 20) throw new IllegalStateException("block " + what + ": no draw without near-tied decisions");
                        continue;
                    }
                    GoldenCaseWriter wr = writer(v, cfg, what, seed, String.format(java.util.Locale.ROOT,
                            "decoder block %d (%s FFN): a prefill of 6 tokens then one decode step; %d decisions inside, the smallest top-k score gap %.1f%% of the score scale",
                            layer, lw.isMoe() ? "MoE" : "dense", rec.decisions(), 100 * rec.smallestGap()))
                            .meta(GoldenFormat.LAYER, layer).meta(GoldenFormat.STEPS, Arrays.toString(steps).replace(" ", ""))
                            .meta(GoldenFormat.START_POS, 0).meta(GoldenFormat.WEIGHTS_FILE, sw.file()).meta(GoldenFormat.WEIGHTS_SHA256, sw.seal())
                            .input("x", x).expected("y", stack(ys))
                            .expected(GoldenFormat.KV_LATENT, GoldenCaches.rows(cache, 0, t, GoldenCaches.Entry.LATENT))
                            .expected(GoldenFormat.K_PE, GoldenCaches.rows(cache, 0, t, GoldenCaches.Entry.ROPE))
                            .expected(GoldenFormat.INDEX_K, GoldenCaches.rows(cache, 0, t, GoldenCaches.Entry.INDEX_KEY));
                    ctx.write(name(v, what), wr);
                    break;
                }
            }
        }
    }

    @Override
    public Prepared prepare(GoldenCase c) throws GoldenException {
        ModelConfig cfg = c.config();
        int layer = c.metaInt(GoldenFormat.LAYER, -1);
        if (layer < 0 || layer >= cfg.numHiddenLayers() + cfg.numNextnPredictLayers()) {
            throw GoldenException.corrupted(c.file() + ": __metadata__ layer " + layer + " is not a layer of the config");
        }
        TensorF64 x = matrix(c, GoldenFormat.INPUT + "x", -1, cfg.hiddenSize());
        int t = x.rows();
        LayerCache cache = GoldenCaches.read(c, true);
        int start = IndexerGolden.startPos(c, cache.length());
        return new Prepared(x, c.weights().layer(layer), cache, start, c.steps(t), c.expected("y", t, cfg.hiddenSize()),
                c.expected(GoldenFormat.KV_LATENT, t, cfg.kvLoraRank()), c.expected(GoldenFormat.K_PE, t, cfg.qkRopeHeadDim()),
                c.expected(GoldenFormat.INDEX_K, t, cfg.indexHeadDim()));
    }

    @Override
    public Tolerance tolerance(GoldenCase c, Prepared p, Tier tier) {
        long maxPos = p.start() + p.x().rows();
        return Bf16Tolerance.of(Tolerances.block(c.config(), c.mode(), tier, maxPos, (int) Math.min(c.config().indexTopk(), maxPos), p.w().isMoe()),
                c.mode(), c.config().hiddenSize(), 18, 6, Bf16Tolerance.softmaxAmplification()); // the bf16 tier of BlockCheck
    }

    @Override
    public CaseResult run(GoldenCase c, Prepared p, BlockOp op, Tolerance tol) {
        CaseEval ev = eval(c, tol);
        LayerCache cache = GoldenCaches.prefix(p.cache(), p.start());
        int row = 0, pos = p.start();
        for (int step = 0; step < p.steps().length; step++) {
            int n = p.steps()[step];
            String at = "step " + step + " (pos " + pos + ", " + n + " tokens)";
            TensorF64 x = rows(p.x(), row, n), xc = x.copy();
            TensorF64 y = op.forward(xc, pos, p.w(), cache);
            ev.requireUnchanged("input.x", x, xc);
            ev.compare(at + " y", y, rows(p.y(), row, n));
            if (cache.length() != pos + n || cache.indexLength() != pos + n) {
                ev.fail(at + ": the cache holds " + cache.length() + " MLA entries and " + cache.indexLength() + " indexer keys, expected " + (pos + n));
                return ev.result();
            }
            IndexerGolden.compareAppended(ev, at, cache, pos, n, rows(p.latents(), row, n), GoldenCaches.Entry.LATENT, "cached c_kv");
            IndexerGolden.compareAppended(ev, at, cache, pos, n, rows(p.kPe(), row, n), GoldenCaches.Entry.ROPE, "cached k_pe");
            IndexerGolden.compareAppended(ev, at, cache, pos, n, rows(p.keys(), row, n), GoldenCaches.Entry.INDEX_KEY, "cached index keys");
            row += n;
            pos += n;
        }
        return ev.result();
    }
}
