package org.dsv32.conformance.bench;

import java.util.Arrays;

/**
 * The timing harness of {@code ./dsv32 bench}: wall-clock time ({@link System#nanoTime}) of whole calls. First
 * warm-up calls (at least {@code warmupRuns}, continued until {@code warmupSeconds} have passed, then for as long as
 * they still get faster, up to four times that) so the JIT has compiled the kernels; then measured calls until at least {@code minRuns} were made and {@code minSeconds} were
 * spent, or {@code maxRuns} were made, or the measured time reaches {@code maxSeconds} (so an operation that takes
 * seconds is measured fewer than {@code minRuns} times, at least once). An optional untimed {@code before} step runs
 * ahead of every call (e.g. a fresh cache).
 *
 * <p>Reports the best time (the figure used for GFLOP/s, GB/s and the fractions of the machine's limits, which are
 * best-of measurements too) and the median, with the number of measured calls, and the share of the cores the
 * process's threads actually got while timed: CPU time of all its Java threads over wall time x {@code threads}. On
 * a machine shared with other work a low share explains a slow median; the best shows what the code does when it has
 * the cores to itself.
 */
public record BenchTimer(int warmupRuns, double warmupSeconds, int minRuns, double minSeconds, int maxRuns, double maxSeconds) {
    /**
     * What one measurement gave: median and best seconds per call, the number of measured calls, and the CPU share
     * (CPU seconds of the process's Java threads per wall second per thread used; NaN when the JVM cannot tell).
     */
    public record Timing(double median, double best, int runs, double cpuShare) {
        public Timing {
            if (runs < 1 || !(median > 0) || !(best > 0)) {
                throw new IllegalArgumentException("a timing needs at least one run and positive times, got " + runs + " runs, " + median + " s");
            }
        }

        /** This timing multiplied by {@code factor} (a run on a part of the work, scaled to the whole). */
        public Timing scaled(double factor) { return new Timing(median * factor, best * factor, runs, cpuShare); }
    }

    /** {@code ./dsv32 bench}: 2 s of warm-up, at least 5 calls and 3 s measured. */
    public static BenchTimer standard() { return new BenchTimer(2, 2.0, 5, 3.0, 1000, 30); }

    /** {@code --quick}: at least 1 warm-up call and 1 s (the JIT needs about that for the vector kernels), then at
     *  least 3 calls and 1 s measured. */
    public static BenchTimer quick() { return new BenchTimer(1, 1.0, 3, 1.0, 200, 4); }

    /** {@code --smoke} (tests): one warm-up call, two measured calls. */
    public static BenchTimer smoke() { return new BenchTimer(1, 0, 2, 0, 2, 1); }

    /**
     * For operations that take seconds (the float64 reference at real sizes): {@code warmups} warm-up calls (0 when
     * the agreement check has just run the same call) and at most {@code runs} measured calls.
     */
    public BenchTimer slow(int warmups, int runs) {
        return new BenchTimer(warmups, 0, Math.min(runs, minRuns), 0, Math.min(runs, maxRuns), maxSeconds);
    }

    public Timing time(Runnable op) { return time(() -> {}, op); }

    /** Times {@code op} as documented; the CPU share is taken over {@code threads} threads. */
    public Timing time(Runnable before, Runnable op) { return time(before, op, org.dsv32.optimized.SimdThreads.threads()); }

    public Timing time(Runnable before, Runnable op, int threads) {
        long warmStart = System.nanoTime();
        for (int i = 0; i < warmupRuns || (System.nanoTime() - warmStart) < warmupSeconds * 1e9; i++) {
            before.run();
            op.run();
        }
        warmUntilSteady(before, op, warmStart);
        double[] times = new double[Math.max(1, maxRuns)];
        int n = 0;
        double total = 0, cpu = 0;
        while (n < times.length && (n == 0 || (total < maxSeconds && (n < minRuns || total < minSeconds)))) {
            before.run();
            java.util.Map<Long, Long> c0 = cpuSnapshot();
            long t0 = System.nanoTime();
            op.run();
            long t1 = System.nanoTime();
            java.util.Map<Long, Long> c1 = cpuSnapshot();
            double s = (t1 - t0) / 1e9;
            times[n++] = Math.max(s, 1e-9);
            total += s;
            cpu += cpuDelta(c0, c1) / 1e9;
        }
        double[] sorted = Arrays.copyOf(times, n);
        Arrays.sort(sorted);
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        double share = CPU.isThreadCpuTimeEnabled() && total > 0 ? cpu / (total * threads) : Double.NaN;
        return new Timing(median, sorted[0], n, share);
    }

    /**
     * Keeps warming up, in rounds of a quarter of {@code warmupSeconds} (at least one call), while the fastest call
     * of a round is still more than 5% faster than the previous round's, for at most {@link #STEADY_FACTOR} times
     * {@code warmupSeconds} in all. Why: on a busy 2-core machine the JIT's compiler threads share the cores with the
     * timed threads, and a kernel recompiled after an uncommon trap (a path that the smaller shape measured before
     * never took) can still be running its slow tier when a fixed warm-up ends. (It does not cure every slow run: some
     * JVMs stay 4x slower on a GEMM for their whole life; see docs/PERFORMANCE.md, on allocation in the timed call.)
     */
    private void warmUntilSteady(Runnable before, Runnable op, long warmStart) {
        long cap = warmStart + (long) (STEADY_FACTOR * warmupSeconds * 1e9);
        long round = (long) (warmupSeconds * 0.25e9);
        double previous = Double.POSITIVE_INFINITY;
        while (System.nanoTime() < cap) {
            double best = Double.POSITIVE_INFINITY;
            long roundStart = System.nanoTime();
            do {
                before.run();
                long t0 = System.nanoTime();
                op.run();
                best = Math.min(best, System.nanoTime() - t0);
            } while (System.nanoTime() - roundStart < round);
            if (best >= 0.95 * previous) return;
            previous = best;
        }
    }

    /** The most warm-up, as a multiple of {@code warmupSeconds}, that {@link #warmUntilSteady} may add up to. */
    static final double STEADY_FACTOR = 4;

    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    /** CPU time of every live Java thread of this process, by thread id. */
    static java.util.Map<Long, Long> cpuSnapshot() {
        java.util.Map<Long, Long> m = new java.util.HashMap<>();
        if (!CPU.isThreadCpuTimeEnabled()) return m;
        for (long id : CPU.getAllThreadIds()) {
            long t = CPU.getThreadCpuTime(id);
            if (t >= 0) m.put(id, t);
        }
        return m;
    }

    /** CPU nanoseconds spent between two snapshots by the threads alive at both (new threads count from 0). */
    static long cpuDelta(java.util.Map<Long, Long> before, java.util.Map<Long, Long> after) {
        long sum = 0;
        for (var e : after.entrySet()) sum += Math.max(0, e.getValue() - before.getOrDefault(e.getKey(), 0L));
        return sum;
    }
}
