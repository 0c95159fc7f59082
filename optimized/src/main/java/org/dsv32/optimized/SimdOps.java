package org.dsv32.optimized;

import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.ops.LinearChecks;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MlpWeights;
import org.dsv32.spec.weights.ScaleFormat;
import org.dsv32.spec.weights.Weight;

/**
 * Float32 entries to the sub-operations a composite takes from its backend ({@code self.require(...)}). When the
 * operation is this backend's own class, its float-array kernel runs directly (no float64 tensors between the steps
 * of a layer); otherwise — a mutant or a delegating backend that re-registered it — the call goes through the
 * operation's contract (float32 widened to a TensorF64 and the result rounded back), so a replaced operation is still
 * used everywhere, as {@link org.dsv32.spec.backend.RegistryBackend} promises. Both routes give the same bits for the
 * simd classes: a TensorF64 holds float32 values exactly.
 */
final class SimdOps {
    private SimdOps() {}

    /** y [m][N] = x [m][K] W^T through {@code op}; x is not modified. */
    static float[] linear(LinearOp op, float[] x, int m, Weight w) { return linear(op, new SimdLinear.Activation(x, m), w); }

    /** y [m][N] = x [m][K] W^T through {@code op}, for an input shared by several products (see {@link SimdLinear.Activation}). */
    static float[] linear(LinearOp op, SimdLinear.Activation x, Weight w) { return linears(op, x, w)[0]; }

    /**
     * ys[i] = xs[i] W_i^T through {@code op}, for products that are all ready at once: with {@link SimdLinear}, the
     * GEMVs among them run as one parallel loop ({@link SimdLinear#multiplyEach}); through any other op, one by one.
     * The same bits as {@link #linear} on each. The xs are not modified.
     */
    static float[][] linears(LinearOp op, SimdLinear.Activation[] xs, Weight[] ws) {
        LinearOp[] ops = new LinearOp[ws.length];
        java.util.Arrays.fill(ops, op);
        return linears(ops, xs, ws);
    }

    /**
     * ys[i] = xs[i] W_i^T through ops[i] (products bound to different precision contexts side by side): with
     * {@link SimdLinear}s only, the GEMVs among them run as one parallel loop ({@link SimdLinear#multiplyEach(SimdLinear[],
     * SimdLinear.Activation[], Weight[], float[][])}); otherwise one by one. The same bits as {@link #linear} through
     * ops[i] on each. The xs are not modified.
     */
    static float[][] linears(LinearOp[] ops, SimdLinear.Activation[] xs, Weight[] ws) {
        float[][] ys = new float[ws.length][];
        SimdLinear[] simd = new SimdLinear[ops.length];
        boolean allSimd = true;
        for (int i = 0; i < ws.length; i++) {
            int m = xs[i].rows();
            LinearChecks.checkFlatInput(ws[i], m, xs[i].values().length);
            ys[i] = new float[m * ws[i].rows()];
            if (ops[i] instanceof SimdLinear s) simd[i] = s;
            else allSimd = false;
        }
        if (allSimd) {
            SimdLinear.multiplyEach(simd, xs, ws, ys);
            return ys;
        }
        for (int i = 0; i < ws.length; i++) {
            if (simd[i] != null) SimdLinear.multiplyEach(new SimdLinear[] {simd[i]}, new SimdLinear.Activation[] {xs[i]}, new Weight[] {ws[i]}, new float[][] {ys[i]});
            else toFloats(ops[i].apply(SimdTensors.toTensor(xs[i].values(), xs[i].rows(), ws[i].cols()), ws[i]), ys[i]);
        }
        return ys;
    }

    /** {@link #linears} for products sharing one input x. */
    static float[][] linears(LinearOp op, SimdLinear.Activation x, Weight... ws) {
        SimdLinear.Activation[] xs = new SimdLinear.Activation[ws.length];
        java.util.Arrays.fill(xs, x);
        return linears(op, xs, ws);
    }

    /** RMSNorm of each row of x [rows][cols] into a new array; x is not modified. */
    static float[] rmsNorm(RmsNormOp op, float[] x, int rows, int cols, Weight w, double eps) {
        float[] y = new float[rows * cols];
        if (op instanceof SimdRmsNorm s) {
            SimdRmsNorm.normalize(x, rows, cols, SimdWeightCache.vector(w, cols), (float) eps, y);
            s.store(y);
        } else toFloats(op.apply(SimdTensors.toTensor(x, rows, cols), w, eps), y);
        return y;
    }

    /** residual += x (residual MODIFIED), returns RMSNorm(residual). */
    static float[] rmsNormWithResidual(RmsNormOp op, float[] x, float[] residual, int rows, int cols, Weight w, double eps) {
        float[] y = new float[rows * cols];
        if (op instanceof SimdRmsNorm s) {
            SimdRmsNorm.normalizeWithResidual(x, residual, rows, cols, SimdWeightCache.vector(w, cols), (float) eps, y);
            s.store(y);
            s.store(residual);
        } else {
            TensorF64 res = SimdTensors.toTensor(residual, rows, cols);
            toFloats(op.applyWithResidual(SimdTensors.toTensor(x, rows, cols), res, w, eps), y);
            toFloats(res, residual);
        }
        return y;
    }

    /** LayerNorm of each row into a new array; x is not modified. */
    static float[] layerNorm(LayerNormOp op, float[] x, int rows, int cols, Weight w, Weight b, double eps) {
        float[] y = new float[rows * cols];
        if (op instanceof SimdLayerNorm s) {
            SimdLayerNorm.normalize(x, rows, cols, SimdWeightCache.vector(w, cols), SimdWeightCache.vector(b, cols), (float) eps, y);
            s.store(y);
        } else {
            toFloats(op.apply(SimdTensors.toTensor(x, rows, cols), w, b, eps), y);
        }
        return y;
    }

    /** Rotates each row of x [rows][d] in place at positions[r] (x MODIFIED). */
    static void rope(RopeOp op, OpContext ctx, float[] x, int rows, int d, int[] positions, RopeLayout layout) {
        if (op instanceof SimdRope s) {
            SimdRope.rotate(x, rows, d, positions, frequencies(ctx.config()), layout);
            s.store(x);
        } else toFloats(op.apply(SimdTensors.toTensor(x, rows, d), positions, layout), x);
    }

    /** The last configuration's RoPE frequencies (computing them costs as much as rotating a decode step's rows). */
    private record Frequencies(ModelConfig config, double[] values) {}

    private static volatile Frequencies lastFrequencies;

    static double[] frequencies(ModelConfig config) {
        Frequencies f = lastFrequencies;
        if (f == null || f.config() != config) {
            f = new Frequencies(config, config.ropeFrequencies());
            lastFrequencies = f;
        }
        return f.values();
    }

    /** n^-1/2 H_n of each row of x [rows][n] in place (x MODIFIED). */
    static void hadamard(HadamardOp op, float[] x, int rows, int n) {
        if (op instanceof SimdHadamard s) {
            SimdHadamard.transform(x, rows, n);
            s.store(x);
        } else toFloats(op.apply(SimdTensors.toTensor(x, rows, n)), x);
    }

    /**
     * act_quant of x [rows][cols] into codes [rows][cols] and scales [rows][cols/128]; x is not modified.
     */
    static void actQuant(ActQuantOp op, float[] x, int rows, int cols, ScaleFormat format, byte[] codes, float[] scales) {
        if (op instanceof SimdActQuant) {
            SimdActQuant.quantize(x, rows, cols, format, codes, scales, null);
        } else {
            QuantizedActivation q = op.quantize(SimdTensors.toTensor(x, rows, cols), format);
            if (q.tile() != SimdActQuant.TILE || q.codes().length != codes.length || q.scales().length != scales.length) {
                throw new IllegalStateException("act_quant of " + rows + "x" + cols + " returned " + q.rows() + "x" + q.cols()
                        + " with tile " + q.tile());
            }
            System.arraycopy(q.codes(), 0, codes, 0, codes.length);
            System.arraycopy(q.scales(), 0, scales, 0, scales.length);
        }
    }

    /**
     * SwiGLU down(silu(gate x) * up x) of x [m][D] through {@code op}; for {@link SimdMlp} the same three products
     * and the same elementwise kernel as {@link SimdMlp#forward}, with {@code linear} being the backend's LinearOp
     * (the one SimdMlp itself takes). x is not modified.
     */
    static float[] mlp(MlpOp op, LinearOp linear, float[] x, int m, MlpWeights w) { return mlp(op, linear, new SimdLinear.Activation(x, m), w); }

    /** {@link #mlp(MlpOp, LinearOp, float[], int, MlpWeights)} for an input shared with other products. */
    static float[] mlp(MlpOp op, LinearOp linear, SimdLinear.Activation x, MlpWeights w) {
        int m = x.rows();
        if (op instanceof SimdMlp s) {
            float[][] gu = linears(linear, x, w.gate(), w.up());
            float[] g = gu[0], u = gu[1];
            s.gated(g, u, g);
            return linear(linear, g, m, w.down());
        }
        int d = x.values().length / m;
        TensorF64 y = op.forward(SimdTensors.toTensor(x.values(), m, d), w);
        float[] out = new float[y.size()];
        toFloats(y, out);
        return out;
    }

    /** {@link SimdThreads#parallelFor(int, long, java.util.function.IntConsumer)}: the pool only for enough work. */
    static void forEach(int units, long workPerUnit, java.util.function.IntConsumer body) {
        SimdThreads.parallelFor(units, workPerUnit, body);
    }

    /** The elements of t rounded to float32 into {@code out} (same size). */
    static void toFloats(TensorF64 t, float[] out) {
        if (t.size() != out.length) throw new IllegalStateException("result " + t + " does not have " + out.length + " values");
        for (int i = 0; i < out.length; i++) out[i] = (float) t.getFlat(i);
    }
}
