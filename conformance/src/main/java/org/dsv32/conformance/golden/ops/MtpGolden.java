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
import org.dsv32.conformance.golden.GoldenException;
import org.dsv32.conformance.golden.GoldenFormat;
import org.dsv32.conformance.golden.GoldenGenerator;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.ModelSession;
import org.dsv32.spec.ops.MtpOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ModelWeights;

/**
 * mtp: {@code input.hidden} [T][D] (the main model's final hidden states h_i, after its final norm) and
 * {@code input.next_tokens} I32 [T] (t_{i+1}), fed in {@code steps} through MTP module {@code mtp_index} of the
 * shared {@code weights_file} (its block's cache optionally given as {@code cache.*}) → {@code expected.logits}
 * [T][vocab] for t_{i+2}. The shipped cases start at position 0, where the embedding input must be zeroed; their
 * hidden states come from the main model on the same tokens, rounded to fp32.
 */
public final class MtpGolden extends AbstractGoldenOp<MtpOp, MtpGolden.Prepared> {
    record Prepared(TensorF64 hidden, int[] next, int index, LayerCache cache, int start, int[] steps, ModelWeights w, TensorF64 logits) {}

    public MtpGolden() { super(MtpOp.class); }

    @Override
    public void generate(GoldenGenerator.Context ctx) throws IOException {
        int[] steps = {5, 1};
        int t = Arrays.stream(steps).sum();
        for (GoldenGenerator.Variant v : ctx.variants(false)) {
            GoldenGenerator.SharedWeights sw = ctx.modelWeights(v.scales());
            ModelConfig cfg = sw.config();
            OpContext oc = new OpContext(cfg, v.mode());
            for (int attempt = 0; ; attempt++) {
                long seed = ctx.seed("mtp-tokens" + (attempt == 0 ? "" : "#" + attempt));
                int[] tokens = new SplittableRandom(seed).ints(t + 1, 0, cfg.vocabSize()).toArray();
                ModelSession main = ctx.reference().require(ModelOp.class, oc).open(sw.weights());
                main.forward(Arrays.copyOf(tokens, t));
                TensorF64 hidden = RandomInputs.toFloat(main.lastHidden());
                int[] next = Arrays.copyOfRange(tokens, 1, t + 1);
                DecisionMargins rec = new DecisionMargins();
                MtpOp op = rec.require(MtpOp.class, oc);
                LayerCache cache = new LayerCache();
                List<TensorF64> logits = new ArrayList<>();
                int row = 0;
                for (int n : steps) {
                    logits.add(op.forward(rows(hidden, row, n), Arrays.copyOfRange(next, row, row + n), row, sw.weights(), 0, cache));
                    row += n;
                }
                if (!rec.clear()) {
                    if (attempt >= 20) throw new IllegalStateException("mtp: no draw without near-tied decisions");
                    continue;
                }
                ctx.write(name(v, "from-position-0"), writer(v, cfg, "from-position-0", seed, String.format(java.util.Locale.ROOT,
                        "MTP over 5 then 1 token from position 0 (embedding input zeroed there); %d decisions inside, the smallest top-k score gap %.1f%% of the score scale",
                        rec.decisions(), 100 * rec.smallestGap()))
                        .meta(GoldenFormat.MTP_INDEX, 0).meta(GoldenFormat.STEPS, Arrays.toString(steps).replace(" ", ""))
                        .meta(GoldenFormat.START_POS, 0).meta(GoldenFormat.WEIGHTS_FILE, sw.file()).meta(GoldenFormat.WEIGHTS_SHA256, sw.seal())
                        .input("hidden", hidden).inputInts("next_tokens", next).expected("logits", stack(logits)));
                break;
            }
        }
    }

    @Override
    public Prepared prepare(GoldenCase c) throws GoldenException {
        ModelConfig cfg = c.config();
        TensorF64 hidden = matrix(c, GoldenFormat.INPUT + "hidden", -1, cfg.hiddenSize());
        int t = hidden.rows();
        int[] next = ModelGolden.tokens(c, "next_tokens");
        if (next.length != t) throw GoldenException.corrupted(c.file() + ": input.next_tokens has " + next.length + " entries for " + t + " hidden rows");
        int index = c.metaInt(GoldenFormat.MTP_INDEX, 0);
        if (index < 0 || index >= cfg.numNextnPredictLayers()) {
            throw GoldenException.corrupted(c.file() + ": __metadata__ mtp_index " + index + " but the config has " + cfg.numNextnPredictLayers() + " MTP layers");
        }
        LayerCache cache = GoldenCaches.read(c, true);
        int start = IndexerGolden.startPos(c, cache.length());
        return new Prepared(hidden, next, index, cache, start, c.steps(t), c.weights().model(), c.expected("logits", t, cfg.vocabSize()));
    }

    @Override
    public Tolerance tolerance(GoldenCase c, Prepared p, Tier tier) {
        long maxPos = p.start() + p.hidden().rows();
        return Tolerances.mtp(c.config(), c.mode(), tier, maxPos, (int) Math.min(c.config().indexTopk(), maxPos));
    }

    @Override
    public CaseResult run(GoldenCase c, Prepared p, MtpOp op, Tolerance tol) {
        CaseEval ev = eval(c, tol);
        LayerCache cache = GoldenCaches.prefix(p.cache(), p.start());
        int row = 0, pos = p.start();
        for (int step = 0; step < p.steps().length; step++) {
            int n = p.steps()[step];
            String at = "step " + step + " (pos " + pos + ", " + n + " tokens)";
            TensorF64 h = rows(p.hidden(), row, n), hc = h.copy();
            TensorF64 logits = op.forward(hc, Arrays.copyOfRange(p.next(), row, row + n), pos, p.w(), p.index(), cache);
            ev.requireUnchanged("input.hidden", h, hc);
            ev.compare(at + " logits", logits, rows(p.logits(), row, n));
            row += n;
            pos += n;
        }
        return ev.result();
    }
}
