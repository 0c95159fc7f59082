package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import org.dsv32.conformance.bench.BenchData;
import org.dsv32.conformance.bench.BenchLayers;
import org.dsv32.conformance.bench.IndexerWorkload;
import org.dsv32.conformance.bench.LayerTolerance;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.IndexerWeights;
import org.junit.jupiter.api.Test;

/**
 * The simd indexer at DeepSeek-V3.2's real head count, where the query's 64 heads are prepared as eight head groups
 * of the score kernel's layout, each its own parallel unit beside the new keys' unit (the tiny test model's four
 * heads make one group): a three-token prefill over a short fp8 cache agrees with the float64 reference (the bench's
 * bound; a head weight or packed head of the wrong group is far outside it), and gives the same bits on one thread
 * and on two, and the cache receives the three keys.
 */
class SimdIndexerRealHeadsTest {
    @Test
    void sixtyFourHeadsAgreeWithTheReferenceOnAnyThreadCount() {
        ModelConfig c = ModelConfig.deepseekV32();
        OpContext ctx = new OpContext(c, PrecisionMode.FP8);
        int keys = 200, tokens = 3;
        try (IndexerWorkload work = new IndexerWorkload(c, keys, 5); Arena arena = Arena.ofShared()) {
            IndexerWeights w = BenchLayers.indexer(arena, c, 5);
            TensorF64 x = tensor(BenchData.gaussian(tokens * c.hiddenSize(), 1, 6), tokens, c.hiddenSize());
            TensorF64 cq = tensor(BenchData.gaussian(tokens * c.qLoraRank(), 1, 7), tokens, c.qLoraRank());
            int start = keys - 1;
            IndexerOp simd = new SimdBackend().require(IndexerOp.class, ctx);
            var cache1 = work.freshCache();
            IndexerResult one = SimdThreads.withThreads(1, () -> simd.select(x, cq, start, w, cache1));
            IndexerResult two = SimdThreads.withThreads(2, () -> simd.select(x, cq, start, w, work.freshCache()));
            assertArrayEquals(one.scores().toArray(), two.scores().toArray(), "scores, one thread and two");
            for (int t = 0; t < tokens; t++) assertArrayEquals(one.selected()[t], two.selected()[t], "selection " + t);
            assertEquals(start + tokens, cache1.indexLength());
            IndexerResult ref = new ReferenceBackend().require(IndexerOp.class, ctx).select(x, cq, start, w, work.freshCache());
            LayerTolerance.check("indexer, 64 heads, " + tokens + " tokens", "simd", two.scores().toArray(), ref.scores().toArray());
        }
    }

    private static TensorF64 tensor(float[] v, int rows, int cols) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return TensorF64.wrap(d, rows, cols);
    }
}
