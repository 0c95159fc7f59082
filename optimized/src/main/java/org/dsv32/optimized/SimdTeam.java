package org.dsv32.optimized;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
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
     * One parallel loop. Its units are cut into one contiguous range per slot (slot 0 the caller, slot i helper i),
     * always the same for the same unit count, so while the helpers keep up a unit runs on the same core loop after
     * loop and finds what it read last time in that core's own caches. A thread runs its own range first, then
     * takes what is left of the others', so a helper that joins late does not hold the loop up. Each range's
     * counter has a cache line of its own: claiming a unit of one's own range does not move a line between cores
     * (about 0.25 us per move on the development machine; with one shared counter, caller and helper moved it on
     * every claim). On the tiny model's decode this measured no worse than one shared counter and at best a few
     * percent faster, within that machine's run-to-run noise. The first failure is kept.
     */
    static final class Job {
        private static final AtomicIntegerFieldUpdater<Job> DONE = AtomicIntegerFieldUpdater.newUpdater(Job.class, "done");
        /** ints from one slot's counter to the next: 128 bytes, apart even for an adjacent-line prefetcher. */
        private static final int STRIDE = 32;

        final IntConsumer body;
        final int units;
        /** Slots: the caller and {@code slots - 1} helpers. */
        final int slots;
        /** next[s * STRIDE]: the next unit of slot s's range not yet taken. */
        private final AtomicIntegerArray next;
        private volatile int done;
        private volatile Throwable failure;

        Job(IntConsumer body, int units, int slots) {
            this.body = body;
            this.units = units;
            this.slots = slots;
            this.next = new AtomicIntegerArray(slots * STRIDE);
            for (int s = 1; s < slots; s++) next.lazySet(s * STRIDE, start(s));
        }

        /** The first unit of slot s's range (and the end of slot s - 1's). */
        private int start(int s) { return (int) ((long) units * s / slots); }

        /** Whether every unit has been run (or skipped after a failure). */
        boolean finished() { return done >= units; }

        /**
         * Runs the units of slot's range, then those left in the other ranges (after a failure, the rest are
         * skipped but counted). The units it ran are counted once at the end: one write to the shared counter per
         * thread, not per unit.
         */
        void work(int slot) {
            int ran = 0;
            for (int i = 0; i < slots; i++) {
                int s = (slot + i) % slots, end = start(s + 1);
                for (int u; (u = next.getAndIncrement(s * STRIDE)) < end; ran++) {
                    try {
                        if (failure == null) body.accept(u);
                    } catch (Throwable e) {
                        synchronized (this) {
                            if (failure == null) failure = e;
                        }
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

        /** Its slot in every loop it joins (1, 2, ...): the same units each time. */
        final int slot;

        Helper(int index) {
            super("dsv32-simd-" + index);
            this.slot = index;
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
                    if (slot < j.slots) j.work(slot);
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
            Job job = new Job(body, units, helpers + 1);
            current = job;
            for (int i = 0; i < helpers; i++) {
                Helper h = team.get(i);
                if (h.parked) LockSupport.unpark(h);
            }
            IN_JOB.set(true);
            try {
                job.work(0);
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
