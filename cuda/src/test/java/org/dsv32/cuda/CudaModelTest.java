package org.dsv32.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.SplittableRandom;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.metrics.Metrics;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.ModelSession;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.ModelWeights;
import org.dsv32.spec.weights.Weight;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The embedding lookup, the bf16-weight GEMV/GEMM (the LM head's) and the whole GPU model on the tiny checkpoint.
 * Needs a GPU (skipped with the backend's reason).
 */
class CudaModelTest {
    @BeforeEach void gpu() { GpuTestSupport.assumeGpu(); }

    /** The lookup is exact: every element equals the table's value, for the bf16 table and for an fp32 one. */
    @Test
    void embeddingRowsAreTheTablesRowsExactly() {
        ModelWeights m = GpuLayerFixtures.tiny();
        Weight table = m.embedding();
        assertEquals(DType.BF16, ((DenseWeight) table).dtype(), "the tiny checkpoint's embedding is bf16");
        int[] tokens = {0, 7, table.rows() - 1, 7, 300};
        float[] f32 = new float[table.rows() * table.cols()];
        for (int r = 0; r < table.rows(); r++) for (int c = 0; c < table.cols(); c++) f32[r * table.cols() + c] = (float) table.get(r, c);
        Weight copy = DenseWeight.ofFloats("embed.f32", f32, table.rows(), table.cols());
        CudaContext gpu = CudaContext.shared();
        for (Weight t : new Weight[] {table, copy}) {
            TensorF64 rows = CudaEmbedding.lookup(gpu, t, tokens);
            for (int i = 0; i < tokens.length; i++) for (int c = 0; c < t.cols(); c++) assertEquals(t.get(tokens[i], c), rows.at(i, c), 0.0);
        }
        assertThrows(IllegalArgumentException.class, () -> CudaEmbedding.lookup(gpu, table, new int[] {table.rows()}));
    }

    /** A bf16 weight read as stored gives bit for bit the product with its fp32 copy (the widening is exact). */
    @Test
    void bf16WeightsGiveTheSameBitsAsTheirFp32Copy() {
        Weight head = GpuLayerFixtures.tiny().lmHead();
        assertEquals(DType.BF16, ((DenseWeight) head).dtype());
        float[] f32 = new float[head.rows() * head.cols()];
        for (int r = 0; r < head.rows(); r++) for (int c = 0; c < head.cols(); c++) f32[r * head.cols() + c] = (float) head.get(r, c);
        Weight copy = DenseWeight.ofFloats("lm_head.f32", f32, head.rows(), head.cols());
        LinearOp linear = GpuTestSupport.op(LinearOp.class, GpuLayerFixtures.context(PrecisionMode.FP8).config());
        for (int rows : new int[] {1, 3, 70}) {
            TensorF64 x = GpuLayerFixtures.activation(new Random(rows), rows, head.cols());
            assertArrayEquals(linear.apply(x, copy).toArray(), linear.apply(x, head).toArray(), rows + " rows");
        }
    }

    /**
     * The whole model in exact mode against the reference: a 12-token prefill then two decode steps, logits within
     * calc_diff 1e-9 (fp32 against float64 through three blocks; the tiny model's decisions are not near ties at
     * this seed). The GPU model composes simd's block over this backend.
     */
    @Test
    void theModelMatchesTheReferenceInExactMode() {
        OpContext ctx = GpuLayerFixtures.context(PrecisionMode.EXACT);
        ModelWeights w = GpuLayerFixtures.tiny();
        ModelSession g = GpuTestSupport.BACKEND.require(ModelOp.class, ctx).open(w);
        ModelSession r = GpuLayerFixtures.REFERENCE.require(ModelOp.class, ctx).open(w);
        SplittableRandom rnd = new SplittableRandom(7);
        int[][] feeds = {new int[12], {0}, {0}};
        for (int[] f : feeds) for (int i = 0; i < f.length; i++) f[i] = rnd.nextInt(w.embedding().rows());
        for (int[] f : feeds) {
            double[] lg = g.forward(f).toArray(), lr = r.forward(f).toArray();
            double cd = Metrics.calcDiff(lg, lr);
            assertTrue(cd <= KernelTolerances.EXACT_ROW_CALC_DIFF, "logits calc_diff " + cd + " at position " + r.position());
        }
        assertEquals(14, g.position());
    }
}
