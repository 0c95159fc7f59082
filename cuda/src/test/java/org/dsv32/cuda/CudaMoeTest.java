package org.dsv32.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.metrics.Metrics;
import org.dsv32.spec.ops.MoeOp;
import org.dsv32.spec.ops.MoeResult;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.MoeWeights;
import org.dsv32.spec.weights.ModelWeights;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The GPU MoE layer (the grouped expert GEMM in fp8_gemm.cu, moe.cu and CudaMoe) against the float64 reference on the
 * tiny checkpoint's layer-1 MoE. Outputs are compared with the reference REPLAYING the GPU's routing, the routing
 * itself decision-aware against the reference's own. Needs a GPU (skipped with the backend's reason).
 *
 * <p>Output tolerance, per row relative to its largest |value|, and the row's calc_diff: {@link KernelTolerances#outputRow}
 * and {@link KernelTolerances#rowCalcDiff} (an e4m3 midpoint straddled by the fp32 and float64 versions of an
 * activation gives one code one step apart in an act_quant; Hopper's tensor core does not add a 128-block exactly,
 * {@link KernelTolerances#TENSOR_CORE_SUM} of the sum of absolute products at worst).
 */
class CudaMoeTest {
    static final double EXACT_TOL = KernelTolerances.outputRow(PrecisionMode.EXACT);
    static final double FP8_TOL = KernelTolerances.outputRow(PrecisionMode.FP8);

    @BeforeEach void gpu() { GpuTestSupport.assumeGpu(); }

    static MoeWeights weights() { return GpuLayerFixtures.tiny().layers().get(1).moe(); }

    static MoeOp op(Backend b, PrecisionMode mode) { return b.require(MoeOp.class, GpuLayerFixtures.context(mode)); }

    static void compare(TensorF64 gpu, TensorF64 ref, PrecisionMode mode, String what) {
        assertArrayEquals(ref.shape(), gpu.shape(), what + ": shape");
        double tol = mode == PrecisionMode.FP8 ? FP8_TOL : EXACT_TOL;
        for (int t = 0; t < ref.rows(); t++) {
            double[] a = gpu.rowArray(t), e = ref.rowArray(t);
            double scale = 0;
            for (double v : e) scale = Math.max(scale, Math.abs(v));
            for (int j = 0; j < e.length; j++) {
                assertTrue(Math.abs(a[j] - e[j]) <= tol * scale, what + ": row " + t + " element " + j + ": " + a[j] + " vs reference " + e[j]);
            }
            assertTrue(Metrics.calcDiff(a, e) <= KernelTolerances.rowCalcDiff(mode), what + ": row " + t + " calc_diff");
        }
    }

    /** Each token's experts: the reference's set, or each chosen expert within the router's score bound of the reference's k-th. */
    static void assertRoutingAgrees(Routing gpu, Routing ref, String what) {
        int differing = 0;
        for (int t = 0; t < ref.experts().length; t++) {
            int[] g = gpu.experts()[t].clone(), r = ref.experts()[t].clone();
            assertEquals(r.length, g.length, what + ": experts of token " + t);
            Arrays.sort(g);
            Arrays.sort(r);
            if (Arrays.equals(g, r)) continue;
            differing++;
            double[] b = ref.selectionScores()[t].clone();
            double kth = Arrays.stream(b).boxed().sorted((x, y) -> Double.compare(y, x)).skip(r.length - 1).findFirst().orElseThrow();
            for (int e : g) assertTrue(ref.selectionScores()[t][e] >= kth - KernelTolerances.scoreRowExact(), what + ": token " + t + " routes to expert " + e + " well below the k-th");
        }
        assertTrue(differing <= Math.max(1, ref.experts().length / 10), what + ": " + differing + " tokens routed differently");
    }

    static void replay(MoeWeights w, PrecisionMode mode, int tokens, long seed) {
        ModelConfig c = GpuLayerFixtures.config();
        TensorF64 x = GpuLayerFixtures.activation(new Random(seed), tokens, c.hiddenSize());
        MoeResult g = op(GpuTestSupport.BACKEND, mode).forward(x.copy(), w, null);
        MoeResult r = op(GpuLayerFixtures.REFERENCE, mode).forward(x.copy(), w, g.routing());
        String what = mode + ", " + tokens + " tokens";
        compare(g.output(), r.output(), mode, what);
        Routing own = op(GpuLayerFixtures.REFERENCE, mode).forward(x.copy(), w, null).routing();
        assertRoutingAgrees(g.routing(), own, what);
    }

    @ParameterizedTest
    @EnumSource(PrecisionMode.class)
    void decodeAndPrefillMatchTheReference(PrecisionMode mode) {
        replay(weights(), mode, 1, 3);
        replay(weights(), mode, 9, 5);
    }

    /** 300 tokens, top-4 of 16 experts: about 75 rows per expert, so segments span several 64-row tiles. */
    @Test
    void segmentsLongerThanOneTileMatchTheReference() {
        replay(weights(), PrecisionMode.FP8, 300, 7);
    }

    /** A shared expert of another shape than the routed ones (the dense FFN of layer 0) goes through the MlpOp. */
    @ParameterizedTest
    @EnumSource(PrecisionMode.class)
    void aSharedExpertOfAnotherShapeMatchesTheReference(PrecisionMode mode) {
        ModelWeights m = GpuLayerFixtures.tiny();
        MoeWeights w = weights();
        replay(new MoeWeights(w.router(), w.correctionBias(), w.experts(), m.layers().get(0).mlp()), mode, 5, 9);
    }

    /** A replayed routing with unused experts, tokens with slots in any order and one slot weighted zero. */
    @Test
    void aForcedRoutingIsFollowed() {
        ModelConfig c = GpuLayerFixtures.config();
        TensorF64 x = GpuLayerFixtures.activation(new Random(11), 3, c.hiddenSize());
        Routing forced = new Routing(new int[][] {{5, 2, 9, 0}, {15, 14, 1, 2}, {2, 3, 4, 5}},
                new double[][] {{0.5, 1.25, 0.0, 0.75}, {1, 1, 1, 1}, {0.1, 0.2, 0.3, 0.4}}, null, null, null, null);
        MoeResult g = op(GpuTestSupport.BACKEND, PrecisionMode.FP8).forward(x.copy(), weights(), forced);
        MoeResult r = op(GpuLayerFixtures.REFERENCE, PrecisionMode.FP8).forward(x.copy(), weights(), forced);
        assertTrue(g.routing() == forced, "the result reports the routing used");
        compare(g.output(), r.output(), PrecisionMode.FP8, "forced routing");
    }
}
