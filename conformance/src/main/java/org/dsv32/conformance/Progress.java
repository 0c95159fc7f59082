package org.dsv32.conformance;

import java.util.function.LongSupplier;

/**
 * Receives progress while a run goes on (the CLI prints it on stderr). Two kinds of line: {@link #report} for a
 * milestone (a check finished, a sequence done), which a user wants to see, and {@link #step} for one step of long
 * work (a case, a decode token), which only shows that the run is alive and where it is. A plain {@code Progress}
 * treats both alike; {@link #rateLimited} passes every milestone and at most one step line per interval.
 */
@FunctionalInterface
public interface Progress {
    /** A milestone line. */
    void report(String line);

    /** A step line: one of many; a {@link RateLimited} progress drops most of them. */
    default void step(String line) { report(line); }

    /** This progress with {@code prefix} before every line (e.g. the backend and check a shared runner works for). */
    default Progress withPrefix(String prefix) {
        Progress self = this;
        return new Progress() {
            @Override public void report(String line) { self.report(prefix + line); }
            @Override public void step(String line) { self.step(prefix + line); }
        };
    }

    /** This progress with milestones demoted to steps: for a sub-run whose own milestones are details to its caller. */
    default Progress asSteps() {
        Progress self = this;
        return new Progress() {
            @Override public void report(String line) { self.step(line); }
            @Override public void step(String line) { self.step(line); }
        };
    }

    Progress NONE = line -> {};

    /** Default interval between two step lines. */
    long DEFAULT_INTERVAL_NANOS = 2_000_000_000L;

    /** {@code sink} with steps rate-limited by {@code nanoTime} (injected so that tests need no wall clock). */
    static RateLimited rateLimited(Progress sink, LongSupplier nanoTime, long minIntervalNanos) {
        return new RateLimited(sink, nanoTime, minIntervalNanos);
    }

    /**
     * Passes every milestone to its sink; passes a step only when at least the interval has gone by since the last
     * line it passed (the first step always passes), and keeps the latest dropped step, which {@link #finish} passes
     * so that the final state is always shown. Thread-safe.
     */
    final class RateLimited implements Progress {
        private final Progress sink;
        private final LongSupplier nanoTime;
        private final long interval;
        private boolean printed;
        private long last;
        private String pending;

        RateLimited(Progress sink, LongSupplier nanoTime, long minIntervalNanos) {
            if (minIntervalNanos < 0) throw new IllegalArgumentException("negative interval " + minIntervalNanos);
            this.sink = sink;
            this.nanoTime = nanoTime;
            this.interval = minIntervalNanos;
        }

        @Override
        public synchronized void report(String line) {
            pending = null;
            pass(line, nanoTime.getAsLong());
        }

        @Override
        public synchronized void step(String line) {
            long now = nanoTime.getAsLong();
            if (!printed || now - last >= interval) {
                pending = null;
                pass(line, now);
            } else {
                pending = line;
            }
        }

        /** Passes the latest step line that was held back, if any (call when the work ends, or fails). */
        public synchronized void finish() {
            if (pending != null) pass(pending, nanoTime.getAsLong());
            pending = null;
        }

        private void pass(String line, long now) {
            sink.report(line);
            printed = true;
            last = now;
        }
    }
}
