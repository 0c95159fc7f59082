package org.dsv32.optimized;

import java.util.Arrays;
import org.dsv32.conformance.bench.MlaDecodeWorkload;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.MlaAttentionOp;

/**
 * A local profile of the simd MLA decode, not a test and not a benchmark of record ({@code ./dsv32 bench --ops
 * mla_decode} is): the bench's workload (real dimensions, one token against {@code cached} cached tokens), each
 * call's stages timed through {@link SimdMla#stageNanos}, medians over the calls, at 1 and at 2 threads. Run by
 * hand with the test classpath, e.g. {@code java --add-modules jdk.incubator.vector -cp ...
 * org.dsv32.optimized.MlaDecodeStages 4096 30}.
 */
public final class MlaDecodeStages {
    private static final String[] STAGES = {"x: q_a kv_a wk", "c_q: q_b wq_b", "rope+append", "indexer", "attention", "o"};
    /** The attention core's five steps ({@link SimdMla#absorbedNanos}). */
    private static final String[] STEPS = {"q~", "scores", "softmax", "o~", "W_uv o~"};

    public static void main(String[] args) {
        int cached = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        int[] threads = args.length > 2 ? Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).toArray() : new int[] {1, 2};
        ModelConfig config = ModelConfig.deepseekV32();
        try (MlaDecodeWorkload work = new MlaDecodeWorkload(config, cached, 20251118L)) {
            MlaAttentionOp op = new SimdBackend().require(MlaAttentionOp.class, new OpContext(config, PrecisionMode.FP8));
            for (int t : threads) {
                SimdThreads.withThreads(t, () -> {
                    run(work, op, cached, calls, t);
                    return null;
                });
            }
        }
    }

    private static void run(MlaDecodeWorkload work, MlaAttentionOp op, int cached, int calls, int threads) {
        LayerCache cache = null;
        // one thread: the calling thread's CPU time (on a shared machine, wall time includes waiting for a core)
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        SimdMla.stageClock = threads == 1 ? mx::getCurrentThreadCpuTime : System::nanoTime;
        long[][] stages = new long[calls][], steps = new long[calls][];
        long[] total = new long[calls];
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime(), wall0 = System.nanoTime();
        for (int i = -10; i < calls; i++) {
            if (cache == null || cache.length() >= cached + 64) {
                cache = work.freshCache();
                work.forward(op, cache, null);
            }
            long[] s = new long[STAGES.length], sub = new long[STEPS.length];
            SimdMla.stageNanos = s;
            SimdMla.absorbedNanos = sub;
            long t0 = SimdMla.stageClock.getAsLong();
            work.forward(op, cache, null);
            long t1 = SimdMla.stageClock.getAsLong();
            SimdMla.stageNanos = null;
            SimdMla.absorbedNanos = null;
            if (i >= 0) {
                stages[i] = s;
                steps[i] = sub;
                total[i] = t1 - t0;
            }
        }
        long cpu1 = ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime(), wall1 = System.nanoTime();
        StringBuilder b = new StringBuilder(String.format("cached %d, %d thread(s) (" + (threads == 1 ? "cpu" : "wall") + " ms), %d calls, cpu/wall %.2f, load %.2f:",
                cached, threads, calls, (double) (cpu1 - cpu0) / (wall1 - wall0), os.getSystemLoadAverage()));
        for (int k = 0; k < STAGES.length; k++) {
            int kk = k;
            b.append(String.format("  %s %.2f", STAGES[k], median(Arrays.stream(stages).mapToLong(s -> s[kk]).toArray())));
        }
        b.append("  [");
        for (int k = 0; k < STEPS.length; k++) {
            int kk = k;
            b.append(String.format(" %s %.2f", STEPS[k], median(Arrays.stream(steps).mapToLong(s -> s[kk]).toArray())));
        }
        b.append(" ]");
        b.append(String.format("  | total median %.2f ms, min %.2f", median(total), Arrays.stream(total).min().getAsLong() / 1e6));
        System.out.println(b);

    }

    private static double median(long[] v) {
        long[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2] / 1e6;
    }
}
