package org.dsv32.conformance.bench;

import java.util.Arrays;
import java.util.Locale;
import org.dsv32.spec.backend.Backends;
import org.dsv32.spec.config.ModelPresets;

/**
 * A hand-run speed check of the few-row GEMM and the MoE layer, not a test and not a benchmark of record
 * ({@code ./dsv32 bench} is): run with {@code -Ddsv32.threads=1} for the single-thread kernel. Prints the best and
 * the median of the timed calls and the calling thread's CPU share.
 * <ul>
 *   <li>{@code gemm M N K REPS}: the simd FP8 product of {@link Fp8GemmWorkload} (cold weights, as the bench);</li>
 *   <li>{@code warm M N K REPS [SUB]}: the same with one W, which stays in the last-level cache (SUB: a share of its
 *   codes made e4m3 subnormals);</li>
 *   <li>{@code moe TOKENS REPS DISTINCT}: one MoE layer of {@link MoeWorkload} at the real dimensions.</li>
 * </ul>
 */
public final class FewRowHarness {
    public static void main(String[] args) throws Exception {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        String mode = args[0];
        Runnable call;
        double flops;
        int reps;
        if (mode.equals("gemm")) {
            int m = Integer.parseInt(args[1]);
            Fp8GemmWorkload w = Fp8GemmWorkload.create(m, new Fp8GemmWorkload.Shape(Integer.parseInt(args[2]), Integer.parseInt(args[3])), 7);
            reps = Integer.parseInt(args[4]);
            call = w::runSimd;
            flops = w.flops();
        } else if (mode.equals("warm")) {
            int m = Integer.parseInt(args[1]), n = Integer.parseInt(args[2]), k = Integer.parseInt(args[3]);
            var weight = BenchData.fp8(java.lang.foreign.Arena.global(), "warm", n, k, 7);
            // optional: a share of the codes made e4m3 subnormals (real checkpoints have some; the bench's have none)
            double sub = args.length > 5 ? Double.parseDouble(args[5]) : 0;
            java.util.SplittableRandom sr = new java.util.SplittableRandom(11);
            for (long i = 0; i < (long) n * k; i++) {
                if (sub > 0 && sr.nextDouble() < sub) weight.codes().set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (1 + sr.nextInt(7) | (sr.nextBoolean() ? 0x80 : 0)));
            }
            var linear = new org.dsv32.optimized.SimdLinear(new org.dsv32.spec.backend.OpContext(ModelPresets.deepseekV32(),
                    org.dsv32.spec.backend.PrecisionMode.FP8));
            float[] x = BenchData.gaussian(m * k, 1.0, 3), y = new float[m * n];
            reps = Integer.parseInt(args[4]);
            call = () -> linear.multiply(x, m, weight, y);
            flops = 2.0 * m * n * k;
        } else {
            int tokens = Integer.parseInt(args[1]);
            reps = Integer.parseInt(args[2]);
            MoeWorkload w = new MoeWorkload(ModelPresets.deepseekV32(), tokens, Integer.parseInt(args[3]), 10);
            LayerWorkload.Call c = w.call(Backends.byName("simd")).orElseThrow();
            call = c.run();
            flops = w.flops();
        }
        for (int i = 0; i < Math.max(3, reps / 4); i++) call.run();
        double[] wall = new double[reps], cpu = new double[reps];
        for (int r = 0; r < reps; r++) {
            long c0 = mx.getCurrentThreadCpuTime(), t0 = System.nanoTime();
            call.run();
            cpu[r] = (mx.getCurrentThreadCpuTime() - c0) / 1e9;
            wall[r] = (System.nanoTime() - t0) / 1e9;
        }
        double[] sorted = wall.clone();
        Arrays.sort(sorted);
        double cpuShare = Arrays.stream(cpu).sum() / Arrays.stream(wall).sum();
        System.out.printf(Locale.ROOT, "%s %s: best %.3f ms (%.1f GFLOP/s), median %.3f ms, caller cpu/wall %.2f%n",
                mode, String.join(" ", Arrays.copyOfRange(args, 1, args.length)), sorted[0] * 1e3, flops / sorted[0] / 1e9,
                sorted[reps / 2] * 1e3, cpuShare);
    }
}
