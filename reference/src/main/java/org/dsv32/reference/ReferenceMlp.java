package org.dsv32.reference;

import org.dsv32.spec.format.Bf16Rounding;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MlpWeights;

/**
 * The SwiGLU feed-forward, the reference (spec/SEMANTICS.md §9; dense FFN, routed and shared experts):
 * <pre>
 *   h = silu(x W_gate^T) * (x W_up^T)      (elementwise),  silu(z) = z / (1 + e^-z)
 *   y = h W_down^T
 * </pre>
 * Each projection goes through the backend's {@link LinearOp}, so in fp8 mode act_quant is applied to x before
 * gate and up, and to h before down. Float64; x is not modified.
 */
public class ReferenceMlp implements MlpOp {
    protected final OpContext context;
    protected final Backend self;

    public ReferenceMlp(OpContext context, Backend self) {
        this.context = context;
        this.self = self;
    }

    @Override
    public TensorF64 forward(TensorF64 x, MlpWeights w) {
        checkWeights(w);
        LinearOp linear = self.require(LinearOp.class, context);
        TensorF64 gate = linear.apply(x, w.gate());
        TensorF64 up = linear.apply(x, w.up());
        TensorF64 h = TensorF64.zeros(gate.rows(), gate.cols());
        for (int r = 0; r < h.rows(); r++) {
            for (int c = 0; c < h.cols(); c++) h.put(r, c, silu(gate.at(r, c)) * up.at(r, c));
        }
        if (context.bf16()) Bf16Rounding.roundInPlace(h); // bf16 mode: the wide silu product stored bf16 (§5c)
        return linear.apply(h, w.down());
    }

    /** silu(z) = z * sigmoid(z) = z / (1 + e^-z); tends to -0 for very negative z, never NaN for finite z. */
    protected double silu(double z) {
        return z / (1.0 + Math.exp(-z));
    }

    /** gate and up are [I][D], down is [D'][I]. */
    protected void checkWeights(MlpWeights w) {
        if (w.gate().rows() != w.up().rows() || w.gate().cols() != w.up().cols()) {
            throw new IllegalArgumentException("mlp: gate " + w.gate().name() + " is " + w.gate().rows() + "x" + w.gate().cols()
                    + " but up " + w.up().name() + " is " + w.up().rows() + "x" + w.up().cols());
        }
        if (w.down().cols() != w.gate().rows()) {
            throw new IllegalArgumentException("mlp: down " + w.down().name() + " has " + w.down().cols()
                    + " columns, expected the intermediate size " + w.gate().rows() + " of " + w.gate().name());
        }
    }
}
