package org.dsv32.optimized;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;

/**
 * A quick local speed check, not a test and not a benchmark of record ({@code ./dsv32 bench --ops fp8_wgrad} is):
 * the fp8 Wgrad dW [N][K] = dY^T X of each token count given (an MoE expert's group: 104..150; a plain layer: 4096),
 * quantisation included, best of the repetitions in the calling thread's CPU time, so run it with
 * {@code -Ddsv32.threads=1}, and with the launcher's {@code -XX:+UseParallelGC -XX:+UseTransparentHugePages} (C's
 * stores dominate at one or two inner blocks, and 4 KB pages change them). E.g.
 * {@code java --add-modules jdk.incubator.vector -Ddsv32.threads=1 -cp ... org.dsv32.optimized.SimdWgradMicrobench 2048 7168 30 128 150 4096}.
 */
public final class SimdWgradMicrobench {
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2048, k = args.length > 1 ? Integer.parseInt(args[1]) : 7168;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int[] tokens = args.length > 3 ? java.util.Arrays.stream(args, 3, args.length).mapToInt(Integer::parseInt).toArray() : new int[] {128, 150};
        SimdFp8Backward op = new SimdFp8Backward(new OpContext(ModelConfig.deepseekV32(), PrecisionMode.FP8));
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Random rnd = new Random(1);
        float[] dw = new float[n * k];
        System.out.printf("width %d bits, %d threads%n", SimdSpecies.bits(), SimdThreads.threads());
        for (int m : tokens) {
            float[] dy = new float[m * n], x = new float[m * k];
            for (int i = 0; i < dy.length; i++) dy[i] = (float) rnd.nextGaussian();
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            double best = Double.MAX_VALUE;
            for (int r = 0; r < reps; r++) {
                long c0 = mx.getCurrentThreadCpuTime();
                op.wgrad(dy, x, m, n, k, dw);
                best = Math.min(best, (mx.getCurrentThreadCpuTime() - c0) / 1e6);
            }
            System.out.printf("Wgrad %d tokens, %dx%d: caller cpu %.2f ms, %.1f GFLOP/s%n", m, n, k, best, 2.0 * m * n * k / best / 1e6);
        }
    }
}
