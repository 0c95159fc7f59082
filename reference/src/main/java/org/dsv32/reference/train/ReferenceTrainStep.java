package org.dsv32.reference.train;

import java.util.ArrayList;
import java.util.List;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.IndexerLossOp;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.LayerWeights;
import org.dsv32.spec.weights.ModelWeights;
import org.dsv32.spec.weights.MtpWeights;
import org.dsv32.spec.weights.Weight;

/**
 * One training step's losses and the weight gradients of one block, float64 (issue 15's demonstration): over one
 * teacher-forced sequence t_0 .. t_{T−1},
 * <ul>
 *   <li>L_main = mean_i −log P_i[t_{i+1}] (i &lt; T − 1), and with MTP on L_MTP = (λ/D) Σ_k L^k exactly as
 *       spec/SEMANTICS.md §10d defines it (the module's input embedding zeroed at position 0);</li>
 *   <li>the gradients of L_main + L_MTP with respect to every weight of the chosen block (backpropagated through the
 *       LM head, the final norm, the later blocks and, with MTP on, the MTP modules' heads, blocks, eh_proj and
 *       hnorm); the block may be an MTP module's (index num_hidden_layers + k − 1), which only L_MTP reaches;</li>
 *   <li>the block's indexer loss L_I (§8b: dense warm-up or sparse stage) from that block's attention probabilities,
 *       and its gradients carried to the indexer's weights ({@link IndexerBackward}); the indexer's weights get no
 *       other gradient (its selection is a decision) and L_I reaches no other weight (its input is detached).</li>
 * </ul>
 * The stage also sets the main attention: dense warm-up attends every causal key (the paper's warm-up keeps dense
 * attention), the sparse stage the indexer's top-k. The mode is the context's: in fp8 mode the forward is the
 * model's fp8 mode and every linear's backward goes through the FP8 Dgrad/Wgrad GEMMs ({@link BackwardSteps}).
 * Decisions (attended keys, routed experts) can be forced per block, so that fp8 and exact runs compare gradients
 * of the same piece and a finite difference differentiates a smooth function.
 */
public class ReferenceTrainStep {
    /** The indexer's training stage (spec/SEMANTICS.md §8b). */
    public enum Stage { DENSE, SPARSE }

    /**
     * What to compute: the block whose gradients are wanted (0 .. num_hidden_layers − 1, or an MTP module's block
     * num_hidden_layers + k − 1 when mtp), the stage, whether the MTP objective is included, and its λ.
     */
    public record Options(int layer, Stage stage, boolean mtp, double lambda) {}

    /**
     * The step's results: the losses (moduleLosses empty and mtpLoss 0 without MTP; indexerLoss of the chosen block),
     * the chosen block's gradients (indexer weights included) and the decisions of every block (main layers, then the
     * MTP modules), which a second run can force.
     */
    public record Result(double mainLoss, double[] moduleLosses, double mtpLoss, double indexerLoss, Gradients gradients,
                         List<BlockBackward.Decisions> decisions) {
        public double totalLoss() { return mainLoss + mtpLoss; }
    }

    protected final OpContext ctx;
    protected final Backend self;
    protected final BackwardSteps steps;
    protected final BlockBackward block;
    protected final IndexerBackward indexer;

    public ReferenceTrainStep(OpContext ctx, Backend self) { this(ctx, ctx, self); }

    /**
     * The forward in {@code ctx}'s mode and every linear's Dgrad/Wgrad in {@code backward}'s: (exact, fp8) separates
     * the FP8 backward GEMMs' share of the gradients' error from the fp8 forward's.
     */
    public ReferenceTrainStep(OpContext ctx, OpContext backward, Backend self) {
        // Training runs exact or FP8 (the report's recipe); the bf16 deployment tier's stores have no backward defined here.
        for (OpContext c : new OpContext[] {ctx, backward}) {
            if (c.mode() == org.dsv32.spec.backend.PrecisionMode.BF16) {
                throw new IllegalArgumentException("train-step: precision mode bf16 is a deployment tier; training runs exact or fp8");
            }
        }
        this.ctx = ctx;
        this.self = self;
        this.steps = new BackwardSteps(ctx, backward, self);
        this.block = new BlockBackward(steps, self);
        this.indexer = new IndexerBackward(steps, self);
    }

    /** The MTP module's forward at depth k: its inputs, concatenation, block tape, normed output and logits. */
    private record ModuleTape(TensorF64 previous, TensorF64 concat, BlockBackward.Tape block, TensorF64 normed, TensorF64 logits, Weight head) {}

    /** One step over {@code tokens}; {@code forced} (may be null) gives every block's decisions, in {@link Result#decisions} order. */
    public Result run(ModelWeights w, int[] tokens, Options o, List<BlockBackward.Decisions> forced) {
        ModelConfig c = ctx.config();
        int layers = w.layers().size(), depth = o.mtp() ? c.numNextnPredictLayers() : 0;
        validate(w, tokens, o, depth);
        boolean sparse = o.stage() == Stage.SPARSE;
        List<BlockBackward.Tape> tapes = new ArrayList<>();
        TensorF64 h = embed(w.embedding(), tokens, 0, tokens.length);
        for (LayerWeights layer : w.layers()) {
            BlockBackward.Tape tape = block.forward(h, layer, sparse, forcedAt(forced, tapes.size()));
            tapes.add(tape);
            h = tape.output();
        }
        TensorF64 hidden = rmsNorm(h, w.finalNorm());
        TensorF64 logits = steps.linear(hidden, w.lmHead());
        TensorF64 dLogits = TensorF64.zeros(logits.rows(), logits.cols());
        double mainLoss = crossEntropy(logits, tokens, 1, tokens.length - 1, 1.0, dLogits);

        // the MTP modules, forward
        List<ModuleTape> modules = new ArrayList<>();
        double[] moduleLosses = new double[depth];
        List<TensorF64> dModuleLogits = new ArrayList<>();
        TensorF64 previous = hidden;
        for (int k = 1; k <= depth; k++) {
            int rows = tokens.length - k - 1;
            MtpWeights m = w.mtp().get(k - 1);
            TensorF64 prev = firstRows(previous, rows);
            TensorF64 e = rmsNorm(embed(w.embedding(), tokens, k, rows), m.enorm());
            for (int col = 0; col < e.cols(); col++) e.put(0, col, 0.0); // position 0 has no predecessor (§10)
            TensorF64 concat = concat(e, rmsNorm(prev, m.hnorm()));
            BlockBackward.Tape bt = block.forward(steps.linear(concat, m.ehProj()), m.block(), sparse, forcedAt(forced, layers + k - 1));
            TensorF64 normed = rmsNorm(bt.output(), m.headNorm());
            Weight head = m.head() != null ? m.head() : w.lmHead();
            TensorF64 ml = steps.linear(normed, head);
            TensorF64 dml = TensorF64.zeros(ml.rows(), ml.cols());
            moduleLosses[k - 1] = crossEntropy(ml, tokens, k + 1, rows, o.lambda() / depth, dml);
            modules.add(new ModuleTape(prev, concat, bt, normed, ml, head));
            dModuleLogits.add(dml);
            previous = bt.output();
        }
        double mtpLoss = 0;
        for (double l : moduleLosses) mtpLoss += l;
        mtpLoss = depth == 0 ? 0 : o.lambda() / depth * mtpLoss;

        Gradients grads = new Gradients();
        // the MTP modules, backward (deepest first): module k's input h^{k-1} gets module k's gradient
        TensorF64 carry = null;
        double indexerLoss = 0;
        for (int k = depth; k >= 1; k--) {
            ModuleTape mt = modules.get(k - 1);
            MtpWeights m = w.mtp().get(k - 1);
            TensorF64 dOut = steps.rmsNormBackward(mt.block().output(), m.headNorm(), c.rmsNormEps(),
                    steps.linearBackward(dModuleLogits.get(k - 1), mt.normed(), mt.head(), null), null);
            if (carry != null) addRows(dOut, carry);
            BlockBackward.Result r = block.backward(mt.block(), dOut, layers + k - 1 == o.layer());
            if (r.gradients() != null) merge(grads, r.gradients());
            if (layers + k - 1 == o.layer()) indexerLoss = indexerLoss(mt.block(), grads, sparse);
            TensorF64 dConcat = steps.linearBackward(r.dx(), mt.concat(), m.ehProj(), null);
            TensorF64 dNormedPrev = AttentionBackward.columns(dConcat, c.hiddenSize(), c.hiddenSize());
            carry = steps.rmsNormBackward(mt.previous(), m.hnorm(), c.rmsNormEps(), dNormedPrev, null);
        }
        if (o.layer() < layers) {
            TensorF64 dHidden = steps.linearBackward(dLogits, hidden, w.lmHead(), null);
            if (carry != null) addRows(dHidden, carry);
            TensorF64 dh = steps.rmsNormBackward(h, w.finalNorm(), c.rmsNormEps(), dHidden, null);
            for (int l = layers - 1; l >= o.layer(); l--) {
                BlockBackward.Result r = block.backward(tapes.get(l), dh, l == o.layer());
                if (r.gradients() != null) merge(grads, r.gradients());
                dh = r.dx();
            }
            indexerLoss = indexerLoss(tapes.get(o.layer()), grads, sparse);
        }
        List<BlockBackward.Decisions> decisions = new ArrayList<>();
        for (BlockBackward.Tape t : tapes) decisions.add(t.decisions());
        for (ModuleTape mt : modules) decisions.add(mt.block().decisions());
        return new Result(mainLoss, moduleLosses, mtpLoss, indexerLoss, grads, decisions);
    }

    /**
     * L_I of one block from its attention probabilities [T][H_a][S] and its indexer's q, k, w (inputs detached);
     * adds the indexer weights' gradients.
     */
    protected double indexerLoss(BlockBackward.Tape tape, Gradients grads, boolean sparse) {
        IndexerBackward.Tape it = indexer.forward(tape.attnIn(), tape.attention().qLatent(), tape.weights().attention().indexer());
        IndexerLossOp.Result r = self.require(IndexerLossOp.class, ctx).compute(tape.attention().probs(), it.q(), it.k(), it.w(),
                sparse ? tape.attention().selection() : null);
        indexer.backward(it, tape.weights().attention().indexer(), r, grads);
        return r.loss();
    }

    /**
     * Mean cross-entropy of rows 0 .. rows−1 of {@code logits} against t_{i+offset}; writes weight · (softmax − onehot)
     * / rows into {@code dLogits} and returns the mean (unweighted). Max-subtracted log-softmax.
     */
    protected double crossEntropy(TensorF64 logits, int[] tokens, int offset, int rows, double weight, TensorF64 dLogits) {
        double sum = 0;
        for (int i = 0; i < rows; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < logits.cols(); j++) max = Math.max(max, logits.at(i, j));
            double z = 0;
            for (int j = 0; j < logits.cols(); j++) z += Math.exp(logits.at(i, j) - max);
            int target = tokens[i + offset];
            sum -= logits.at(i, target) - max - Math.log(z);
            for (int j = 0; j < logits.cols(); j++) {
                double p = Math.exp(logits.at(i, j) - max) / z;
                dLogits.put(i, j, weight * (p - (j == target ? 1 : 0)) / rows);
            }
        }
        return sum / rows;
    }

    private void validate(ModelWeights w, int[] tokens, Options o, int depth) {
        int layers = w.layers().size();
        if (tokens.length < depth + 2) {
            throw new IllegalArgumentException("train step: " + tokens.length + " tokens; at least " + (depth + 2) + " are needed"
                    + (depth > 0 ? " (every MTP module needs a target)" : " (one next-token target)"));
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= w.embedding().rows()) {
                throw new IllegalArgumentException("train step: token " + i + " is " + tokens[i] + ", outside the vocabulary [0, " + w.embedding().rows() + ")");
            }
        }
        int blocks = layers + depth;
        if (o.layer() < 0 || o.layer() >= blocks) {
            throw new IllegalArgumentException("train step: layer " + o.layer() + " is outside [0, " + blocks + ") (" + layers + " layers"
                    + (depth > 0 ? " + " + depth + " MTP blocks" : "; MTP blocks only with mtp on") + ")");
        }
        if (depth > 0 && w.mtp().size() < depth) throw new IllegalArgumentException("train step: MTP on, but the weights have " + w.mtp().size() + " MTP modules");
        if (!(o.lambda() >= 0) || Double.isInfinite(o.lambda())) throw new IllegalArgumentException("train step: lambda must be finite and >= 0, got " + o.lambda());
    }

    private static BlockBackward.Decisions forcedAt(List<BlockBackward.Decisions> forced, int i) {
        return forced == null ? null : forced.get(i);
    }

    private TensorF64 rmsNorm(TensorF64 x, Weight w) {
        return self.require(RmsNormOp.class, ctx).apply(x, w, ctx.config().rmsNormEps());
    }

    /** Rows of the embedding table for tokens[from .. from + count). */
    private static TensorF64 embed(Weight table, int[] tokens, int from, int count) {
        TensorF64 out = TensorF64.zeros(count, table.cols());
        for (int t = 0; t < count; t++) for (int c = 0; c < table.cols(); c++) out.put(t, c, table.get(tokens[from + t], c));
        return out;
    }

    private static TensorF64 firstRows(TensorF64 x, int rows) {
        TensorF64 y = TensorF64.zeros(rows, x.cols());
        for (int r = 0; r < rows; r++) for (int c = 0; c < x.cols(); c++) y.put(r, c, x.at(r, c));
        return y;
    }

    /** [first ; second] per row (the MTP module's order: embedding first). */
    private static TensorF64 concat(TensorF64 first, TensorF64 second) {
        return org.dsv32.reference.ReferenceMtp.embeddingThenHidden(first, second, first.cols());
    }

    /** a[r] += b[r] for the rows of b (b may have fewer rows: a shorter module range). */
    private static void addRows(TensorF64 a, TensorF64 b) {
        for (int r = 0; r < b.rows(); r++) for (int c = 0; c < b.cols(); c++) a.put(r, c, a.at(r, c) + b.at(r, c));
    }

    private static void merge(Gradients into, Gradients from) {
        for (var e : from.all().entrySet()) into.add(e.getKey(), e.getValue());
    }
}
