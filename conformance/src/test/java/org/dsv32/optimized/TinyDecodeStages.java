package org.dsv32.optimized;

import java.util.Arrays;
import org.dsv32.conformance.bench.LayerWorkload;
import org.dsv32.conformance.bench.TinyDecodeWorkload;

/**
 * A local profile of the simd tiny-checkpoint decode, not a test and not a benchmark of record ({@code ./dsv32
 * bench --ops tiny_decode} is): the bench's workload (8-token prefill, 8 decoded tokens per run), each run's MLA
 * stages summed through {@link SimdMla#stageNanos}, medians per decoded token over the runs, at 1 thread (the calling
 * thread's CPU time) and 2 threads (wall time). Warms up first: the decode's many small methods compile over
 * seconds. Run by hand with the test classpath, e.g. {@code java --add-modules jdk.incubator.vector -cp ...
 * org.dsv32.optimized.TinyDecodeStages 300 8}.
 */
public final class TinyDecodeStages {
    private static final String[] STAGES = {"x: q_a kv_a wk", "c_q: q_b wq_b", "rope+append", "indexer", "attention", "o"};

    public static void main(String[] args) {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        double warmSeconds = args.length > 1 ? Double.parseDouble(args[1]) : 8;
        int[] threads = args.length > 2 ? Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).toArray() : new int[] {1, 2};
        try (TinyDecodeWorkload work = new TinyDecodeWorkload(8, 8, 20251118L + 4)) {
            LayerWorkload.Call call = work.call(new SimdBackend()).orElseThrow();
            for (int t : threads) {
                SimdThreads.withThreads(t, () -> {
                    run(work, call, runs, warmSeconds, t);
                    return null;
                });
            }
        }
    }

    private static void run(TinyDecodeWorkload work, LayerWorkload.Call call, int runs, double warmSeconds, int threads) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        SimdMla.stageClock = threads == 1 ? mx::getCurrentThreadCpuTime : System::nanoTime;
        long warmEnd = System.nanoTime() + (long) (warmSeconds * 1e9);
        while (System.nanoTime() < warmEnd) {
            call.before().run();
            call.run().run();
        }
        long[][] stages = new long[runs][];
        long[] total = new long[runs];
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime(), wall0 = System.nanoTime();
        int tokens = work.decodeTokens();
        for (int i = 0; i < runs; i++) {
            call.before().run();
            long[] s = new long[STAGES.length];
            SimdMla.stageNanos = s;
            long t0 = SimdMla.stageClock.getAsLong();
            call.run().run();
            long t1 = SimdMla.stageClock.getAsLong();
            SimdMla.stageNanos = null;
            stages[i] = s;
            total[i] = t1 - t0;
        }
        long cpu1 = ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime(), wall1 = System.nanoTime();
        StringBuilder b = new StringBuilder(String.format("%d thread(s) (" + (threads == 1 ? "cpu" : "wall") + " us per token), %d runs, cpu/wall %.2f, load %.2f:",
                threads, runs, (double) (cpu1 - cpu0) / (wall1 - wall0), os.getSystemLoadAverage()));
        for (int k = 0; k < STAGES.length; k++) {
            int kk = k;
            b.append(String.format("  %s %.1f", STAGES[k], median(Arrays.stream(stages).mapToLong(s -> s[kk]).toArray()) / tokens));
        }
        b.append(String.format("  | total median %.1f, min %.1f", median(total) / tokens, Arrays.stream(total).min().getAsLong() / 1e3 / tokens));
        System.out.println(b);
    }

    private static double median(long[] v) {
        long[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2] / 1e3;
    }
}
