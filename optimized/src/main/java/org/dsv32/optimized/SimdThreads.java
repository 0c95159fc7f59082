package org.dsv32.optimized;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * The shared worker threads of the {@code simd} backend: {@code -Ddsv32.threads} (default: available processors),
 * overridable in code for tests with {@link #withThreads}.
 *
 * <p>Work is always cut into the same units whatever the thread count (for example, one unit per 128 output
 * rows) and every unit is computed by one thread in a fixed order, so results are bitwise identical for any number
 * of threads; the threads only decide who computes which unit. Loops run on {@link SimdTeam}'s spinning helpers;
 * a pool of plain threads serves a second application thread that finds them busy.
 */
public final class SimdThreads {
    public static final String PROPERTY = "dsv32.threads";

    private static final int CONFIGURED = Math.max(1, Integer.getInteger(PROPERTY, Runtime.getRuntime().availableProcessors()));
    private static volatile int override = -1;
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "dsv32-simd-pool");
        t.setDaemon(true);
        return t;
    });

    private SimdThreads() {}

    /** The number of threads a parallel loop uses now. */
    public static int threads() {
        int o = override;
        return o > 0 ? o : CONFIGURED;
    }

    /** Runs {@code body} with the thread count forced to {@code n}; not thread-safe against other overrides. */
    public static <T> T withThreads(int n, Supplier<T> body) {
        if (n < 1) throw new IllegalArgumentException("thread count must be positive, got " + n);
        int saved = override;
        override = n;
        try {
            return body.get();
        } finally {
            override = saved;
        }
    }

    /**
     * Below this many multiply-adds in all (or a comparable count), {@link #parallelFor(int, long, IntConsumer)}
     * stays on the calling thread; {@code -Ddsv32.minParallelWork} overrides it. Handing units to {@link SimdTeam}'s
     * spinning helpers costs about half a microsecond, and a helper's first unit runs slower than the caller's:
     * it must first fetch from the other core what the caller just wrote (the job, the input, the prepared rows),
     * at about 0.25 us per cache line on the development machine. On the tiny model's decode, 2^17 (four 128 x 256
     * GEMV units) was faster than 2^15 in 4 of 4 interleaved runs (3-20 us per token), close to 2^16, and faster
     * than 2^18: two-unit products run alone, the batched products of one input ({@link SimdGemmDriver#gemvAll})
     * on both cores.
     */
    public static final long MIN_PARALLEL_WORK = Long.getLong("dsv32.minParallelWork", 1L << 17);

    /**
     * {@link #parallelFor(int, IntConsumer)} when {@code units * workPerUnit} (multiply-adds, or a comparable
     * count) reaches {@link #MIN_PARALLEL_WORK}, else the same units in ascending order on the calling thread. The
     * units and what each computes are the same either way, so the bits do not depend on the choice.
     */
    public static void parallelFor(int units, long workPerUnit, IntConsumer body) {
        if (units <= 1 || (double) units * workPerUnit < MIN_PARALLEL_WORK) {
            for (int u = 0; u < units; u++) body.accept(u);
        } else {
            parallelFor(units, body);
        }
    }

    /**
     * Calls {@code body.accept(u)} once for every unit {@code u} in [0, units), on up to {@link #threads()} threads
     * (the caller among them), and returns when all are done. The first exception thrown by a unit is rethrown.
     * A call from inside a unit (a nested loop) runs its units on its own thread.
     */
    public static void parallelFor(int units, IntConsumer body) {
        int t = Math.min(threads(), units);
        if (t <= 1 || SimdTeam.insideJob()) {
            for (int u = 0; u < units; u++) body.accept(u);
            return;
        }
        if (!SimdTeam.run(units, body, t - 1)) pooled(units, body, t);
    }

    /** The loop on pool threads started for this call: for a caller that finds the team busy with another's loop. */
    private static void pooled(int units, IntConsumer body, int t) {
        SimdTeam.Job job = new SimdTeam.Job(body, units, t);
        CountDownLatch finished = new CountDownLatch(t - 1);
        for (int i = 1; i < t; i++) {
            int slot = i;
            POOL.execute(() -> {
                try {
                    job.work(slot);
                } finally {
                    finished.countDown();
                }
            });
        }
        job.work(0);
        try {
            finished.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for simd worker threads", e);
        }
        job.rethrow();
    }
}
