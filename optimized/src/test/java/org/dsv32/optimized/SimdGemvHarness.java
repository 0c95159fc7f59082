package org.dsv32.optimized;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.weights.Fp8BlockWeight;

/**
 * A by-hand, single-thread speed probe of the FP8 GEMV kernel (not a test, not a benchmark of record): the units of
 * one N x K GEMV run on the calling thread, on the first-use path (codes transposed per call) or the repacked one,
 * with W hot (one copy, small enough for L2 when N is small) or cold (cycling through copies of W totalling
 * {@code mib} MiB). Codes are e4m3 roundings of N(0, 64^2) as in the bench, or with {@code sub} a share of subnormal
 * codes. Prints the best and median call in GB/s of codes. Run by hand, e.g.
 * {@code java --add-modules jdk.incubator.vector -cp ... org.dsv32.optimized.SimdGemvHarness 2048 7168 first 1024 3 0}.
 *
 * <p>Args: n k (first|packed) mib seconds subnormalShare.
 */
public final class SimdGemvHarness {
    /** The single-thread streaming read rate of the copies' codes: int-vector sums, best and median pass over one copy. */
    private static void streamRead(Fp8BlockWeight[] ws, long bytes, double seconds, int streams) {
        jdk.incubator.vector.VectorSpecies<Integer> sp = jdk.incubator.vector.IntVector.SPECIES_PREFERRED;
        long[] times = new long[1 << 20];
        int calls = 0, turn = 0, sink = 0;
        long end = System.nanoTime() + (long) (seconds * 1e9), warm = System.nanoTime() + (long) (Math.min(1.0, seconds / 3) * 1e9);
        while (System.nanoTime() < end && calls < times.length) {
            long t0 = System.nanoTime();
            sink += pass(ws[turn].codes(), bytes, streams);
            long t = System.nanoTime() - t0;
            turn = (turn + 1) % ws.length;
            if (t0 > warm) times[calls++] = t;
        }
        long[] done = Arrays.copyOf(times, calls);
        Arrays.sort(done);
        System.out.printf("stream x%d %d copies of %d bytes: best %.2f GB/s, median %.2f GB/s (%d)%n", streams, ws.length, bytes, bytes / (double) done[0],
                bytes / (double) done[calls / 2], sink);
    }

    private static int pass(MemorySegment m, long bytes, int streams) {
        jdk.incubator.vector.VectorSpecies<Integer> sp = jdk.incubator.vector.IntVector.SPECIES_512;
        var a0 = jdk.incubator.vector.IntVector.zero(sp);
        var a1 = a0;
        int step = 64;
        int part = (int) (bytes / streams / (2 * step) * (2 * step));
        for (int o = 0; o < part; o += 2 * step) {
            for (int j = 0; j < streams; j++) {
                a0 = a0.add(jdk.incubator.vector.IntVector.fromMemorySegment(sp, m, (long) j * part + o, java.nio.ByteOrder.LITTLE_ENDIAN));
                a1 = a1.add(jdk.incubator.vector.IntVector.fromMemorySegment(sp, m, (long) j * part + o + step, java.nio.ByteOrder.LITTLE_ENDIAN));
            }
        }
        return a0.add(a1).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]), k = Integer.parseInt(args[1]);
        boolean packed = args[2].equals("packed"), stream = args[2].equals("stream");
        long mib = Long.parseLong(args[3]);
        double seconds = Double.parseDouble(args[4]);
        double sub = args.length > 5 ? Double.parseDouble(args[5]) : 0;
        Random rnd = new Random(7);
        byte[] table = new byte[256];
        for (int i = 0; i < 256; i++) table[i] = E4M3.encode(64 * rnd.nextGaussian());
        long bytes = (long) n * k;
        int copies = (int) Math.max(1, (mib << 20) / bytes);
        byte[] codes = new byte[(int) bytes];
        for (int i = 0; i < codes.length; i++) {
            codes[i] = rnd.nextDouble() < sub ? (byte) (1 + rnd.nextInt(7) | (rnd.nextBoolean() ? 0x80 : 0)) : table[rnd.nextInt(256)];
        }
        int sr = (n + 127) / 128, sc = (k + 127) / 128;
        Fp8BlockWeight[] ws = new Fp8BlockWeight[copies];
        for (int c = 0; c < copies; c++) {
            MemorySegment cs = Arena.global().allocate(bytes, 64);
            MemorySegment.copy(codes, 0, cs, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, codes.length);
            MemorySegment scales = Arena.global().allocate(4L * sr * sc, 64);
            for (int i = 0; i < sr * sc; i++) scales.set(SimdLayouts.F32, 4L * i, Math.scalb(0x1p-13f, rnd.nextInt(3) - 1));
            ws[c] = Fp8BlockWeight.of("w" + c, cs, scales, n, k);
        }
        if (stream) {
            streamRead(ws, bytes, seconds, (int) sub);
            return;
        }
        float[] x = new float[k];
        for (int i = 0; i < k; i++) x[i] = (float) rnd.nextGaussian();
        float[] y = new float[n];
        SimdGemmKernels kernels = SimdGemmKernels.current();
        int lanes = packed ? kernels.bits() / 32 : 1;
        SimdGemvRows.Input input = new SimdGemvRows.Input(x, 1, k);
        SimdGemvRows[] rows = new SimdGemvRows[copies];
        SimdGemmProblem[] ps = new SimdGemmProblem[copies];
        for (int c = 0; c < copies; c++) {
            ps[c] = SimdGemmProblem.fp8(x, null, 1, ws[c], y);
            rows[c] = SimdGemvRows.prepare(ps[c], lanes, input);
            if (packed) rows[c] = SimdGemvRows.prepare(ps[c], lanes, input);
            if (packed != (rows[c].packed != null)) throw new IllegalStateException("packed codes: " + rows[c].packed);
        }
        SimdGemmScratch s = SimdGemmScratch.get();
        int units = (n + SimdGemmDriver.UNIT_N - 1) / SimdGemmDriver.UNIT_N;
        long[] times = new long[1 << 20];
        int calls = 0, turn = 0;
        long end = System.nanoTime() + (long) (seconds * 1e9), warm = System.nanoTime() + (long) (Math.min(1.0, seconds / 3) * 1e9);
        while (System.nanoTime() < end && calls < times.length) {
            long t0 = System.nanoTime();
            SimdGemmProblem p = ps[turn];
            SimdGemvRows r = rows[turn];
            if (SimdThreads.threads() > 1) {
                SimdThreads.parallelFor(units, (long) SimdGemmDriver.UNIT_N * k, u -> {
                    int n0 = u * SimdGemmDriver.UNIT_N;
                    kernels.gemv(p, r, 0, 1, n0, Math.min(n, n0 + SimdGemmDriver.UNIT_N), SimdGemmScratch.get());
                });
            } else {
                for (int u = 0; u < units; u++) {
                    int n0 = u * SimdGemmDriver.UNIT_N;
                    kernels.gemv(p, r, 0, 1, n0, Math.min(n, n0 + SimdGemmDriver.UNIT_N), s);
                }
            }
            long t = System.nanoTime() - t0;
            turn = (turn + 1) % copies;
            if (t0 > warm) times[calls++] = t;
        }
        long[] done = Arrays.copyOf(times, calls);
        Arrays.sort(done);
        double best = done[0], median = done[calls / 2];
        System.out.printf("%s %dx%d %s, %d copies (%d MiB), sub %.3f, width %d, %d threads: %d calls, best %.1f us (%.2f GB/s), median %.1f us (%.2f GB/s) y0=%s%n",
                packed ? "packed" : "first", n, k, copies == 1 ? "hot" : "cold", copies, copies * bytes >> 20, sub, kernels.bits(), SimdThreads.threads(), calls,
                best / 1e3, bytes / best, median / 1e3, bytes / median, Float.toHexString(y[0]));
    }
}
