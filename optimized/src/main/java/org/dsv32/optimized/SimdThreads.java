package org.dsv32.optimized;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * The shared worker threads of the {@code simd} backend: {@code -Ddsv32.threads} (default: available processors),
 * overridable in code for tests with {@link #withThreads}.
 *
 * <p>Work is always cut into the same units whatever the thread count (for example, one unit per 128 output
 * rows) and every unit is computed by one thread in a fixed order, so results are bitwise identical for any number
 * of threads; the threads only decide who computes which unit.
 */
public final class SimdThreads {
    public static final String PROPERTY = "dsv32.threads";

    private static final int CONFIGURED = Math.max(1, Integer.getInteger(PROPERTY, Runtime.getRuntime().availableProcessors()));
    private static volatile int override = -1;
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "dsv32-simd");
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
     * Calls {@code body.accept(u)} once for every unit {@code u} in [0, units), on up to {@link #threads()} threads
     * (the caller among them), and returns when all are done. The first exception thrown by a unit is rethrown.
     */
    public static void parallelFor(int units, IntConsumer body) {
        int t = Math.min(threads(), units);
        if (t <= 1) {
            for (int u = 0; u < units; u++) body.accept(u);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(units);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable worker = () -> {
            for (int u; (u = next.getAndIncrement()) < units; ) {
                try {
                    if (failure.get() == null) body.accept(u);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    done.countDown();
                }
            }
        };
        for (int i = 1; i < t; i++) POOL.execute(worker);
        worker.run();
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for simd worker threads", e);
        }
        Throwable f = failure.get();
        if (f instanceof RuntimeException re) throw re;
        if (f instanceof Error er) throw er;
        if (f != null) throw new IllegalStateException(f);
    }
}
