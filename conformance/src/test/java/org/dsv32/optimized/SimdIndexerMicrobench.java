package org.dsv32.optimized;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.dsv32.conformance.bench.BenchLayers;
import org.dsv32.conformance.bench.IndexerWorkload;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.weights.IndexerWeights;

/**
 * A quick local speed check, not a test and not a benchmark of record ({@code ./dsv32 bench --ops indexer} is): the
 * bench's indexer row (one query at DeepSeek-V3.2's dimensions against {@code keys} keys, fp8) and its stages, each
 * timed alone as the best caller CPU time of many calls. Run by hand with {@code -Ddsv32.threads=1}:
 * {@code java --add-modules jdk.incubator.vector -cp <cli jar>:<test classes> org.dsv32.optimized.SimdIndexerMicrobench 65536 20}.
 */
public final class SimdIndexerMicrobench {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    public static void main(String[] args) {
        int keys = args.length > 0 ? Integer.parseInt(args[0]) : 8192;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        ModelConfig c = ModelConfig.deepseekV32();
        OpContext ctx = new OpContext(c, PrecisionMode.FP8);
        IndexerWorkload work = new IndexerWorkload(c, keys, 7);
        SimdBackend backend = new SimdBackend();
        IndexerOp op = backend.require(IndexerOp.class, ctx);
        System.out.printf("width %d bits, %d threads, %d keys%n", SimdSpecies.bits(), SimdThreads.threads(), keys);

        LayerCache cache = work.freshCache();
        work.select(op, cache); // the mirror made, weights seen once
        LayerCache[] cur = {cache};
        Runnable refresh = () -> {
            if (cur[0].indexLength() > keys + 32) {
                cur[0] = work.freshCache();
                work.select(op, cur[0]);
            }
        };
        for (int i = 0; i < 200; i++) { // warm-up: the JIT compiles the whole path
            refresh.run();
            work.select(op, cur[0]);
        }
        report("whole select", reps, refresh, () -> work.select(op, cur[0]));

        IndexerWeights w = BenchLayers.indexer(java.lang.foreign.Arena.ofAuto(), c, 7);
        SimdParts parts = new SimdParts(backend, ctx), exact = new SimdParts(backend, new OpContext(c, PrecisionMode.EXACT));
        float[] x = SimdTestRows.gaussian(c.hiddenSize(), 1), cq = SimdTestRows.gaussian(c.qLoraRank(), 2);
        LinearOp lin = parts.get(LinearOp.class), elin = exact.get(LinearOp.class);
        report("wq_b GEMV", reps, () -> SimdOps.linear(lin, cq, 1, w.wqB()));
        report("wk GEMV", reps, () -> SimdOps.linear(lin, x, 1, w.wk()));
        report("weights_proj GEMV (exact)", reps, () -> SimdOps.linear(elin, x, 1, w.weightsProj()));

        SimdCacheMirror mirror = SimdCacheMirror.of(cur[0]);
        int n = mirror.indexLength(), heads = c.indexNHeads(), dim = c.indexHeadDim();
        java.lang.foreign.MemorySegment tiles = mirror.keyTiles();
        float[] q = new float[heads * dim], e = SimdTestRows.gaussian(heads, 3);
        float[] ks = mirror.keyScales();
        for (int i = 0; i < q.length; i++) q[i] = Fp8Codec.decodeE4M3((byte) (i * 37 + 11 & 0x7E));
        float[] sums = new float[SimdIndexer.KEYS_PER_UNIT];
        double[] scores = new double[n];
        report("scores (indexScores + key scale)", reps, () -> {
            for (int s0 = 0; s0 < n; s0 += SimdIndexer.KEYS_PER_UNIT) {
                int m = Math.min(SimdIndexer.KEYS_PER_UNIT, n - s0);
                SimdAttentionKernels.current().indexScores(tiles, s0, m, dim, q, 0, heads, e, 0, sums, 0);
                for (int s = 0; s < m; s++) scores[s0 + s] = sums[s] * (double) ks[s0 + s];
            }
        });
        report("top-k", reps, () -> SimdTopK.select(scores.clone(), n, Math.min(c.indexTopk(), n), SimdTopK.Order.TOTAL));
        work.close();
    }

    private static void report(String what, int reps, Runnable r) { report(what, reps, () -> {}, r); }

    private static void report(String what, int reps, Runnable before, Runnable r) {
        double best = Double.MAX_VALUE, bestWall = Double.MAX_VALUE;
        for (int i = 0; i < 3; i++) r.run();
        for (int i = 0; i < reps; i++) {
            before.run();
            long c0 = MX.getCurrentThreadCpuTime(), t0 = System.nanoTime();
            r.run();
            long c1 = MX.getCurrentThreadCpuTime(), t1 = System.nanoTime();
            best = Math.min(best, (c1 - c0) / 1e6);
            bestWall = Math.min(bestWall, (t1 - t0) / 1e6);
        }
        System.out.printf("%-36s caller cpu %.3f ms, wall %.3f ms (best of %d)%n", what, best, bestWall, reps);
    }

    /** Gaussian rows without the test fixtures of another module. */
    static final class SimdTestRows {
        static float[] gaussian(int n, long seed) {
            java.util.Random rnd = new java.util.Random(seed);
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
            return v;
        }
    }
}
