package org.dsv32.reference.train;

import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.ops.Fp8BackwardOp;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.Weight;

/**
 * The backward of the layer primitives, float64 (issue 15's training step): linear, RMSNorm, LayerNorm and RoPE. A
 * linear's backward runs through the backend's {@link Fp8BackwardOp} (spec/SEMANTICS.md §5b): in fp8 mode an FP8
 * weight's Dgrad and Wgrad are the block-scaled E4M3 GEMMs (1x128 and 128x1 tiles, promotion per 128), a dense
 * (bf16) weight's Dgrad is exact and its Wgrad is bound to exact mode (its forward was no FP8 GEMM either); in exact
 * mode every product is the float64 one. Quantisation points of the forward (act_quant, the kv latent's round trip,
 * the indexer's q/k quantisation) are passed straight through: the gradient of a rounding is taken as the identity,
 * the backward GEMMs quantising their own operands instead.
 */
public class BackwardSteps {
    protected final OpContext ctx;
    /** The backward GEMMs' mode: normally the forward's; exact forward with FP8 GEMMs isolates the GEMMs' error. */
    protected final OpContext backward;
    protected final Backend self;
    private final OpContext exact;
    private final double[] frequencies;

    public BackwardSteps(OpContext ctx, Backend self) { this(ctx, ctx, self); }

    /** Forward ops in {@code ctx}, the linear backward's Dgrad and Wgrad in {@code backward} (same configuration). */
    public BackwardSteps(OpContext ctx, OpContext backward, Backend self) {
        if (!ctx.config().equals(backward.config())) throw new IllegalArgumentException("backward steps: the forward and backward contexts differ in configuration");
        this.ctx = ctx;
        this.backward = backward;
        this.self = self;
        this.exact = new OpContext(ctx.config(), PrecisionMode.EXACT);
        this.frequencies = ctx.config().ropeFrequencies();
    }

    /** The forward's context (its mode is the model's forward precision). */
    public OpContext context() { return ctx; }

    /** y = x W^T as the model's forward computes it in this mode (act_quant in fp8 mode for an FP8 weight). */
    public TensorF64 linear(TensorF64 x, Weight w) { return self.require(LinearOp.class, ctx).apply(x, w); }

    /** y = x W^T in float64 whatever the mode: the router and the indexer's weights projection (fp32 in deployment). */
    public TensorF64 exactLinear(TensorF64 x, Weight w) { return self.require(LinearOp.class, exact).apply(x, w); }

    /**
     * The backward of y = x W^T: dW = dY^T x is added to {@code grads} under the weight's name (skipped when grads is
     * null), and dX = dY W is returned.
     */
    public TensorF64 linearBackward(TensorF64 dy, TensorF64 x, Weight w, Gradients grads) {
        if (grads != null) grads.add(w.name(), wgrad(dy, x, w));
        return self.require(Fp8BackwardOp.class, backward).dgrad(dy, w);
    }

    /** The backward of {@link #exactLinear}: both GEMMs exact. */
    public TensorF64 exactLinearBackward(TensorF64 dy, TensorF64 x, Weight w, Gradients grads) {
        if (grads != null) grads.add(w.name(), self.require(Fp8BackwardOp.class, exact).wgrad(dy, x));
        return self.require(Fp8BackwardOp.class, exact).dgrad(dy, w);
    }

    /** Wgrad of one weight: FP8 (128x1 tiles) for an FP8 weight in fp8 mode, exact for a dense one. */
    protected TensorF64 wgrad(TensorF64 dy, TensorF64 x, Weight w) {
        OpContext c = backward.fp8() && w instanceof Fp8BlockWeight ? backward : exact;
        return self.require(Fp8BackwardOp.class, c).wgrad(dy, x);
    }

    /**
     * The backward of y = w ⊙ x r, r = (mean(x²) + eps)^-1/2, per row: dw_c = Σ_rows dy_c x_c r and
     * dx_c = r w_c dy_c − x_c r³ (1/D) Σ_j w_j dy_j x_j. Adds dw under the weight's name.
     */
    public TensorF64 rmsNormBackward(TensorF64 x, Weight w, double eps, TensorF64 dy, Gradients grads) {
        int rows = x.rows(), d = x.cols();
        TensorF64 dx = TensorF64.zeros(rows, d);
        double[] dw = new double[d];
        for (int r = 0; r < rows; r++) {
            double ms = 0;
            for (int c = 0; c < d; c++) ms += x.at(r, c) * x.at(r, c);
            double inv = 1.0 / Math.sqrt(ms / d + eps);
            double dot = 0;
            for (int c = 0; c < d; c++) {
                dot += w.get(c) * dy.at(r, c) * x.at(r, c);
                dw[c] += dy.at(r, c) * x.at(r, c) * inv;
            }
            double k = inv * inv * inv * dot / d;
            for (int c = 0; c < d; c++) dx.put(r, c, inv * w.get(c) * dy.at(r, c) - x.at(r, c) * k);
        }
        if (grads != null) grads.add(w.name(), TensorF64.wrap(dw, 1, d));
        return dx;
    }

    /**
     * The backward of y = x̂ w + b, x̂ = (x − mean) r, r = (var + eps)^-1/2 (biased variance), per row: db = Σ dy,
     * dw = Σ dy x̂, and with g = dy w: dx = r (g − mean(g) − x̂ mean(g x̂)).
     */
    public TensorF64 layerNormBackward(TensorF64 x, Weight w, Weight b, double eps, TensorF64 dy, Gradients grads) {
        int rows = x.rows(), d = x.cols();
        TensorF64 dx = TensorF64.zeros(rows, d);
        double[] dw = new double[d], db = new double[d];
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            for (int c = 0; c < d; c++) mean += x.at(r, c);
            mean /= d;
            double var = 0;
            for (int c = 0; c < d; c++) var += (x.at(r, c) - mean) * (x.at(r, c) - mean);
            double inv = 1.0 / Math.sqrt(var / d + eps);
            double[] xhat = new double[d], g = new double[d];
            double meanG = 0, meanGx = 0;
            for (int c = 0; c < d; c++) {
                xhat[c] = (x.at(r, c) - mean) * inv;
                g[c] = dy.at(r, c) * w.get(c);
                meanG += g[c];
                meanGx += g[c] * xhat[c];
                dw[c] += dy.at(r, c) * xhat[c];
                db[c] += dy.at(r, c);
            }
            meanG /= d;
            meanGx /= d;
            for (int c = 0; c < d; c++) dx.put(r, c, inv * (g[c] - meanG - xhat[c] * meanGx));
        }
        if (grads != null) {
            grads.add(w.name(), TensorF64.wrap(dw, 1, d));
            grads.add(b.name(), TensorF64.wrap(db, 1, d));
        }
        return dx;
    }

    /**
     * The backward of RoPE (spec/SEMANTICS.md §6) on rows [N][r] at their positions: the transpose of a rotation by
     * θ = p f_i, i.e. (da, db) = (dy_a cos θ + dy_b sin θ, −dy_a sin θ + dy_b cos θ) on each pair of the layout.
     */
    public TensorF64 ropeBackward(TensorF64 dy, int[] positions, RopeLayout layout) {
        int d = 2 * frequencies.length;
        if (dy.cols() != d) throw new IllegalArgumentException("rope backward: rows of " + dy.cols() + ", expected " + d);
        TensorF64 dx = dy.copy().reshape(dy.rows(), d);
        for (int r = 0; r < dy.rows(); r++) {
            for (int i = 0; i < d / 2; i++) {
                int first = layout == RopeLayout.INTERLEAVED ? 2 * i : i, second = layout == RopeLayout.INTERLEAVED ? 2 * i + 1 : i + d / 2;
                double theta = positions[r] * frequencies[i], cos = Math.cos(theta), sin = Math.sin(theta);
                double ga = dy.at(r, first), gb = dy.at(r, second);
                dx.put(r, first, ga * cos + gb * sin);
                dx.put(r, second, -ga * sin + gb * cos);
            }
        }
        return dx;
    }
}
