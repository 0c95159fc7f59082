package org.dsv32.optimized;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The helper threads behind {@link SimdThreads#parallelFor(int, IntConsumer)}: started once, they spin for a while
 * after each loop before parking, so the next loop of a decode step (products arrive microseconds apart) starts on
 * all cores at once instead of waiting for a parked thread to wake, which costs tens of microseconds, as much as a
 * small product. One loop at a time: a caller that finds the team busy (another application thread) is told so
 * and uses a pool instead. Which thread runs which unit never changes what the unit computes.
 */
final class SimdTeam {
    /**
     * How long an idle helper spins before it parks: long enough to span the gaps between the products of a decode
     * step and between a benchmark's calls (a parked helper joins a loop tens of microseconds late).
     */
    static final long SPIN_NANOS = 2_000_000;

    private SimdTeam() {}

    private static final AtomicBoolean BUSY = new AtomicBoolean();
    private static final List<Helper> HELPERS = new ArrayList<>();
    /** The loop being run, or null; helpers take it when it changes. */
    private static volatile Job current;
    private static final ThreadLocal<Boolean> IN_JOB = ThreadLocal.withInitial(() -> false);

    /**
     * One parallel loop: units handed out in ascending order to whoever asks; the first failure is kept. The
     * counters are plain fields of the job, updated through field updaters, so they share the job's cache line: a
     * helper joining a loop moves one line from the posting core instead of one per counter (about 0.25 us each
     * between the cores of the development machine, more than a small unit's work).
     */
    static final class Job {
        private static final AtomicIntegerFieldUpdater<Job> NEXT = AtomicIntegerFieldUpdater.newUpdater(Job.class, "next");
        private static final AtomicIntegerFieldUpdater<Job> DONE = AtomicIntegerFieldUpdater.newUpdater(Job.class, "done");
        private static final AtomicIntegerFieldUpdater<Job> JOINED = AtomicIntegerFieldUpdater.newUpdater(Job.class, "joined");

        final IntConsumer body;
        final int units;
        final int helpers;
        private volatile int next, done, joined;
        private volatile Throwable failure;

        Job(IntConsumer body, int units, int helpers) {
            this.body = body;
            this.units = units;
            this.helpers = helpers;
        }

        /** Whether one more helper may join (at most {@code helpers} do). */
        boolean join() { return JOINED.incrementAndGet(this) <= helpers; }

        /** Whether every unit has been run (or skipped after a failure). */
        boolean finished() { return done >= units; }

        /**
         * Runs units until none is left (after a failure, the rest are skipped but counted). The units it ran are
         * counted once at the end: one write to the shared counter per thread, not per unit.
         */
        void work() {
            int ran = 0;
            for (int u; (u = NEXT.getAndIncrement(this)) < units; ran++) {
                try {
                    if (failure == null) body.accept(u);
                } catch (Throwable e) {
                    synchronized (this) {
                        if (failure == null) failure = e;
                    }
                }
            }
            if (ran > 0) DONE.addAndGet(this, ran);
        }

        /** Throws the first failure of a unit, if any. */
        void rethrow() {
            Throwable f = failure;
            if (f instanceof RuntimeException re) throw re;
            if (f instanceof Error er) throw er;
            if (f != null) throw new IllegalStateException(f);
        }
    }

    private static final class Helper extends Thread {
        /** Set while parked or about to park: only then does a new loop need to unpark it (unpark is not free). */
        volatile boolean parked;

        Helper(int index) {
            super("dsv32-simd-" + index);
            setDaemon(true);
        }

        @Override
        public void run() {
            IN_JOB.set(true);
            Job last = null;
            long idleSince = System.nanoTime();
            while (true) {
                Job j = current;
                if (j != null && j != last) {
                    last = j;
                    if (j.join()) j.work();
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    parked = true;
                    if (current == null || current == last) LockSupport.park(this); // a loop posted since is taken at once
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }

    /** Whether the current thread is running a unit of a team loop (its own loops then stay on it). */
    static boolean insideJob() { return IN_JOB.get(); }

    /**
     * Runs the units on the calling thread and up to {@code helpers} team threads; false, having run nothing, if the
     * team is busy with another caller's loop.
     */
    static boolean run(int units, IntConsumer body, int helpers) {
        if (!BUSY.compareAndSet(false, true)) return false;
        try {
            List<Helper> team = team(helpers);
            Job job = new Job(body, units, helpers);
            current = job;
            for (int i = 0; i < helpers; i++) {
                Helper h = team.get(i);
                if (h.parked) LockSupport.unpark(h);
            }
            IN_JOB.set(true);
            try {
                job.work();
            } finally {
                IN_JOB.set(false);
            }
            // the last units may still be running on helpers
            for (long spins = 0; !job.finished(); spins++) {
                if (spins < 100_000) Thread.onSpinWait();
                else Thread.yield();
            }
            current = null;
            job.rethrow();
            return true;
        } finally {
            BUSY.set(false);
        }
    }

    /** At least n helpers, started on first need. Called holding BUSY. */
    private static List<Helper> team(int n) {
        while (HELPERS.size() < n) {
            Helper h = new Helper(HELPERS.size() + 1);
            HELPERS.add(h);
            h.start();
        }
        return HELPERS;
    }
}
