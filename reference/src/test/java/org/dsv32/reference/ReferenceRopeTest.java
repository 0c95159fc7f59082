package org.dsv32.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.tolerance.Tolerances;
import org.junit.jupiter.api.Test;

class ReferenceRopeTest {
    private static final int D = 64; // qk_rope_head_dim of V3.2

    private static RopeOp rope() { return TestContexts.op(RopeOp.class, TestContexts.exact()); }

    private static int[] positions(int rows, Random rnd) {
        int[] p = new int[rows];
        for (int i = 0; i < rows; i++) p[i] = rnd.nextInt(200_000); // beyond original_max_position_embeddings = 4096
        return p;
    }

    private static double norm(TensorF64 x, int r) {
        double s = 0;
        for (int c = 0; c < x.cols(); c++) s += x.at(r, c) * x.at(r, c);
        return Math.sqrt(s);
    }

    /** The interleave permutation P: half-split dims (i, i + d/2) land on interleaved dims (2i, 2i + 1). */
    private static TensorF64 interleave(TensorF64 halfSplit) {
        TensorF64 out = TensorF64.zeros(halfSplit.rows(), D);
        for (int r = 0; r < halfSplit.rows(); r++) {
            for (int i = 0; i < D / 2; i++) {
                out.put(r, 2 * i, halfSplit.at(r, i));
                out.put(r, 2 * i + 1, halfSplit.at(r, i + D / 2));
            }
        }
        return out;
    }

    @Property(tries = 30, seed = "4096")
    void bothLayoutsPreserveTheNormOfEveryRow(@ForAll long seed) {
        Random rnd = new Random(seed);
        TensorF64 x = TestWeights.matrix(4, D, 2.0, rnd);
        int[] p = positions(4, rnd);
        for (RopeLayout layout : RopeLayout.values()) {
            TensorF64 y = rope().apply(x, p, layout);
            // two D-term sums of squares, and cos^2 + sin^2 = 1 within a few roundings
            for (int r = 0; r < 4; r++) {
                assertEquals(norm(x, r), norm(y, r), (KernelTolerances.float64Reordered(D) + KernelTolerances.float64(6)) * norm(x, r), layout + " row " + r);
            }
        }
    }

    @Property(tries = 30, seed = "1117")
    void layoutsAreRelatedByTheInterleavePermutation(@ForAll long seed) {
        Random rnd = new Random(seed);
        TensorF64 x = TestWeights.matrix(3, D, 1.0, rnd);
        int[] p = positions(3, rnd);
        TensorF64 viaInterleaved = rope().apply(interleave(x), p, RopeLayout.INTERLEAVED);
        TensorF64 viaHalfSplit = interleave(rope().apply(x, p, RopeLayout.HALF_SPLIT));
        assertTrue(Arrays.equals(viaInterleaved.toArray(), viaHalfSplit.toArray()), "rope(P x) = P rope'(x)");
        // and the layouts are not the same rotation (the silent port bug must be visible)
        TensorF64 wrong = rope().apply(x, p, RopeLayout.INTERLEAVED);
        TensorF64 right = rope().apply(x, p, RopeLayout.HALF_SPLIT);
        assertTrue(!Arrays.equals(wrong.toArray(), right.toArray()));
    }

    @Test
    void closedFormOnThePairsOfTheFirstAndLastFrequency() {
        // V3.2's YaRN leaves i = 0 (f = theta^0 = 1) unscaled and divides i = 31 (f = 10000^(-62/64)) by factor 40:
        // the ramp is 0 below dimension 10 and 1 above dimension 23.
        int p = 123_456;
        double fLast = Math.pow(10000, -62.0 / 64) / 40;
        TensorF64 x = TensorF64.zeros(2, D);
        x.put(0, 0, 1.0);                   // interleaved pair 0: dims (0, 1)
        x.put(0, 63, 2.0);                  // interleaved pair 31: dims (62, 63), b = 2
        x.put(1, 0, 1.0);                   // half-split pair 0: dims (0, 32)
        x.put(1, 63, 2.0);                  // half-split pair 31: dims (31, 63), b = 2
        // the angle p f rounds (2u p f), then cos and sin (within one ulp), then the product with the amplitude
        double tol0 = angleTol(p, 1.0), tolLast = 2 * angleTol(p, fLast);
        TensorF64 il = rope().apply(x.row(0).reshape(1, D), new int[] {p}, RopeLayout.INTERLEAVED);
        assertEquals(Math.cos(p), il.at(0, 0), tol0);
        assertEquals(Math.sin(p), il.at(0, 1), tol0);
        assertEquals(-2 * Math.sin(p * fLast), il.at(0, 62), tolLast);
        assertEquals(2 * Math.cos(p * fLast), il.at(0, 63), tolLast);
        TensorF64 hs = rope().apply(x.row(1).reshape(1, D), new int[] {p}, RopeLayout.HALF_SPLIT);
        assertEquals(Math.cos(p), hs.at(0, 0), tol0);
        assertEquals(Math.sin(p), hs.at(0, 32), tol0);
        assertEquals(-2 * Math.sin(p * fLast), hs.at(0, 31), tolLast);
        assertEquals(2 * Math.cos(p * fLast), hs.at(0, 63), tolLast);
        for (int c = 0; c < D; c++) {
            if (c != 0 && c != 1 && c != 62 && c != 63) assertEquals(0.0, il.at(0, c), 0.0, "interleaved dim " + c);
            if (c != 0 && c != 32 && c != 31 && c != 63) assertEquals(0.0, hs.at(0, c), 0.0, "half-split dim " + c);
        }
    }

    @Test
    void positionZeroIsTheIdentity() {
        TensorF64 x = TestWeights.matrix(3, D, 1.0, new Random(0));
        for (RopeLayout layout : RopeLayout.values()) {
            assertTrue(Arrays.equals(x.toArray(), rope().apply(x, new int[3], layout).toArray()), layout.toString());
        }
    }

    @Property(tries = 30, seed = "77")
    void rotationsCompose(@ForAll long seed, @ForAll @IntRange(max = 100_000) int p, @ForAll @IntRange(max = 100_000) int q) {
        // with p as the row's position, R(p) R(q) x = R(p + q) x
        TensorF64 x = TestWeights.matrix(1, D, 1.0, new Random(seed));
        for (RopeLayout layout : RopeLayout.values()) {
            TensorF64 twice = rope().apply(rope().apply(x, new int[] {q}, layout), new int[] {p}, layout);
            TensorF64 once = rope().apply(x, new int[] {p + q}, layout);
            // three rotations, each by an angle of at most 2u (p + q) f_0 error (f_0 = 1, the largest frequency)
            for (int c = 0; c < D; c++) assertEquals(once.at(0, c), twice.at(0, c), 3 * Math.sqrt(2) * angleTol(p + q, 1.0), layout + " dim " + c);
        }
    }

    @Property(tries = 30, seed = "78")
    void scoresDependOnlyOnTheRelativePosition(@ForAll long seed, @ForAll @IntRange(max = 50_000) int t,
                                               @ForAll @IntRange(max = 50_000) int s, @ForAll @IntRange(max = 50_000) int shift) {
        Random rnd = new Random(seed);
        TensorF64 q = TestWeights.matrix(1, D, 1.0, rnd), k = TestWeights.matrix(1, D, 1.0, rnd);
        for (RopeLayout layout : RopeLayout.values()) {
            double a = dot(rope().apply(q, new int[] {t}, layout), rope().apply(k, new int[] {s}, layout));
            double b = dot(rope().apply(q, new int[] {t + shift}, layout), rope().apply(k, new int[] {s + shift}, layout));
            // four rotated vectors, each off by its angle error times its norm, then a D-term dot product each
            // (sum |q_i k_i| <= |q| |k|)
            double tol = (4 * angleTol(Math.max(t, s) + shift, 1.0) + KernelTolerances.float64Reordered(D)) * norm(q, 0) * norm(k, 0);
            assertEquals(a, b, tol, layout.toString());
        }
    }

    /** An angle p f in float64 (2u p f), its cos or sin (one ulp) and one product: the error of a unit-amplitude element. */
    private static double angleTol(long p, double f) {
        return Tolerances.angleError(p, f, Tolerances.U_FP64) + KernelTolerances.float64(4);
    }

    private static double dot(TensorF64 a, TensorF64 b) {
        double s = 0;
        for (int i = 0; i < a.size(); i++) s += a.getFlat(i) * b.getFlat(i);
        return s;
    }

    @Test
    void rejectsRowsOfTheWrongWidthAndMismatchedPositions() {
        assertThrows(IllegalArgumentException.class, () -> rope().apply(TensorF64.zeros(1, 128), new int[1], RopeLayout.INTERLEAVED));
        assertThrows(IllegalArgumentException.class, () -> rope().apply(TensorF64.zeros(2, D), new int[1], RopeLayout.INTERLEAVED));
    }

    @Test
    void inputIsNotModified() {
        TensorF64 x = TestWeights.matrix(2, D, 1.0, new Random(9));
        double[] before = x.toArray();
        rope().apply(x, new int[] {5, 9}, RopeLayout.HALF_SPLIT);
        assertTrue(Arrays.equals(before, x.toArray()));
    }
}
