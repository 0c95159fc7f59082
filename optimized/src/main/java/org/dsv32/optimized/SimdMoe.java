package org.dsv32.optimized;

import org.dsv32.spec.format.Bf16Rounding;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.ops.MoeChecks;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.MoeOp;
import org.dsv32.spec.ops.MoeResult;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MlpWeights;
import org.dsv32.spec.weights.MoeWeights;
import org.dsv32.spec.weights.Weight;

/**
 * The MoE layer in float32 (spec/SEMANTICS.md §9; the reference is {@code ReferenceMoe}):
 * y_t = sum_i w_ti Expert_{e_ti}(x_t) + Shared(x_t), the routed_scaling_factor inside w (applied once, by the gate),
 * the shared expert unscaled. Routing from the backend's {@link MoeGateOp}, or the forced one (decision replay).
 *
 * <p>Tokens are grouped per expert: for each expert in ascending index, the rows routed to it are gathered into one
 * batch and its MLP (the backend's {@link MlpOp}, so in fp8 mode every projection input goes through act_quant)
 * runs once on the batch; the outputs are scatter-added with their weights, y_t = fma(w, out, y_t). So every token
 * sums its routed terms in ascending expert index, then adds the shared expert — the reference's order, fixed
 * whatever the thread count (for a decode token, threads share the units of all experts' products, phase by phase;
 * for several tokens they work on different experts, each whole on one thread, when there are enough experts or
 * they are small, otherwise inside each product; the sums come after). x is
 * not modified.
 */
public final class SimdMoe implements MoeOp {
    /** The float32 output [T][D] and the routing it used. */
    record Result(float[] output, Routing routing) {}

    private final SimdParts parts;
    /** bf16 mode (spec/SEMANTICS.md §5c): the fp32 accumulator stored bf16. */
    private final boolean bf16;

    public SimdMoe(OpContext ctx, Backend self) {
        this.parts = new SimdParts(self, ctx);
        this.bf16 = ctx.bf16();
    }

    @Override
    public MoeResult forward(TensorF64 x, MoeWeights w, Routing forcedRouting) {
        Result r = forward(SimdTensors.toFloats(x), x.rows(), w, forcedRouting);
        return new MoeResult(SimdTensors.toTensor(r.output(), x.shape()), r.routing());
    }

    /** The float entry: x [T][D] row-major, not modified. */
    Result forward(float[] x, int tokens, MoeWeights w, Routing forcedRouting) {
        int dim = x.length / tokens, experts = w.expertCount();
        if (w.router().rows() != experts) {
            throw new IllegalArgumentException("MoE: router " + w.router().name() + " has " + w.router().rows()
                    + " rows but the layer has " + experts + " routed experts");
        }
        Routing routing;
        if (forcedRouting != null) {
            routing = MoeChecks.checkForcedRouting(forcedRouting, tokens, experts);
        } else {
            MoeGateOp gate = parts.get(MoeGateOp.class);
            routing = gate instanceof SimdMoeGate g ? g.route(x, tokens, w) : gate.route(SimdTensors.toTensor(x, tokens, dim), w);
        }
        MlpOp mlp = parts.get(MlpOp.class);
        LinearOp linear = parts.get(LinearOp.class);
        int[] count = new int[experts];
        for (int[] row : routing.experts()) for (int e : row) count[e]++;
        int[][] useToken = new int[experts][], useSlot = new int[experts][];
        for (int e = 0; e < experts; e++) {
            useToken[e] = new int[count[e]];
            useSlot[e] = new int[count[e]];
            count[e] = 0;
        }
        for (int t = 0; t < tokens; t++) {
            int[] row = routing.experts()[t];
            for (int slot = 0; slot < row.length; slot++) {
                int e = row[slot];
                useToken[e][count[e]] = t;
                useSlot[e][count[e]++] = slot;
            }
        }
        // an expert that every token routes to (each of a decode token's experts) reads x itself, rows in order:
        // its input, like the shared expert's, is quantised once for all of them
        SimdLinear.Activation whole = new SimdLinear.Activation(x, tokens);
        int[] active = new int[experts + 1];
        int units = 0;
        for (int e = 0; e < experts; e++) if (count[e] > 0) active[units++] = e;
        if (w.shared() != null) active[units++] = -1;
        float[][] outs = new float[units][];
        java.util.function.IntConsumer expert = u -> {
            int e = active[u];
            if (e < 0) {
                outs[u] = SimdOps.mlp(mlp, linear, whole, w.shared());
                return;
            }
            int n = count[e];
            SimdLinear.Activation batch = whole;
            if (!allInOrder(useToken[e], n, tokens)) {
                float[] rows = new float[n * dim];
                for (int r = 0; r < n; r++) System.arraycopy(x, useToken[e][r] * dim, rows, r * dim, dim);
                batch = new SimdLinear.Activation(rows, n);
            }
            outs[u] = SimdOps.mlp(mlp, linear, batch, w.experts().get(e));
        };
        if (tokens == 1 && mlp instanceof SimdMlp s) {
            // a decode token: every expert reads x, one row; each phase's GEMVs, of all experts, run as one loop
            expertsTogether(s, linear, whole, active, units, w, outs);
        } else if (splitExperts(w)) {
            // products too small to split across threads: the experts are split instead, each on one thread
            SimdThreads.parallelFor(units, (long) tokens * 3 * dim * w.experts().get(0).gate().rows(), expert);
        } else {
            int routed = w.shared() != null ? units - 1 : units;
            if (expertPerThread(routed)) {
                // the shared expert (every token: products large enough to split) with its products across the
                // threads, then the routed experts each whole on one thread, no join between their products
                if (routed < units) expert.accept(routed);
                SimdThreads.parallelFor(routed, 3L * dim * w.experts().get(0).gate().rows(), expert); // at least a token each
            } else {
                for (int u = 0; u < units; u++) expert.accept(u);
            }
        }
        SimdAttentionKernels k = SimdAttentionKernels.current();
        float[] y = new float[tokens * dim];
        for (int u = 0; u < units; u++) {
            int e = active[u];
            if (e < 0) {
                for (int i = 0; i < y.length; i++) y[i] += outs[u][i];
                continue;
            }
            for (int r = 0; r < count[e]; r++) {
                int t = useToken[e][r];
                float weight = (float) routing.weights()[t][useSlot[e][r]];
                k.axpy(weight, outs[u], r * dim, y, t * dim, dim);
            }
        }
        if (bf16) Bf16Rounding.roundInPlace(y);
        return new Result(y, routing);
    }

    /**
     * outs[u] = the MLP of expert active[u] (-1: the shared expert) on x, as {@link SimdOps#mlp} computes it (the same
     * bits), phase by phase: the gate and up GEMVs of all experts as one parallel loop, silu(g) * u, then the down
     * GEMVs as another. A tiny expert's product is one or two GEMV units: run by themselves they leave a core idle.
     */
    private static void expertsTogether(SimdMlp mlp, LinearOp linear, SimdLinear.Activation x, int[] active, int units, MoeWeights w, float[][] outs) {
        Weight[] gateUp = new Weight[2 * units], down = new Weight[units];
        for (int u = 0; u < units; u++) {
            MlpWeights e = active[u] < 0 ? w.shared() : w.experts().get(active[u]);
            gateUp[2 * u] = e.gate();
            gateUp[2 * u + 1] = e.up();
            down[u] = e.down();
        }
        float[][] gu = SimdOps.linears(linear, x, gateUp);
        SimdLinear.Activation[] hidden = new SimdLinear.Activation[units];
        for (int u = 0; u < units; u++) {
            mlp.gated(gu[2 * u], gu[2 * u + 1], gu[2 * u]);
            hidden[u] = new SimdLinear.Activation(gu[2 * u], 1);
        }
        float[][] ys = SimdOps.linears(linear, hidden, down);
        System.arraycopy(ys, 0, outs, 0, units);
    }

    /**
     * Whether to run the experts in parallel, one expert per thread, rather than one after another with each product
     * split across threads: when an expert's products have fewer rows than two GEMV units per thread (the tiny
     * model's 128-row experts are one unit, so a product would run on one thread while the others wait). Either
     * way each expert's output is the same bits, and they are summed afterwards in the same order.
     */
    private static boolean splitExperts(MoeWeights w) {
        return !w.experts().isEmpty() && w.experts().get(0).gate().rows() < 2L * SimdGemmDriver.UNIT_N * SimdThreads.threads();
    }

    /**
     * The fewest routed experts per thread for which they run one per thread ({@link #expertPerThread}); tests raise
     * it to force the other schedule. {@code -Ddsv32.moeExpertsPerThread}.
     */
    static int expertsPerThreadMin = Integer.getInteger("dsv32.moeExpertsPerThread", 4);

    /**
     * Whether the routed experts of a prefill (several tokens) run each whole on one thread, the threads taking
     * different experts, rather than one after another with each product split across the threads: when there are
     * at least {@link #expertsPerThreadMin} per thread. An expert then has a few tokens (64 tokens top-8 over 256
     * experts: 2 on average), so its products are few-row GEMVs of about a millisecond, and split they join three
     * times per expert and wait on each other's last unit; on one thread each, nothing waits until the last
     * expert. On the MoE bench (DeepSeek-V3.2 dimensions, 2 threads) 15-25% faster at 16, 64 and 256 tokens. Each
     * expert's output is the same bits either way (a product's units compute the same whichever thread runs them).
     */
    private static boolean expertPerThread(int routed) {
        int threads = SimdThreads.threads();
        return threads > 1 && routed >= (long) expertsPerThreadMin * threads;
    }

    /** Whether the first n of rows are 0, 1, ..., tokens - 1 (the batch is x itself). */
    private static boolean allInOrder(int[] rows, int n, int tokens) {
        if (n != tokens) return false;
        for (int r = 0; r < n; r++) if (rows[r] != r) return false;
        return true;
    }
}
