package org.dsv32.reference.train;

import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.ops.IndexerLossOp;
import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.IndexerWeights;

/**
 * The lightning indexer's inputs to its training loss, forward with a tape, and the loss's gradients carried from
 * q^I, k^I and w to the indexer's weights (spec/SEMANTICS.md §8, §8b). With x the block's normed input and c_q MLA's
 * query latent, both DETACHED (constants: the loss reaches no weight outside the indexer):
 * <pre>
 *   q_h = Had(RoPE_half(W_qb^I c_q)_h)  (fp8: act_quant round trip)    backward: Had, RoPEᵀ, Wgrad with c_q
 *   k   = Had(RoPE_half(LayerNorm(W_k^I x)))  (fp8: round trip)         backward: Had, RoPEᵀ, LayerNorm', Wgrad with x
 *   w_h = (W_w x)_h · H^-1/2  (exact, fp32 in deployment)              backward: Wgrad with x, exact
 * </pre>
 * RoPE acts on the first r dims of each head (rope first, NON-interleaved); the Hadamard transform is its own
 * transpose; the fp8 round trips pass the gradient straight through.
 */
public class IndexerBackward {
    protected final BackwardSteps steps;
    protected final Backend self;
    protected final ModelConfig config;

    public IndexerBackward(BackwardSteps steps, Backend self) {
        this.steps = steps;
        this.self = self;
        this.config = steps.context().config();
    }

    /** The forward's values: q [T][H][d], k [T][d], w [T][H] (the loss's inputs) and the key LayerNorm's input [T][d]. */
    public record Tape(TensorF64 x, TensorF64 qLatent, TensorF64 q, TensorF64 k, TensorF64 w, TensorF64 keyPreNorm) {}

    public Tape forward(TensorF64 x, TensorF64 qLatent, IndexerWeights w) {
        int tokens = x.rows(), heads = config.indexNHeads(), dim = config.indexHeadDim();
        int[] positions = AttentionBackward.positions(tokens);
        TensorF64 q = steps.linear(qLatent, w.wqB());
        if (q.cols() != heads * dim) throw new IllegalArgumentException(w.wqB().name() + ": " + q.cols() + " outputs, expected " + heads * dim);
        int[] rowPositions = new int[tokens * heads];
        for (int r = 0; r < rowPositions.length; r++) rowPositions[r] = r / heads;
        TensorF64 qRows = roundTrip(self.require(HadamardOp.class, steps.context()).apply(rotate(q.reshape(tokens * heads, dim), rowPositions)));
        TensorF64 kPre = steps.linear(x, w.wk());
        TensorF64 k = self.require(LayerNormOp.class, steps.context()).apply(kPre, w.kNormWeight(), w.kNormBias(), keyNormEps());
        k = roundTrip(self.require(HadamardOp.class, steps.context()).apply(rotate(k, positions)));
        TensorF64 proj = steps.exactLinear(x, w.weightsProj());
        TensorF64 hw = TensorF64.zeros(tokens, heads);
        double factor = Math.pow(heads, -0.5);
        for (int t = 0; t < tokens; t++) for (int h = 0; h < heads; h++) hw.put(t, h, proj.at(t, h) * factor);
        return new Tape(x, qLatent, qRows.copy().reshape(tokens, heads, dim), k, hw, kPre);
    }

    /** Adds the gradients of wq_b, wk, k_norm (weight, bias) and weights_proj from the loss's ∂q, ∂k, ∂w. */
    public void backward(Tape tape, IndexerWeights w, IndexerLossOp.Result loss, Gradients grads) {
        int tokens = tape.x().rows(), heads = config.indexNHeads(), dim = config.indexHeadDim();
        int[] positions = AttentionBackward.positions(tokens);
        int[] rowPositions = new int[tokens * heads];
        for (int r = 0; r < rowPositions.length; r++) rowPositions[r] = r / heads;
        TensorF64 dq = unrotate(self.require(HadamardOp.class, steps.context()).apply(loss.queryGradient().copy().reshape(tokens * heads, dim)), rowPositions);
        steps.linearBackward(dq.reshape(tokens, heads * dim), tape.qLatent(), w.wqB(), grads);
        TensorF64 dk = unrotate(self.require(HadamardOp.class, steps.context()).apply(loss.keyGradient()), positions);
        TensorF64 dkPre = steps.layerNormBackward(tape.keyPreNorm(), w.kNormWeight(), w.kNormBias(), keyNormEps(), dk, grads);
        steps.linearBackward(dkPre, tape.x(), w.wk(), grads);
        TensorF64 dProj = TensorF64.zeros(tokens, heads);
        double factor = Math.pow(heads, -0.5);
        for (int t = 0; t < tokens; t++) for (int h = 0; h < heads; h++) dProj.put(t, h, loss.weightGradient().at(t, h) * factor);
        steps.exactLinearBackward(dProj, tape.x(), w.weightsProj(), grads);
    }

    /** The key LayerNorm's eps, as the indexer's (1e-6). */
    protected double keyNormEps() { return 1e-6; }

    /** fp8 mode: dequant(act_quant(rows)) (one 128-tile per row), else rows. */
    protected TensorF64 roundTrip(TensorF64 rows) {
        if (!steps.context().fp8()) return rows;
        return self.require(ActQuantOp.class, steps.context()).quantize(rows, steps.context().scaleFormat()).dequantize();
    }

    /** RoPE (half-split) of the first r dims of every row at its position; the rest copied. */
    protected TensorF64 rotate(TensorF64 rows, int[] positions) {
        int rope = config.qkRopeHeadDim();
        TensorF64 pe = AttentionBackward.columns(rows, 0, rope);
        TensorF64 rotated = self.require(RopeOp.class, steps.context()).apply(pe, positions, RopeLayout.HALF_SPLIT);
        TensorF64 out = rows.copy().reshape(rows.rows(), rows.cols());
        for (int r = 0; r < out.rows(); r++) for (int i = 0; i < rope; i++) out.put(r, i, rotated.at(r, i));
        return out;
    }

    /** The transpose of {@link #rotate}. */
    protected TensorF64 unrotate(TensorF64 rows, int[] positions) {
        int rope = config.qkRopeHeadDim();
        TensorF64 back = steps.ropeBackward(AttentionBackward.columns(rows, 0, rope), positions, RopeLayout.HALF_SPLIT);
        TensorF64 out = rows.copy().reshape(rows.rows(), rows.cols());
        for (int r = 0; r < out.rows(); r++) for (int i = 0; i < rope; i++) out.put(r, i, back.at(r, i));
        return out;
    }
}
