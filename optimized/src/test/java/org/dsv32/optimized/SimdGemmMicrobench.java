package org.dsv32.optimized;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.dsv32.spec.weights.Fp8BlockWeight;

/**
 * A quick local speed check, not a test and not a benchmark of record (JMH and {@code ./dsv32 bench} are): one
 * FP8 GEMM of M x N x K and one GEMV of N x K, timed after warm-up. Run by hand, e.g.
 * {@code java --add-modules jdk.incubator.vector -cp ... org.dsv32.optimized.SimdGemmMicrobench 128 2048 7168}.
 */
public final class SimdGemmMicrobench {
    public static void main(String[] args) {
        int m = args.length > 0 ? Integer.parseInt(args[0]) : 128;
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 2048;
        int k = args.length > 2 ? Integer.parseInt(args[2]) : 7168;
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        Random rnd = new Random(1);
        byte[] codes = new byte[n * k];
        for (int i = 0; i < codes.length; i++) {
            int c = rnd.nextInt(256);
            if ((c & 0x7F) == 0x7F) c ^= 1;
            codes[i] = (byte) c;
        }
        int sr = (n + 127) / 128, sc = (k + 127) / 128;
        float[] s = new float[sr * sc];
        for (int i = 0; i < s.length; i++) s[i] = 0x1p-8f;
        MemorySegment scales = MemorySegment.ofArray(new byte[4 * s.length]);
        for (int i = 0; i < s.length; i++) scales.set(SimdLayouts.F32, 4L * i, s[i]);
        // native memory, as a memory-mapped checkpoint is (vector loads from heap segments are slower)
        MemorySegment nativeCodes = java.lang.foreign.Arena.global().allocate(codes.length, 64);
        MemorySegment.copy(codes, 0, nativeCodes, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, codes.length);
        Fp8BlockWeight w = Fp8BlockWeight.of("bench", nativeCodes, scales, n, k);
        float[] a = new float[m * k];
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        float[] y = new float[m * n];
        // On a shared machine wall time includes waiting for a core; with one thread (-Ddsv32.threads=1) the
        // calling thread's CPU time is the better measure of the kernel itself.
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        System.out.printf("width %d bits, %d threads%n", SimdSpecies.bits(), SimdThreads.threads());
        for (int r = 0; r < reps; r++) {
            long c0 = mx.getCurrentThreadCpuTime(), t0 = System.nanoTime();
            SimdFp8Gemm.multiply(a, null, m, w, y);
            long c1 = mx.getCurrentThreadCpuTime(), t1 = System.nanoTime();
            System.out.printf("GEMM %dx%dx%d: wall %.1f ms (%.1f GFLOP/s), caller cpu %.1f ms (%.1f GFLOP/s)%n", m, n, k,
                    (t1 - t0) / 1e6, 2.0 * m * n * k / (t1 - t0), (c1 - c0) / 1e6, 2.0 * m * n * k / (c1 - c0));
        }
        float[] y1 = new float[n];
        for (int r = 0; r < reps * 4; r++) {
            long c0 = mx.getCurrentThreadCpuTime(), t0 = System.nanoTime();
            SimdGemmDriver.gemv(SimdGemmProblem.fp8(a, null, 1, w, y1));
            long c1 = mx.getCurrentThreadCpuTime(), t1 = System.nanoTime();
            System.out.printf("GEMV %dx%d: wall %.2f ms (%.1f GB/s of weights), caller cpu %.2f ms (%.1f GB/s)%n", n, k,
                    (t1 - t0) / 1e6, (double) n * k / (t1 - t0), (c1 - c0) / 1e6, (double) n * k / (c1 - c0));
        }
    }
}
