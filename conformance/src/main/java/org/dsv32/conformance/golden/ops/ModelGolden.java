package org.dsv32.conformance.golden.ops;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.golden.DecisionMargins;
import org.dsv32.conformance.golden.GoldenCase;
import org.dsv32.conformance.golden.GoldenException;
import org.dsv32.conformance.golden.GoldenFormat;
import org.dsv32.conformance.golden.GoldenGenerator;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Bf16Tolerance;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.ModelSession;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ModelWeights;

/**
 * model: {@code input.tokens} I32 [T] fed in {@code steps} to a new session over the whole checkpoint of the shared
 * {@code weights_file} → {@code expected.logits} [T][vocab] and {@code expected.hidden} [T][D] (the final-norm
 * hidden states handed to the LM head). Inputs drawn until no decision inside is near-tied ({@link DecisionMargins}).
 */
public final class ModelGolden extends AbstractGoldenOp<ModelOp, ModelGolden.Prepared> {
    record Prepared(int[] tokens, int[] steps, ModelWeights w, TensorF64 logits, TensorF64 hidden) {}

    public ModelGolden() { super(ModelOp.class); }

    @Override
    public void generate(GoldenGenerator.Context ctx) throws IOException {
        int[] steps = {6, 1, 1};
        int t = Arrays.stream(steps).sum();
        for (GoldenGenerator.Variant v : ctx.variantsWithBf16(false)) {
            GoldenGenerator.SharedWeights sw = ctx.modelWeights(v.scales());
            ModelConfig cfg = sw.config();
            for (int attempt = 0; ; attempt++) {
                long seed = ctx.seed("model-tokens" + (attempt == 0 ? "" : "#" + attempt));
                int[] tokens = new SplittableRandom(seed).ints(t, 0, cfg.vocabSize()).toArray();
                DecisionMargins rec = new DecisionMargins();
                ModelSession s = rec.require(ModelOp.class, new OpContext(cfg, v.mode())).open(sw.weights());
                List<TensorF64> logits = new ArrayList<>(), hidden = new ArrayList<>();
                int row = 0;
                for (int n : steps) {
                    logits.add(s.forward(Arrays.copyOfRange(tokens, row, row + n)));
                    hidden.add(s.lastHidden());
                    row += n;
                }
                if (!rec.clear()) {
                    if (attempt >= 20) throw new IllegalStateException("model: no draw without near-tied decisions");
                    continue;
                }
                ctx.write(name(v, "prefill-then-decode"), writer(v, cfg, "prefill-then-decode", seed, String.format(java.util.Locale.ROOT,
                        "the 2-layer model (dense, MoE): a prefill of 6 tokens then two decode steps; %d decisions inside, the smallest top-k score gap %.1f%% of the score scale",
                        rec.decisions(), 100 * rec.smallestGap()))
                        .meta(GoldenFormat.STEPS, Arrays.toString(steps).replace(" ", ""))
                        .meta(GoldenFormat.WEIGHTS_FILE, sw.file()).meta(GoldenFormat.WEIGHTS_SHA256, sw.seal())
                        .inputInts("tokens", tokens).expected("logits", stack(logits)).expected("hidden", stack(hidden)));
                break;
            }
        }
    }

    @Override
    public Prepared prepare(GoldenCase c) throws GoldenException {
        ModelConfig cfg = c.config();
        int[] tokens = tokens(c, "tokens");
        int t = tokens.length;
        return new Prepared(tokens, c.steps(t), c.weights().model(), c.expected("logits", t, cfg.vocabSize()), c.expected("hidden", t, cfg.hiddenSize()));
    }

    /** input.&lt;name&gt;: token ids, each in [0, vocab_size). */
    static int[] tokens(GoldenCase c, String name) throws GoldenException {
        int[] tokens = c.ints(GoldenFormat.INPUT + name);
        if (tokens.length == 0) throw GoldenException.corrupted(c.file() + ": input." + name + " is empty");
        for (int id : tokens) {
            if (id < 0 || id >= c.config().vocabSize()) {
                throw GoldenException.corrupted(c.file() + ": input." + name + " holds token " + id + " outside [0, " + c.config().vocabSize() + ")");
            }
        }
        return tokens;
    }

    @Override
    public Tolerance tolerance(GoldenCase c, Prepared p, Tier tier) {
        int n = p.tokens().length;
        return Bf16Tolerance.of(Tolerances.model(c.config(), c.mode(), tier, n, Math.min(c.config().indexTopk(), n)), c.mode(),
                c.config().hiddenSize(), 18 * c.config().numHiddenLayers() + 1, 6 * c.config().numHiddenLayers(),
                Bf16Tolerance.softmaxAmplification()); // the bf16 tier of ModelCheck
    }

    @Override
    public CaseResult run(GoldenCase c, Prepared p, ModelOp op, Tolerance tol) {
        CaseEval ev = eval(c, tol);
        ModelSession s = op.open(p.w());
        int row = 0;
        for (int step = 0; step < p.steps().length; step++) {
            int n = p.steps()[step];
            String at = "step " + step + " (pos " + row + ", " + n + " tokens)";
            TensorF64 logits = s.forward(Arrays.copyOfRange(p.tokens(), row, row + n));
            ev.compare(at + " logits", logits, rows(p.logits(), row, n));
            ev.compare(at + " final hidden", s.lastHidden(), rows(p.hidden(), row, n));
            if (s.position() != row + n) ev.fail(at + ": session position " + s.position() + ", expected " + (row + n));
            row += n;
        }
        return ev.result();
    }
}
