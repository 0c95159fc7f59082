package org.dsv32.optimized;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.checkpoint.CheckpointLoader;
import org.dsv32.spec.checkpoint.TinyCheckpointWriter;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.metrics.Metrics;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.ModelSession;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tolerances;

/**
 * Not a test (never timed in a unit test): teacher-forced logits of the simd backend against the reference on the
 * tiny checkpoint, the way {@code ./dsv32 logits} runs them (prompt as one prefill, then each decode token alone),
 * with the worst calc_diff, the argmax agreement per step, and the decode time per token of both backends.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp <test classpath> org.dsv32.optimized.SimdLogitsParityBench
 * [fp8|exact] [seed] [prompt] [decode] [sequences]} (defaults fp8 1 8 32 2). Properties: {@code -Dreps=N} (simd runs
 * 4N times, the reference max(2, N/2) times; the best decode time of each counts, the first runs warming the JIT),
 * {@code -Dreference=false} (one reference run only, for profiling simd), {@code -Dvariant=ue8m0|plain},
 * {@code -Dverbose=true} (prefill and decode time of every run), and the backend's {@code -Ddsv32.threads},
 * {@code -Ddsv32.vectorBits}.
 */
public final class SimdLogitsParityBench {
    public static void main(String[] args) throws Exception {
        PrecisionMode mode = PrecisionMode.parse(args.length > 0 ? args[0] : "fp8");
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 1;
        int prompt = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        int decode = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        int sequences = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        Path dir = Files.createTempDirectory("dsv32-parity");
        TinyCheckpointWriter.write(dir, ModelPresets.tiny(), seed, TinyCheckpointWriter.Variant.parse(System.getProperty("variant", "ue8m0")));
        try (CheckpointLoader ckpt = CheckpointLoader.open(dir)) {
            OpContext ctx = new OpContext(ckpt.config(), mode);
            Backend ref = new ReferenceBackend(), simd = new SimdBackend();
            SplittableRandom rnd = new SplittableRandom(seed * 7919 + 1);
            List<int[]> seqs = new ArrayList<>();
            for (int b = 0; b < sequences; b++) {
                int[] t = new int[prompt + decode];
                for (int i = 0; i < t.length; i++) t[i] = rnd.nextInt(ckpt.config().vocabSize());
                seqs.add(t);
            }
            // the best of several repetitions, the first ones warming the JIT up
            int reps = Integer.getInteger("reps", 5);
            long[] refTime = {Long.MAX_VALUE}, simdTime = {Long.MAX_VALUE};
            List<double[]> r = null, s = null;
            int refReps = Boolean.parseBoolean(System.getProperty("reference", "true")) ? Math.max(2, reps / 2) : 1;
            for (int i = 0; i < refReps; i++) r = run(ref, ctx, ckpt, seqs, prompt, refTime);
            for (int i = 0; i < reps * 4; i++) s = run(simd, ctx, ckpt, seqs, prompt, simdTime);
            double worst = 0;
            int argmaxSame = 0;
            for (int i = 0; i < r.size(); i++) {
                double cd = Metrics.calcDiff(s.get(i), r.get(i));
                boolean same = Metrics.argmax(s.get(i)) == Metrics.argmax(r.get(i));
                if (same) argmaxSame++;
                if (cd > worst) worst = cd;
                int b = i / (decode + 1), step = i % (decode + 1);
                if (cd > Tolerances.LOGITS_PARITY_CALC_DIFF / 10 || !same) { // within a decade of the parity bound, or beyond
                    System.out.printf(Locale.ROOT, "seq%d.step%d calc_diff %.3e max_abs %.3e argmax %s%n", b, step, cd,
                            Metrics.maxAbs(s.get(i), r.get(i)), same ? "same" : "DIFFERENT");
                }
            }
            int decodeSteps = sequences * decode;
            System.out.printf(Locale.ROOT, "%s, seed %d: %d steps, worst calc_diff %.3e, argmax equal %d/%d%n", mode.label(), seed,
                    r.size(), worst, argmaxSame, r.size());
            System.out.printf(Locale.ROOT, "decode: reference %.3f ms/token, simd %.3f ms/token (%d threads, %d-bit), speed-up %.1fx%n",
                    refTime[0] / 1e6 / decodeSteps, simdTime[0] / 1e6 / decodeSteps, SimdThreads.threads(), SimdSpecies.bits(),
                    (double) refTime[0] / simdTime[0]);
        }
    }

    /** Logits of every step (prompt's last row, then each decode step); decodeNanos[0] = min(itself, this run's time in decode steps). */
    static List<double[]> run(Backend b, OpContext ctx, CheckpointLoader ckpt, List<int[]> seqs, int prompt, long[] decodeNanos) {
        List<double[]> out = new ArrayList<>();
        long total = 0, prefill = 0;
        ModelOp model = b.require(ModelOp.class, ctx);
        for (int[] t : seqs) {
            ModelSession s = model.open(ckpt.weights());
            long p0 = System.nanoTime();
            TensorF64 l = s.forward(java.util.Arrays.copyOf(t, prompt));
            prefill += System.nanoTime() - p0;
            out.add(l.rowArray(l.rows() - 1));
            long t0 = System.nanoTime();
            for (int i = prompt; i < t.length; i++) out.add(s.forward(new int[] {t[i]}).rowArray(0));
            total += System.nanoTime() - t0;
        }
        if (decodeNanos != null) decodeNanos[0] = Math.min(decodeNanos[0], total);
        if (Boolean.getBoolean("verbose")) {
            System.out.printf(Locale.ROOT, "  %s: prefill %.1f ms, decode %.1f ms%n", b.name(), prefill / 1e6, total / 1e6);
        }
        return out;
    }
}
