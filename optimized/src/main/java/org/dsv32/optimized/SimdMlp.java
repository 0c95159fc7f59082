package org.dsv32.optimized;

import org.dsv32.spec.format.Bf16Rounding;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MlpWeights;

/**
 * SwiGLU: down(silu(gate x) * up x). The three projections are the backend's {@link LinearOp} (so a backend that
 * replaces it changes it here too); silu(g) * u = g / (1 + exp(-g)) * u in float32 (scalar Math.exp, the same bits interpreted and compiled). x is not modified.
 */
public final class SimdMlp implements MlpOp {
    private final LinearOp linear;
    /** bf16 mode (spec/SEMANTICS.md §5c): the gated product silu(g) * u rounded to bf16. */
    private final boolean bf16;

    public SimdMlp(OpContext context, Backend self) {
        this.linear = self.require(LinearOp.class, context);
        this.bf16 = context.bf16();
    }

    /** h = silu(g) * u elementwise (h may be g), rounded to bf16 in bf16 mode (the deployment's fp32 product stored bf16). */
    void gated(float[] g, float[] u, float[] h) {
        siluMul(g, u, h);
        if (bf16) Bf16Rounding.roundInPlace(h);
    }

    @Override
    public TensorF64 forward(TensorF64 x, MlpWeights w) {
        TensorF64 g = linear.apply(x, w.gate());
        TensorF64 u = linear.apply(x, w.up());
        float[] h = SimdTensors.toFloats(g);
        gated(h, SimdTensors.toFloats(u), h);
        return linear.apply(SimdTensors.toTensor(h, g.shape()), w.down());
    }

    /** h = silu(g) * u elementwise (h may be g). */
    public static void siluMul(float[] g, float[] u, float[] h) {
        SimdRowKernels.current().siluMul(g, 0, u, 0, h, 0, g.length);
    }
}
