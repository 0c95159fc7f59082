package org.dsv32.cuda;

import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.MoeChecks;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MoeWeights;
import org.dsv32.spec.weights.Weight;

/**
 * The router on the GPU: fp32 logits W_g x ({@code dsv32_sgemv} / {@code dsv32_sgemm} on the fp32 copy of the bf16
 * router, never act_quant), then {@code dsv32_moe_gate} (moe_gate.cu): sigmoid, bias, sum-of-top-2 group scores,
 * the topk_group kept groups, -inf for the others, top-k experts, weights from s without the bias, renormalised
 * and scaled once. Ties to the lower index, NaN last. x is not modified.
 */
final class CudaMoeGate implements MoeGateOp {
    /** Groups moe_gate.cu handles: it marks the kept groups in one 64-bit mask. */
    static final int MAX_GROUPS = 64;

    private final ModelConfig config;
    private final CudaContext gpu;

    CudaMoeGate(OpContext context, CudaContext gpu) {
        this.config = context.config();
        this.gpu = gpu;
        checkSupported(config);
    }

    /** The shared rules ({@link MoeChecks#checkGateConfig}), then this kernel's own limit on the group count. */
    static void checkSupported(ModelConfig c) {
        MoeChecks.checkGateConfig(c);
        if (c.nGroup() > MAX_GROUPS) {
            throw new IllegalArgumentException("MoE gate: n_group = " + c.nGroup() + " exceeds the cuda gate kernel's "
                    + MAX_GROUPS + " groups");
        }
    }

    @Override
    public Routing route(TensorF64 x, MoeWeights w) {
        int experts = config.nRoutedExperts(), groups = config.nGroup(), keep = config.topkGroup(), k = config.numExpertsPerTok();
        int tokens = x.rows(), d = x.cols();
        Weight router = w.router();
        MoeChecks.checkRouter(router, experts, d);
        MoeChecks.checkCorrectionBias(w.correctionBias(), experts);
        float[] bias = new float[experts];
        if (w.correctionBias() != null) {
            for (int e = 0; e < experts; e++) bias[e] = (float) w.correctionBias().get(e);
        }
        try (DeviceBuffer dx = gpu.upload(CudaTensors.toFloats(x));
             DeviceBuffer logits = gpu.alloc(4L * tokens * experts);
             DeviceBuffer db = gpu.upload(bias);
             DeviceBuffer s = gpu.alloc(4L * tokens * experts);
             DeviceBuffer b = gpu.alloc(4L * tokens * experts);
             DeviceBuffer gs = gpu.alloc(4L * tokens * groups);
             DeviceBuffer kept = gpu.alloc(4L * tokens * keep);
             DeviceBuffer chosen = gpu.alloc(4L * tokens * k);
             DeviceBuffer weights = gpu.alloc(4L * tokens * k)) {
            DeviceBuffer dw = gpu.f32(router);
            if (tokens == 1) gpu.launch(CudaKernel.SGEMV, (experts + 7) / 8, 1, 256, 0, dx, dw, logits, experts, d);
            else gpu.launch(CudaKernel.SGEMM, (experts + 63) / 64, (tokens + 63) / 64, 256, 0, dx, dw, logits, tokens, experts, d);
            int shared = 4 * experts + 4 * groups + experts;
            gpu.launch(CudaKernel.MOE_GATE, tokens, 1, 256, shared, logits, db, experts, groups, keep, k,
                    config.normTopkProb() ? 1 : 0, (float) config.routedScalingFactor(), s, b, gs, kept, chosen, weights);
            return new Routing(ints(gpu.downloadInts(chosen, tokens * k), tokens, k),
                    doubles(gpu.downloadFloats(weights, tokens * k), tokens, k),
                    doubles(gpu.downloadFloats(s, tokens * experts), tokens, experts),
                    doubles(gpu.downloadFloats(b, tokens * experts), tokens, experts),
                    doubles(gpu.downloadFloats(gs, tokens * groups), tokens, groups),
                    ints(gpu.downloadInts(kept, tokens * keep), tokens, keep));
        }
    }

    private static double[][] doubles(float[] f, int rows, int cols) {
        double[][] out = new double[rows][cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) out[r][c] = f[r * cols + c];
        return out;
    }

    private static int[][] ints(int[] v, int rows, int cols) {
        int[][] out = new int[rows][cols];
        for (int r = 0; r < rows; r++) System.arraycopy(v, r * cols, out[r], 0, cols);
        return out;
    }
}
