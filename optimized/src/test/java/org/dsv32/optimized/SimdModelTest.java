package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.checkpoint.CheckpointLoader;
import org.dsv32.spec.metrics.Metrics;
import org.dsv32.spec.ops.BlockOp;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.ModelSession;
import org.dsv32.spec.ops.MtpOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.tolerance.Tolerances;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The simd model, blocks and MTP on the tiny checkpoint (seed 1, ue8m0), against the reference and against
 * themselves (decode = prefill, thread counts).
 */
class SimdModelTest {
    static int[] tokens(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(SimdLayerFixtures.config().vocabSize());
        return t;
    }

    static ModelSession session(Backend b, PrecisionMode mode) {
        CheckpointLoader ckpt = SimdLayerFixtures.tiny();
        return b.require(ModelOp.class, SimdLayerFixtures.context(mode)).open(ckpt.weights());
    }

    /** Teacher-forced logits as ./dsv32 logits runs them: the prompt as one prefill (its last row), then each token alone. */
    static double[][] teacherForced(Backend b, PrecisionMode mode, int[] seq, int prompt) {
        ModelSession s = session(b, mode);
        double[][] out = new double[1 + seq.length - prompt][];
        TensorF64 l = s.forward(Arrays.copyOf(seq, prompt));
        out[0] = l.rowArray(l.rows() - 1);
        for (int i = prompt; i < seq.length; i++) out[1 + i - prompt] = s.forward(new int[] {seq[i]}).rowArray(0);
        return out;
    }

    /**
     * The bound, measured: teacher-forced fp8 logits of two 40-token sequences (8-token prompt, 32 decode
     * steps, far beyond index_topk = 8) within calc_diff 1e-6 of the reference with the same argmax at every step,
     * at every vector width this machine runs (the widths round differently, and CI may have another).
     *
     * <p>The bound is not a property of every input: an activation whose float32 value lands on the other side of
     * (or exactly on) an e4m3 rounding midpoint than the float64 one gets a neighbouring code, and the tiny random
     * model amplifies that one code to calc_diff 1e-4..1e-1 on later steps. Of six checkpoint seeds tried with the
     * parity bench, two met such a flip (seed 4: the layer-0 attention input -0.71874998 in float64 is -0.71875 in
     * float32, exactly the midpoint 92 * 2^-7 between the codes 88 and 96; see the final report). These token
     * sequences meet none at any width; a change that makes them fail deserves a look, not a looser bound.
     */
    @Test
    void fp8LogitsMatchTheReferenceOnTwoSequences() {
        double worst = 0;
        for (long seed : new long[] {101, 202}) {
            int[] seq = tokens(40, seed);
            double[][] r = teacherForced(SimdLayerFixtures.REFERENCE, PrecisionMode.FP8, seq, 8);
            for (int bits : SimdSpecies.supportedBits()) {
                double[][] s = SimdSpecies.withBits(bits, () -> teacherForced(SimdLayerFixtures.SIMD, PrecisionMode.FP8, seq, 8));
                for (int step = 0; step < r.length; step++) {
                    double cd = Metrics.calcDiff(s[step], r[step]);
                    worst = Math.max(worst, cd);
                    String where = "sequence " + seed + ", width " + bits + ", step " + step;
                    assertTrue(cd <= Tolerances.LOGITS_PARITY_CALC_DIFF, where + ": calc_diff " + cd);
                    assertEquals(Metrics.argmax(r[step]), Metrics.argmax(s[step]), where + ": argmax");
                }
            }
        }
        System.out.printf("fp8 logits vs reference: worst calc_diff %.3e%n", worst);
    }

    @Test
    void exactLogitsMatchTheReference() {
        int[] seq = tokens(20, 303);
        double[][] s = teacherForced(SimdLayerFixtures.SIMD, PrecisionMode.EXACT, seq, 6);
        double[][] r = teacherForced(SimdLayerFixtures.REFERENCE, PrecisionMode.EXACT, seq, 6);
        double worst = 0;
        for (int step = 0; step < r.length; step++) {
            double cd = Metrics.calcDiff(s[step], r[step]);
            worst = Math.max(worst, cd);
            assertTrue(cd <= KernelTolerances.EXACT_ROW_CALC_DIFF, "step " + step + ": calc_diff " + cd);
            assertEquals(Metrics.argmax(r[step]), Metrics.argmax(s[step]), "step " + step + ": argmax");
        }
        System.out.printf("exact logits vs reference: worst calc_diff %.3e%n", worst);
    }

    @ParameterizedTest
    @EnumSource(value = PrecisionMode.class, names = {"EXACT", "FP8"}) // bf16: prefill and decode round at different points
    void decodeStepByStepEqualsPrefill(PrecisionMode mode) {
        int[] seq = tokens(20, 404);
        TensorF64 prefill = session(SimdLayerFixtures.SIMD, mode).forward(seq);
        ModelSession s = session(SimdLayerFixtures.SIMD, mode);
        double worst = 0;
        for (int t = 0; t < seq.length; t++) {
            double[] a = s.forward(new int[] {seq[t]}).rowArray(0), b = prefill.rowArray(t);
            double cd = Metrics.calcDiff(a, b);
            worst = Math.max(worst, cd);
            // the exact-mode bound in both modes: decode and prefill round at the same points, and this sequence
            // meets no e4m3 midpoint between them
            assertTrue(cd <= KernelTolerances.EXACT_ROW_CALC_DIFF, mode + " token " + t + ": calc_diff " + cd);
        }
        assertEquals(seq.length, s.position());
        System.out.printf("%s decode vs prefill: worst calc_diff %.3e%n", mode, worst);
    }

    @Test
    void prefillInTwoChunksEqualsOnePrefill() {
        int[] seq = tokens(20, 505);
        for (PrecisionMode mode : PrecisionMode.values()) {
            TensorF64 whole = session(SimdLayerFixtures.SIMD, mode).forward(seq);
            ModelSession s = session(SimdLayerFixtures.SIMD, mode);
            s.forward(Arrays.copyOfRange(seq, 0, 11));
            TensorF64 rest = s.forward(Arrays.copyOfRange(seq, 11, seq.length));
            for (int t = 11; t < seq.length; t++) {
                double cd = Metrics.calcDiff(rest.rowArray(t - 11), whole.rowArray(t));
                assertTrue(cd <= KernelTolerances.EXACT_ROW_CALC_DIFF, mode + " token " + t + ": calc_diff " + cd);
            }
        }
    }

    @Test
    void logitsAreBitwiseTheSameForOneAndTwoThreads() {
        int[] seq = tokens(14, 606);
        for (PrecisionMode mode : PrecisionMode.values()) {
            double[][] one = SimdThreads.withThreads(1, () -> teacherForced(SimdLayerFixtures.SIMD, mode, seq, 10));
            double[][] two = SimdThreads.withThreads(2, () -> teacherForced(SimdLayerFixtures.SIMD, mode, seq, 10));
            for (int i = 0; i < one.length; i++) assertArrayEquals(one[i], two[i], mode + " step " + i);
        }
    }

    @ParameterizedTest
    @EnumSource(PrecisionMode.class)
    void blocksMatchTheReference(PrecisionMode mode) {
        CheckpointLoader ckpt = SimdLayerFixtures.tiny();
        TensorF64 x = SimdLayerFixtures.activation(new java.util.Random(707), 12, ckpt.config().hiddenSize());
        for (int layer = 0; layer < 2; layer++) { // layer 0 dense, layer 1 MoE
            var w = ckpt.weights().layers().get(layer);
            TensorF64 s = SimdLayerFixtures.SIMD.require(BlockOp.class, SimdLayerFixtures.context(mode)).forward(x, 0, w, new LayerCache());
            TensorF64 r = SimdLayerFixtures.REFERENCE.require(BlockOp.class, SimdLayerFixtures.context(mode)).forward(x, 0, w, new LayerCache());
            double cd = Metrics.calcDiff(s.toArray(), r.toArray());
            // fp8: the logits' parity bound (a block's output feeds them); exact: the output row bound taken norm-wise
            double bound = mode.hasFp8RoundingPoints() ? Tolerances.LOGITS_PARITY_CALC_DIFF : Tolerances.calcDiffOf(KernelTolerances.outputRowExact());
            assertTrue(cd <= bound, mode + " layer " + layer + ": calc_diff " + cd);
        }
    }

    @ParameterizedTest
    @EnumSource(PrecisionMode.class)
    void mtpMatchesTheReference(PrecisionMode mode) {
        CheckpointLoader ckpt = SimdLayerFixtures.tiny();
        int[] seq = tokens(13, 808);
        // the same hidden states for both: the reference model's, after the final norm
        ModelSession main = session(SimdLayerFixtures.REFERENCE, mode);
        main.forward(Arrays.copyOf(seq, 12));
        TensorF64 hidden = main.lastHidden();
        int[] next = Arrays.copyOfRange(seq, 1, 13);
        TensorF64 s = SimdLayerFixtures.SIMD.require(MtpOp.class, SimdLayerFixtures.context(mode)).forward(hidden, next, 0, ckpt.weights(), 0, new LayerCache());
        TensorF64 r = SimdLayerFixtures.REFERENCE.require(MtpOp.class, SimdLayerFixtures.context(mode)).forward(hidden, next, 0, ckpt.weights(), 0, new LayerCache());
        for (int t = 0; t < 12; t++) {
            double cd = Metrics.calcDiff(s.rowArray(t), r.rowArray(t));
            // the MTP's output is logits: the parity bound in fp8 mode, the exact-mode row bound otherwise
            double bound = mode.hasFp8RoundingPoints() ? Tolerances.LOGITS_PARITY_CALC_DIFF : KernelTolerances.EXACT_ROW_CALC_DIFF;
            assertTrue(cd <= bound, mode + " row " + t + ": calc_diff " + cd);
        }
    }
}
