package org.dsv32.optimized;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.weights.Fp8BlockWeight;

/**
 * Where the register-tiled FP8 GEMM spends its time, one thread, by hand (not a test, not a benchmark of record):
 * the per-core fp32 FMA peak of this JVM, the 6-row microkernel alone on L1-resident operands, the W decode alone
 * (into a panel larger than L1 and into one L1 slab), one driver unit (128 rows x 128 or 256 columns x K), the whole
 * product at the bench's M = 128 shapes, and ({@code variants}) the register-tile shapes of
 * {@link SimdGemmTileVariants} side by side. Arguments: best-of count, then the parts (peak, micro, pack, unit,
 * full, variants; default all but variants). Run e.g.
 * {@code java --add-modules jdk.incubator.vector -Ddsv32.threads=1 -cp ... org.dsv32.optimized.SimdGemmTileBench 8 peak,full};
 * the kernel methods are found by name, so the same class also times an earlier build's kernels (parts a build
 * lacks are skipped). The weight's codes are e4m3 roundings of N(0, 64^2) as the bench's (uniform random bytes
 * would make one code in sixteen an e4m3 subnormal, whose decode passes through an fp32 subnormal and takes a
 * microcode assist: the older SimdGemmMicrobench measures 69 instead of about 115 GFLOP/s for that reason).
 */
public final class SimdGemmTileBench {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final int KB = 128;
    /** The kernel methods timed alone (null where the kernels on the class path have none of that name). */
    static final MethodHandle MICRO, PACK, PACK_PANEL, TRANSPOSE, LANE_ROWS;
    /** micro6x4's parameter count: 16 (fixed-stride a panel) or 18 (the earlier kernel: a with its row stride, slab stride). */
    static final int MICRO_PARAMS;

    static {
        try {
            Class<?> c = SimdGemmKernels.current().getClass();
            MethodHandles.Lookup lk = MethodHandles.privateLookupIn(c, MethodHandles.lookup());
            MICRO = find(lk, c, "micro6x4");
            PACK = find(lk, c, "pack");
            PACK_PANEL = find(lk, c, "packSlab");
            MICRO_PARAMS = MICRO.type().parameterCount() == 1 ? microParams(c) : 0;
            TRANSPOSE = lk.findStatic(c, "transpose", MethodType.methodType(boolean.class, MemorySegment.class, long[].class, long.class, int[].class, boolean.class));
            LANE_ROWS = lk.findStatic(c, "laneRows", MethodType.methodType(void.class, SimdGemmProblem.class, int.class, int.class, long[].class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static MethodHandle find(MethodHandles.Lookup lk, Class<?> c, String name) throws ReflectiveOperationException {
        for (var m : c.getDeclaredMethods()) {
            if (m.getName().equals(name)) return lk.unreflect(m).asSpreader(Object[].class, m.getParameterCount());
        }
        return null;
    }

    private static int microParams(Class<?> c) {
        for (var m : c.getDeclaredMethods()) if (m.getName().equals("micro6x4")) return m.getParameterCount();
        return 0;
    }

    /**
     * The clock of every timing: wall time, best of several runs (this VM's thread CPU clock read 40% above wall time
     * on the core-bound peak loop, so it is not used).
     */
    static long now() { return System.nanoTime(); }

    public static void main(String[] args) throws Throwable {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        String only = args.length > 1 ? args[1] : "all";
        System.out.printf("width %d bits, %d threads%n", SimdSpecies.bits(), SimdThreads.threads());
        double peak = 0;
        if (only.equals("all") || only.contains("peak")) {
            for (int r = 0; r < reps; r++) peak = Math.max(peak, peak());
            System.out.printf("peak fp32 FMA, one core: %.1f GFLOP/s%n", peak);
        }
        if (only.equals("all") || only.contains("micro")) micro(reps, peak);
        if (only.equals("all") || only.contains("pack")) pack(reps);
        if (only.contains("variants")) variants(reps, peak);
        if (only.equals("all") || only.contains("unit")) {
            unit(reps, peak, 128, 7168);
            unit(reps, peak, 256, 7168);
        }
        if (only.equals("all") || only.contains("full")) full(reps, peak);
    }

    /**
     * 24 independent FMA chains (the register tile's count) started from distinct constants (identical chains would
     * be merged by C2 into one latency-bound chain), as GFLOP/s.
     */
    static double peak() {
        FloatVector m = FloatVector.broadcast(F, 0.999999f), c = FloatVector.broadcast(F, 1e-6f);
        FloatVector c0 = FloatVector.broadcast(F, 1), c1 = FloatVector.broadcast(F, 2), c2 = FloatVector.broadcast(F, 3),
                c3 = FloatVector.broadcast(F, 4), c4 = FloatVector.broadcast(F, 5), c5 = FloatVector.broadcast(F, 6),
                c6 = FloatVector.broadcast(F, 7), c7 = FloatVector.broadcast(F, 8), c8 = FloatVector.broadcast(F, 9),
                c9 = FloatVector.broadcast(F, 10), c10 = FloatVector.broadcast(F, 11), c11 = FloatVector.broadcast(F, 12),
                c12 = FloatVector.broadcast(F, 13), c13 = FloatVector.broadcast(F, 14), c14 = FloatVector.broadcast(F, 15),
                c15 = FloatVector.broadcast(F, 16), c16 = FloatVector.broadcast(F, 17), c17 = FloatVector.broadcast(F, 18),
                c18 = FloatVector.broadcast(F, 19), c19 = FloatVector.broadcast(F, 20), c20 = FloatVector.broadcast(F, 21),
                c21 = FloatVector.broadcast(F, 22), c22 = FloatVector.broadcast(F, 23), c23 = FloatVector.broadcast(F, 24);
        int n = 2_000_000;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            c0 = c0.fma(m, c); c1 = c1.fma(m, c); c2 = c2.fma(m, c); c3 = c3.fma(m, c); c4 = c4.fma(m, c); c5 = c5.fma(m, c);
            c6 = c6.fma(m, c); c7 = c7.fma(m, c); c8 = c8.fma(m, c); c9 = c9.fma(m, c); c10 = c10.fma(m, c); c11 = c11.fma(m, c);
            c12 = c12.fma(m, c); c13 = c13.fma(m, c); c14 = c14.fma(m, c); c15 = c15.fma(m, c); c16 = c16.fma(m, c); c17 = c17.fma(m, c);
            c18 = c18.fma(m, c); c19 = c19.fma(m, c); c20 = c20.fma(m, c); c21 = c21.fma(m, c); c22 = c22.fma(m, c); c23 = c23.fma(m, c);
        }
        long t = System.nanoTime() - t0;
        FloatVector s = c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11).add(c12)
                .add(c13).add(c14).add(c15).add(c16).add(c17).add(c18).add(c19).add(c20).add(c21).add(c22).add(c23);
        if (s.reduceLanes(jdk.incubator.vector.VectorOperators.ADD) == 42f) System.out.print("");
        return 2.0 * 24 * L * n / t;
    }

    /** e4m3 codes as the bench makes them (roundings of N(0, 64^2)), in native memory. */
    static Fp8BlockWeight weight(int n, int k, long seed) {
        Random r = new Random(seed);
        byte[] table = new byte[256];
        for (int i = 0; i < 256; i++) table[i] = E4M3.encode(64 * r.nextGaussian());
        MemorySegment codes = Arena.global().allocate((long) n * k, 64);
        for (long i = 0; i < (long) n * k; i++) codes.set(ValueLayout.JAVA_BYTE, i, table[r.nextInt(256)]);
        int sr = Fp8BlockWeight.scaleRows(n, 128), sc = Fp8BlockWeight.scaleCols(k, 128);
        MemorySegment scales = Arena.global().allocate(4L * sr * sc, 64);
        for (int i = 0; i < sr * sc; i++) scales.set(SimdLayouts.F32, 4L * i, Math.scalb(0x1p-10f, r.nextInt(3) - 1));
        return Fp8BlockWeight.of("tilebench", codes, scales, n, k);
    }

    static float[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    /** micro6x4 over one k-block, repeatedly, on a 6-row a panel, a [128][4L] panel slab and a tile: all in L1. */
    static void micro(int reps, double peak) throws Throwable {
        int width = 4 * L, pw = 2 * width;
        float[] a = gaussian(6 * KB, 3);
        float[] panel = gaussian(KB * pw, 4);
        float[] tile = new float[6 * pw];
        float[] ws = gaussian(pw, 5);
        Object[] callArgs = MICRO_PARAMS == 18
                ? new Object[] {a, 0, KB, KB, panel, 0, width, tile, 0, pw, ws, 0, 1f, 1f, 1f, 1f, 1f, 1f}
                : new Object[] {a, 0, KB, panel, 0, tile, 0, pw, ws, 0, 1f, 1f, 1f, 1f, 1f, 1f};
        int calls = 20000;
        double best = 0;
        for (int r = 0; r < reps; r++) {
            long t0 = now();
            for (int i = 0; i < calls; i++) MICRO.invokeExact(callArgs);
            long t = now() - t0;
            best = Math.max(best, 2.0 * 6 * width * KB * calls / t);
        }
        System.out.printf("micro6x4, L1 operands: %.1f GFLOP/s (%.0f%% of peak)%n", best, 100 * best / peak);
    }

    /** Every register-tile variant of {@link SimdGemmTileVariants}, interleaved round by round, on L1-resident operands; best of reps. */
    static void variants(int reps, double peak) {
        int n = SimdGemmTileVariants.NAMES.length, lda = 7168;
        double[] best = new double[n];
        float[] ct = new float[16 * 128];
        float[] ws = gaussian(128, 5);
        for (int r = 0; r < reps; r++) {
            for (int v = 0; v < n; v++) {
                int rows = SimdGemmTileVariants.ROWS[v], w = SimdGemmTileVariants.VECS[v] * L;
                float[] a = gaussian(SimdGemmTileVariants.PACKED[v] ? rows * KB : rows * lda, 3);
                float[] wt = gaussian(KB * w, 4);
                int calls = 4_000_000 / (rows * w);
                long t = SimdGemmTileVariants.time(v, calls, a, lda, wt, ct, 128, ws);
                best[v] = Math.max(best[v], 2.0 * rows * w * KB * calls / t);
            }
        }
        for (int v = 0; v < n; v++) {
            System.out.printf("variant %-8s %.1f GFLOP/s (%.0f%% of peak)%n", SimdGemmTileVariants.NAMES[v], best[v], 100 * best[v] / peak);
        }
    }

    /** The decode of a 128-column unit's k-block (128 x 128 codes into the two slabs), repeatedly over K = 7168. */
    static void pack(int reps) throws Throwable {
        int n = 128, k = 7168, width = 4 * L;
        Fp8BlockWeight w = weight(n, k, 6);
        SimdGemmProblem p = SimdGemmProblem.fp8(new float[k], null, 1, w, new float[n]);
        float[] panel = new float[KB * n];
        SimdGemmScratch s = SimdGemmScratch.get();
        double best = Double.MAX_VALUE, bestPanel = Double.MAX_VALUE;
        for (int r = 0; r < reps * 4; r++) {
            long t0 = now();
            for (int b = 0; b < k / KB; b++) {
                for (int g = 0; g < n; g += L) {
                    PACK.invokeExact(new Object[] {p, g, b * KB, KB, panel, width, (g / width) * KB * width + g % width, false, s});
                }
            }
            best = Math.min(best, (now() - t0) / (double) (k / KB));
            if (PACK_PANEL == null) continue;
            t0 = now();
            for (int b = 0; b < k / KB; b++) {
                for (int g = 0; g < n; g += L) {
                    PACK_PANEL.invokeExact(new Object[] {p, g, b * KB, KB, panel, (g / width) * KB * width + g % width, false, s}); // as the 128 KB panel was
                }
            }
            bestPanel = Math.min(bestPanel, (now() - t0) / (double) (k / KB));
        }
        System.out.printf("packSlab into a 64 KB panel, one 128 x 128 k-block: %.0f ns%n", bestPanel);
        double bestL1 = Double.MAX_VALUE;
        for (int r = 0; r < reps * 4 && PACK_PANEL != null; r++) {
            long t0 = now();
            for (int b = 0; b < k / KB; b++) {
                for (int g = 0; g < n; g += L) {
                    PACK_PANEL.invokeExact(new Object[] {p, g, b * KB, KB, panel, g % width, false, s});
                }
            }
            bestL1 = Math.min(bestL1, (now() - t0) / (double) (k / KB));
        }
        System.out.printf("packSlab into one 32 KB slab (L1), one 128 x 128 k-block: %.0f ns%n", bestL1);
        double bestT = Double.MAX_VALUE;
        for (int r = 0; r < reps * 4; r++) {
            long t0 = now();
            for (int b = 0; b < k / KB; b++) {
                for (int g = 0; g < n; g += L) {
                    LANE_ROWS.invokeExact(p, g, b * KB, s.laneOffsets);
                    for (int kk = 0; kk < KB; kk += 4 * L) {
                        boolean nan = (boolean) TRANSPOSE.invokeExact(w.codes(), s.laneOffsets, (long) kk, s.staged, false);
                    }
                }
            }
            bestT = Math.min(bestT, (now() - t0) / (double) (k / KB));
        }
        System.out.printf("laneRows + transpose only, one 128 x 128 k-block: %.0f ns%n", bestT);
        // the FMAs this decode serves per k-block in one 128-row unit: 128 rows x 128 columns x 128 k
        double fmaNs = 2.0 * 128 * 128 * KB / 228.0;
        System.out.printf("pack, one 128 x 128 k-block: %.0f ns (%.0f codes/ns); the unit's FMAs on it at 228 GFLOP/s: %.0f ns%n",
                best, 128.0 * KB / best, fmaNs);
    }

    /** One driver unit: 128 rows x 128 columns x K, as SimdGemmDriver runs it. */
    static void unit(int reps, double peak, int n, int k) {
        int m = 128;
        Fp8BlockWeight w = weight(n, k, 7);
        float[] a = gaussian(m * k, 8);
        SimdGemmProblem p = SimdGemmProblem.fp8(a, null, m, w, new float[m * n]);
        SimdGemmKernels kern = SimdGemmKernels.current();
        SimdGemmScratch s = SimdGemmScratch.get();
        double best = 0;
        for (int r = 0; r < reps * 4; r++) {
            try {
                java.util.Arrays.fill((long[]) kern.getClass().getDeclaredField("TIMES").get(null), 0);
            } catch (ReflectiveOperationException e) {
                // no instrumentation in this build
            }
            long t0 = now();
            kern.gemm(p, 0, m, 0, n, s);
            best = Math.max(best, 2.0 * m * n * k / (now() - t0));
        }
        System.out.printf("unit 128 x %d x %d: %.1f GFLOP/s (%.0f%% of peak)%n", n, k, best, 100 * best / peak);
        try {
            long[] t = (long[]) kern.getClass().getDeclaredField("TIMES").get(null);
            long tot = t[0] + t[1] + t[2];
            System.out.printf("  phases (last call): pack %.1f%%, scales+a copy %.1f%% (w scales %.1f%%), micro %.1f%%%n", 100.0 * t[0] / tot, 100.0 * t[1] / tot, 100.0 * t[3] / tot, 100.0 * t[2] / tot);
        } catch (ReflectiveOperationException e) {
            // no instrumentation in this build
        }
    }

    /** The whole product, M = 128, through the driver. */
    static void full(int reps, double peak) {
        int m = 128;
        for (int[] shape : new int[][] {{2048, 7168}, {7168, 2048}, {576, 7168}, {24576, 1536}}) {
            int n = shape[0], k = shape[1];
            Fp8BlockWeight w = weight(n, k, 9);
            float[] a = gaussian(m * k, 10);
            float[] y = new float[m * n];
            double best = 0;
            for (int r = 0; r < reps + 2; r++) {
                long t0 = now();
                SimdFp8Gemm.multiply(a, null, m, w, y);
                best = Math.max(best, 2.0 * m * n * k / (now() - t0));
            }
            System.out.printf("gemm 128 x %d x %d: %.1f GFLOP/s (%.0f%% of %d x peak)%n", n, k, best,
                    100 * best / (peak * SimdThreads.threads()), SimdThreads.threads());
        }
    }
}
