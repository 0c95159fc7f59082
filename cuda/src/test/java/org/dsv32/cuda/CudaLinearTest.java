package org.dsv32.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.ScaleFormat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The GPU linear layers against the formulas of spec/SEMANTICS.md in float64. Shapes are chosen to exercise every edge: M = 1
 * (GEMV) and M = 70 (two ragged row tiles), N = 200 (ragged against the 64-wide tile and the 128-row weight block,
 * so the second block row of scales is used), K = 384 (three scale blocks with different scales). Needs a GPU.
 */
class CudaLinearTest {
    @BeforeEach void gpu() { GpuTestSupport.assumeGpu(); }

    /**
     * FP8 mode: act_quant (ue8m0, the V3.2 configuration) then the block-scaled product. The tensor core's sum inside
     * one 128-block is not exact on Hopper (its accumulator keeps fewer bits than fp32), so the bound is relative to
     * the sum of absolute products: 2^-9 of it, where a wrong fragment layout or scale index is off by O(1).
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 3, 70})
    void fp8GemmMatchesTheBlockScaledFormula(int m) {
        Random rnd = new Random(100 + m);
        TensorF64 x = GpuTestSupport.floats(rnd, m, 384, 2.0);
        Fp8BlockWeight w = GpuTestSupport.fp8Weight(rnd, "test.weight", 200, 384, false);
        TensorF64 y = GpuTestSupport.op(LinearOp.class, PrecisionMode.FP8).apply(x, w);
        assertArrayEquals(new int[] {m, 200}, y.shape());
        double[] bound = new double[m * 200];
        double[] e = GpuTestSupport.fp8Gemm(GpuTestSupport.actQuant(x, ScaleFormat.UE8M0), w, bound);
        for (int i = 0; i < e.length; i++) {
            double tol = KernelTolerances.gemm("cuda", 384, 128) * bound[i] + Double.MIN_NORMAL;
            assertEquals(e[i], y.getFlat(i), tol, "y[" + i / 200 + "][" + i % 200 + "]");
        }
    }

    @Test
    void gemvAndTensorCoreKernelsAgreeOnTheSameRow() {
        Random rnd = new Random(7);
        TensorF64 x = GpuTestSupport.floats(rnd, 20, 256, 1.0);
        Fp8BlockWeight w = GpuTestSupport.fp8Weight(rnd, "test.weight", 130, 256, true);
        LinearOp op = GpuTestSupport.op(LinearOp.class, PrecisionMode.FP8);
        TensorF64 all = op.apply(x, w);
        double[] bound = new double[20 * 130];
        GpuTestSupport.fp8Gemm(GpuTestSupport.actQuant(x, ScaleFormat.UE8M0), w, bound);
        for (int r : new int[] {0, 19}) {
            TensorF64 one = op.apply(TensorF64.wrap(x.rowArray(r), 1, 256), w);
            // each kernel within the tensor core's bound of the exact product, so within twice of each other
            for (int n = 0; n < 130; n++) {
                assertEquals(all.at(r, n), one.at(0, n), 2 * KernelTolerances.TENSOR_CORE_SUM * bound[r * 130 + n] + Double.MIN_NORMAL, "row " + r + " col " + n);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 67})
    void denseWeightsUseTheFp32Product(int m) {
        Random rnd = new Random(200 + m);
        int n = 70, k = 100;
        float[] wv = new float[n * k];
        for (int i = 0; i < wv.length; i++) wv[i] = (float) rnd.nextGaussian();
        DenseWeight w = DenseWeight.ofFloats("router", wv, n, k);
        TensorF64 x = GpuTestSupport.floats(rnd, m, k, 1.0);
        TensorF64 y = GpuTestSupport.op(LinearOp.class, PrecisionMode.FP8).apply(x, w);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0, abs = 0;
                for (int c = 0; c < k; c++) {
                    acc += x.at(i, c) * wv[j * k + c];
                    abs += Math.abs(x.at(i, c) * wv[j * k + c]);
                }
                assertEquals(acc, y.at(i, j), KernelTolerances.fp32AnyOrder(k) * abs + Double.MIN_NORMAL, "y[" + i + "][" + j + "]");
            }
        }
    }

    @Test
    void exactModeUsesTheDequantisedWeightWithoutActQuant() {
        Random rnd = new Random(300);
        TensorF64 x = GpuTestSupport.floats(rnd, 5, 256, 1.0);
        Fp8BlockWeight w = GpuTestSupport.fp8Weight(rnd, "test.weight", 150, 256, false);
        TensorF64 y = GpuTestSupport.op(LinearOp.class, PrecisionMode.EXACT).apply(x, w);
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 150; j++) {
                double acc = 0, abs = 0;
                for (int c = 0; c < 256; c++) {
                    acc += x.at(i, c) * w.get(j, c);
                    abs += Math.abs(x.at(i, c) * w.get(j, c));
                }
                assertEquals(acc, y.at(i, j), KernelTolerances.fp32AnyOrder(256) * abs + Double.MIN_NORMAL, "y[" + i + "][" + j + "]");
            }
        }
    }

    @Test
    void weightsAreUploadedOncePerWeightObject() {
        Random rnd = new Random(400);
        Fp8BlockWeight w = GpuTestSupport.fp8Weight(rnd, "test.weight", 128, 128, true);
        LinearOp op = GpuTestSupport.op(LinearOp.class, PrecisionMode.FP8);
        op.apply(GpuTestSupport.floats(rnd, 2, 128, 1.0), w);
        int cached = CudaContext.shared().cachedWeights();
        op.apply(GpuTestSupport.floats(rnd, 3, 128, 1.0), w);
        assertEquals(cached, CudaContext.shared().cachedWeights(), "the same Weight was uploaded again");
        op.apply(GpuTestSupport.floats(rnd, 3, 128, 1.0), GpuTestSupport.fp8Weight(new Random(400), "other", 128, 128, true));
        assertTrue(CudaContext.shared().cachedWeights() > cached, "a new Weight object is a new upload");
    }
}
