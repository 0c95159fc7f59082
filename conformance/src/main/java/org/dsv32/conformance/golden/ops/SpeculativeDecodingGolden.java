package org.dsv32.conformance.golden.ops;

import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.golden.DecisionMargins;
import org.dsv32.conformance.golden.GoldenCase;
import org.dsv32.conformance.golden.GoldenException;
import org.dsv32.conformance.golden.GoldenFormat;
import org.dsv32.conformance.golden.GoldenGenerator;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.generate.Generation;
import org.dsv32.spec.generate.SpeculativeDecoding;
import org.dsv32.spec.ops.SpeculativeDecodingOp;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.weights.ModelWeights;

/**
 * speculative_decoding: {@code input.prompt} I32 [P] continued by {@code count} greedy tokens with MTP drafting over
 * the shared {@code weights_file} → {@code expected.tokens} I32 [1][count], the reference's PLAIN greedy tokens (the
 * generator checks that its speculative run gives the same). Gated exactly: token for token.
 */
public final class SpeculativeDecodingGolden extends AbstractGoldenOp<SpeculativeDecodingOp, SpeculativeDecodingGolden.Prepared> {
    record Prepared(int[] prompt, int count, ModelWeights w, int[] tokens) {}

    /** The metadata key of the number of tokens to generate. */
    public static final String COUNT = "count";

    public SpeculativeDecodingGolden() { super(SpeculativeDecodingOp.class); }

    @Override
    public void generate(GoldenGenerator.Context ctx) throws IOException {
        int count = 5;
        for (GoldenGenerator.Variant v : ctx.variants(false)) {
            GoldenGenerator.SharedWeights sw = ctx.modelWeights(v.scales());
            ModelConfig cfg = sw.config();
            OpContext oc = new OpContext(cfg, v.mode());
            for (int attempt = 0; ; attempt++) {
                long seed = ctx.seed("speculative-prompt" + (attempt == 0 ? "" : "#" + attempt));
                int[] prompt = new SplittableRandom(seed).ints(4, 0, cfg.vocabSize()).toArray();
                DecisionMargins rec = new DecisionMargins();
                Generation plain = new SpeculativeDecoding(rec, oc).greedy(sw.weights(), prompt, count);
                if (!rec.clear()) {
                    if (attempt >= 100) throw new IllegalStateException("speculative_decoding: no draw without near-tied decisions");
                    continue;
                }
                Generation spec = ctx.reference().require(SpeculativeDecodingOp.class, oc).generate(sw.weights(), prompt, count);
                if (!Arrays.equals(plain.tokens(), spec.tokens())) {
                    throw new IllegalStateException("speculative_decoding: the reference's speculation differs from its plain greedy: "
                            + Arrays.toString(spec.tokens()) + " vs " + Arrays.toString(plain.tokens()));
                }
                ctx.write(name(v, "greedy-5"), writer(v, cfg, "greedy-5", seed, String.format(java.util.Locale.ROOT,
                        "5 greedy tokens after a 4-token prompt with MTP drafting (the reference: %d drafts, %d accepted); "
                                + "%d decisions inside the plain run, the smallest top-k score gap %.1f%% of the score scale",
                        spec.drafts(), spec.accepted(), rec.decisions(), 100 * rec.smallestGap()))
                        .meta(COUNT, count).meta(GoldenFormat.WEIGHTS_FILE, sw.file()).meta(GoldenFormat.WEIGHTS_SHA256, sw.seal())
                        .inputInts("prompt", prompt).expectedIndices("tokens", new int[][] {plain.tokens()}, count));
                break;
            }
        }
    }

    @Override
    public Prepared prepare(GoldenCase c) throws GoldenException {
        int[] prompt = ModelGolden.tokens(c, "prompt");
        int count = c.metaInt(COUNT, -1);
        if (count < 1) throw GoldenException.corrupted(c.file() + ": __metadata__ " + COUNT + " must be a positive integer");
        int[] tokens = c.ints(GoldenFormat.EXPECTED + "tokens");
        if (tokens.length != count) throw GoldenException.corrupted(c.file() + ": expected.tokens has " + tokens.length + " ids for count " + count);
        if (c.weights().model().mtp().isEmpty()) throw GoldenException.corrupted(c.file() + ": its weights file has no MTP module");
        return new Prepared(prompt, count, c.weights().model(), tokens);
    }

    @Override
    public Tolerance tolerance(GoldenCase c, Prepared p, Tier tier) {
        return new Tolerance(0, Double.NaN, Double.NaN, "greedy tokens equal exactly, token for token");
    }

    @Override
    public CaseResult run(GoldenCase c, Prepared p, SpeculativeDecodingOp op, Tolerance tol) {
        CaseEval ev = eval(c, tol);
        Generation g = op.generate(p.w(), p.prompt().clone(), p.count());
        ev.requireBitwise("tokens", Arrays.stream(g.tokens()).asDoubleStream().toArray(), Arrays.stream(p.tokens()).asDoubleStream().toArray());
        return ev.result();
    }
}
