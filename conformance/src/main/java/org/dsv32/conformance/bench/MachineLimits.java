package org.dsv32.conformance.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntToDoubleFunction;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * This machine's limits, measured in the same run as the benchmarks they are compared with.
 *
 * <ul>
 *   <li>fp32 peak: every thread runs {@value #CHAINS} independent chains of vector FMAs ({@code a = a * m + c}) of
 *       the preferred width — enough chains to cover the FMA latency on every current x86 and ARM core — so the
 *       loop is bound by FMA throughput only; 2 flops per lane per FMA.</li>
 *   <li>memory bandwidth: every thread sums its share of a native buffer much larger than the caches with vector
 *       loads (a streaming read, as a GEMV reads its weights); bytes read per second.</li>
 * </ul>
 * Both take the best of many short passes over all threads at once (the same thread count as the kernels), as the
 * benchmarks report their best call: on a machine shared with other work (or whose vCPUs share cores with other
 * tenants) a long average would measure the neighbours, not the hardware.
 */
public record MachineLimits(int threads, int vectorBits, double fp32PeakGflops, double bandwidthGbPerS, long bandwidthBufferBytes) {
    static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Long> LS = LongVector.SPECIES_PREFERRED;
    /** Independent FMA chains per thread (covers 4-cycle latency x 2 pipes with room to spare). */
    static final int CHAINS = 12;

    /** The better of each limit of this and {@code other} (measured at another time of the same run). */
    public MachineLimits max(MachineLimits other) {
        return new MachineLimits(threads, vectorBits, Math.max(fp32PeakGflops, other.fp32PeakGflops),
                Math.max(bandwidthGbPerS, other.bandwidthGbPerS), bandwidthBufferBytes);
    }

    /** Measures both limits with {@code threads} threads, streaming over {@code bufferBytes} bytes. */
    public static MachineLimits measure(int threads, long bufferBytes, int passes) {
        double peak = fmaPeakGflops(threads, passes);
        double bw = bandwidthGbPerS(threads, bufferBytes, passes);
        return new MachineLimits(threads, FS.vectorBitSize(), peak, bw, bufferBytes);
    }

    /** Seconds one FMA pass lasts. */
    static final double FMA_PASS_SECONDS = 0.02;

    /** fp32 FMA throughput over all threads in GFLOP/s, the best of {@code passes} passes of about 20 ms. */
    public static double fmaPeakGflops(int threads, int passes) {
        for (int i = 0; i < 20; i++) fmaChains(20_000, i); // JIT-compile the loop before timing it
        long t0 = System.nanoTime();
        fmaChains(200_000, 1);
        double perIter = Math.max(1e-10, (System.nanoTime() - t0) / 1e9 / 200_000);
        int iters = (int) Math.min(Integer.MAX_VALUE, Math.max(10_000, (long) (FMA_PASS_SECONDS / perIter)));
        double flopsPerThread = 2.0 * CHAINS * FS.length() * iters;
        double best = 0;
        for (int p = 0; p < passes; p++) {
            double seconds = parallelSeconds(threads, t -> fmaChains(iters, t + 1));
            best = Math.max(best, threads * flopsPerThread / seconds / 1e9);
        }
        return best;
    }

    /** Streaming-read bandwidth over all threads in GB/s (10^9 bytes), the best of {@code passes} passes. */
    public static double bandwidthGbPerS(int threads, long bufferBytes, int passes) {
        long unit = (long) LS.vectorByteSize() * 4 * threads;
        long bytes = Math.max(unit, bufferBytes / unit * unit);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buf = arena.allocate(bytes, 64);
            buf.fill((byte) 1); // touch every page, so the passes time reads rather than page faults
            MemorySegment small = buf.asSlice(0, Math.min(bytes, 1 << 20));
            for (int i = 0; i < 50; i++) sum(small, 0, small.byteSize() / unit * unit);
            long share = bytes / threads;
            double best = 0;
            for (int p = 0; p < passes + 1; p++) {
                double seconds = parallelSeconds(threads, t -> sum(buf, t * share, (t + 1) * share));
                if (p > 0) best = Math.max(best, bytes / seconds / 1e9); // the first pass only warms the TLB
            }
            return best;
        }
    }

    /**
     * Runs {@code body(t)} on {@code threads} threads released together; the time from the first thread's start to
     * the last one's end, each taken by the worker itself (the coordinating thread may be descheduled on a busy
     * machine, so its own clock readings would not bracket the work).
     */
    static double parallelSeconds(int threads, IntToDoubleFunction body) {
        CyclicBarrier start = new CyclicBarrier(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        double[] sink = new double[threads];
        long[] t0 = new long[threads], t1 = new long[threads];
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts[t] = Thread.ofPlatform().daemon().name("dsv32-bench-limit-" + t).start(() -> {
                try {
                    start.await();
                    t0[id] = System.nanoTime();
                    sink[id] = body.applyAsDouble(id);
                    t1[id] = System.nanoTime();
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    start.reset();
                }
            });
        }
        try {
            for (Thread t : ts) t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("measuring a machine limit was interrupted", e);
        }
        if (failure.get() != null) throw new IllegalStateException("measuring a machine limit failed", failure.get());
        long first = Long.MAX_VALUE, last = Long.MIN_VALUE;
        double keep = 0;
        for (int t = 0; t < threads; t++) {
            first = Math.min(first, t0[t]);
            last = Math.max(last, t1[t]);
            keep += sink[t];
        }
        if (Double.isNaN(keep + 1)) throw new IllegalStateException("unreachable: keeps the results alive");
        return Math.max(1e-9, (last - first) / 1e9);
    }

    /**
     * {@code iters} rounds of {@value #CHAINS} independent vector FMAs; returns a value that depends on all of them
     * (and on {@code seed}, so nothing can be hoisted out of the calls). The chains start from constants: started
     * from values computed at run time, C2 produced a loop that ran at half the FMA throughput of this CPU (one
     * 512-bit FMA per cycle instead of two, measured on AMD Zen 5).
     */
    static double fmaChains(int iters, int seed) {
        FloatVector m = FloatVector.broadcast(FS, 0.999999f), c = FloatVector.broadcast(FS, 1e-6f);
        FloatVector a0 = FloatVector.broadcast(FS, 1), a1 = FloatVector.broadcast(FS, 2), a2 = FloatVector.broadcast(FS, 3);
        FloatVector a3 = FloatVector.broadcast(FS, 4), a4 = FloatVector.broadcast(FS, 5), a5 = FloatVector.broadcast(FS, 6);
        FloatVector a6 = FloatVector.broadcast(FS, 7), a7 = FloatVector.broadcast(FS, 8), a8 = FloatVector.broadcast(FS, 9);
        FloatVector a9 = FloatVector.broadcast(FS, 10), a10 = FloatVector.broadcast(FS, 11), a11 = FloatVector.broadcast(FS, 12);
        for (int i = 0; i < iters; i++) { // an int counter: C2 unrolls counted int loops, not long ones
            a0 = a0.fma(m, c); a1 = a1.fma(m, c); a2 = a2.fma(m, c); a3 = a3.fma(m, c);
            a4 = a4.fma(m, c); a5 = a5.fma(m, c); a6 = a6.fma(m, c); a7 = a7.fma(m, c);
            a8 = a8.fma(m, c); a9 = a9.fma(m, c); a10 = a10.fma(m, c); a11 = a11.fma(m, c);
        }
        FloatVector s = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11);
        return s.reduceLanes(VectorOperators.ADD) + seed;
    }

    /** The sum of the longs in [from, to) of {@code seg} (to - from a multiple of four vectors), read with vector loads. */
    static double sum(MemorySegment seg, long from, long to) {
        long step = LS.vectorByteSize();
        LongVector s0 = LongVector.zero(LS), s1 = s0, s2 = s0, s3 = s0;
        for (long o = from; o + 4 * step <= to; o += 4 * step) {
            s0 = s0.add(LongVector.fromMemorySegment(LS, seg, o, ByteOrder.LITTLE_ENDIAN));
            s1 = s1.add(LongVector.fromMemorySegment(LS, seg, o + step, ByteOrder.LITTLE_ENDIAN));
            s2 = s2.add(LongVector.fromMemorySegment(LS, seg, o + 2 * step, ByteOrder.LITTLE_ENDIAN));
            s3 = s3.add(LongVector.fromMemorySegment(LS, seg, o + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        return s0.add(s1).add(s2).add(s3).reduceLanes(VectorOperators.ADD);
    }
}
