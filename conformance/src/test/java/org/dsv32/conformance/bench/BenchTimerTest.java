package org.dsv32.conformance.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The harness's counting and bookkeeping (never a speed). */
class BenchTimerTest {
    @Test
    void warmUpThenMeasuredRunsWithTheUntimedStepBeforeEach() {
        AtomicInteger before = new AtomicInteger(), calls = new AtomicInteger();
        BenchTimer t = new BenchTimer(2, 0, 5, 0, 5, 100);
        BenchTimer.Timing r = t.time(before::incrementAndGet, calls::incrementAndGet, 1);
        assertEquals(5, r.runs());
        assertEquals(7, calls.get());
        assertEquals(7, before.get());
        assertTrue(r.best() > 0 && r.best() <= r.median());
    }

    @Test
    void aSlowCallIsMeasuredAtLeastOnceAndStopsAtMaxSeconds() {
        AtomicInteger calls = new AtomicInteger();
        BenchTimer t = new BenchTimer(0, 0, 10, 0, 10, 0.001);
        BenchTimer.Timing r = t.time(() -> {}, () -> {
            calls.incrementAndGet();
            long end = System.nanoTime() + 2_000_000;
            while (System.nanoTime() < end) Thread.onSpinWait();
        }, 1);
        assertEquals(1, r.runs());
        assertEquals(1, calls.get());
        assertTrue(r.best() >= 0.002);
    }

    @Test
    void scalingMultipliesTimesAndKeepsTheCount() {
        BenchTimer.Timing t = new BenchTimer.Timing(2, 1, 3, 0.5).scaled(4);
        assertEquals(8, t.median());
        assertEquals(4, t.best());
        assertEquals(3, t.runs());
    }
}
