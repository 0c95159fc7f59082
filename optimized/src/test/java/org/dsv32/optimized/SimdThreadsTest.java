package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The parallel loop behind every simd kernel: each unit once, failures surfaced, nesting and concurrent callers. */
class SimdThreadsTest {
    private static int[] expectedOnes(int n) {
        int[] e = new int[n];
        java.util.Arrays.fill(e, 1);
        return e;
    }

    private static int[] runCounting(int units) {
        AtomicIntegerArray count = new AtomicIntegerArray(units);
        SimdThreads.parallelFor(units, count::incrementAndGet);
        int[] c = new int[units];
        for (int i = 0; i < units; i++) c[i] = count.get(i);
        return c;
    }

    @Test
    void everyUnitRunsExactlyOnceForAnyThreadCount() {
        for (int threads : new int[] {1, 2, 3, 5}) {
            for (int units : new int[] {1, 2, 7, 64, 1000}) {
                for (int repeat = 0; repeat < 20; repeat++) {
                    int[] c = SimdThreads.withThreads(threads, () -> runCounting(units));
                    assertArrayEquals(expectedOnes(units), c, threads + " threads, " + units + " units");
                }
            }
        }
    }

    @Test
    void aFailingUnitIsRethrownAndTheLoopStillWorksAfterwards() {
        IllegalStateException boom = new IllegalStateException("unit 13");
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> SimdThreads.withThreads(2, () -> {
            SimdThreads.parallelFor(40, u -> {
                if (u == 13) throw boom;
            });
            return null;
        }));
        assertSame(boom, thrown);
        assertArrayEquals(expectedOnes(40), SimdThreads.withThreads(2, () -> runCounting(40)));
    }

    @Test
    void nestedLoopsRunEveryInnerUnit() {
        AtomicIntegerArray inner = new AtomicIntegerArray(8 * 16);
        SimdThreads.withThreads(2, () -> {
            SimdThreads.parallelFor(8, o -> SimdThreads.parallelFor(16, i -> inner.incrementAndGet(o * 16 + i)));
            return null;
        });
        for (int i = 0; i < inner.length(); i++) assertEquals(1, inner.get(i), "inner unit " + i);
    }

    /** Four application threads at once: one holds the team, the others find it busy and use the pool. */
    @Test
    void concurrentCallersAllComplete() throws Exception {
        int callers = 4;
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(callers);
        java.util.List<CompletableFuture<int[]>> results = new java.util.ArrayList<>();
        for (int f = 0; f < callers; f++) {
            CompletableFuture<int[]> result = new CompletableFuture<>();
            results.add(result);
            Thread t = new Thread(() -> {
                try {
                    start.await();
                    int[] all = new int[0];
                    for (int r = 0; r < 200; r++) all = runCounting(100);
                    result.complete(all);
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                }
            });
            t.start();
        }
        for (CompletableFuture<int[]> r : results) assertArrayEquals(expectedOnes(100), r.get());
    }
}
