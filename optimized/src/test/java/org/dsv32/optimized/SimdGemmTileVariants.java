package org.dsv32.optimized;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register-tile variants timed side by side by {@link SimdGemmTileBench} ({@code variants}): experiments, not used
 * by the kernels. R x C: R rows of a broadcast, C vectors of W columns; a read as {@code lda} (rows at a[k + r lda],
 * lda a parameter), {@code rm} (rows at a[k + 128 r], a constant stride) or {@code pk} (a packed k-major, R values
 * per k); u2: the k loop unrolled by two. Generated (one local per register, as the kernels' micro tiles).
 */
final class SimdGemmTileVariants {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final String[] NAMES = {"6x4 lda u1", "6x4 rm u1", "6x4 pk u1", "6x4 pk u2", "8x3 pk u1", "12x2 pk u1", "4x4 rm u1", "2x4 rm u1"};
    static final int[] ROWS = {6, 6, 6, 6, 8, 12, 4, 2};
    static final int[] VECS = {4, 4, 4, 4, 3, 2, 4, 4};
    static final boolean[] PACKED = {false, true, true, true, true, true, true, true};
    /** calls of variant v over one 128-deep k-block; a: R x lda or packed [128][R]; returns ns. */
    static long time(int v, int calls, float[] a, int lda, float[] wt, float[] ct, int ldc, float[] ws) {
        long t0 = System.nanoTime();
        switch (v) {
            case 0 -> { for (int i = 0; i < calls; i++) x6x4lda1(a, 0, lda, 128, wt, 0, ct, 0, ldc, ws, 0, 1f, 1f, 1f, 1f, 1f, 1f); }
            case 1 -> { for (int i = 0; i < calls; i++) x6x4rm1(a, 0, lda, 128, wt, 0, ct, 0, ldc, ws, 0, 1f, 1f, 1f, 1f, 1f, 1f); }
            case 2 -> { for (int i = 0; i < calls; i++) x6x4pk1(a, 0, lda, 128, wt, 0, ct, 0, ldc, ws, 0, 1f, 1f, 1f, 1f, 1f, 1f); }
            case 3 -> { for (int i = 0; i < calls; i++) x6x4pk2(a, 0, lda, 128, wt, 0, ct, 0, ldc, ws, 0, 1f, 1f, 1f, 1f, 1f, 1f); }
            case 4 -> { for (int i = 0; i < calls; i++) x8x3pk1(a, 0, lda, 128, wt, 0, ct, 0, ldc, ws, 0, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f); }
            case 5 -> { for (int i = 0; i < calls; i++) x12x2pk1(a, 0, lda, 128, wt, 0, ct, 0, ldc, ws, 0, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f); }
            case 6 -> { for (int i = 0; i < calls; i++) x4x4rm1(a, 0, lda, 128, wt, 0, ct, 0, ldc, ws, 0, 1f, 1f, 1f, 1f); }
            case 7 -> { for (int i = 0; i < calls; i++) x2x4rm1(a, 0, lda, 128, wt, 0, ct, 0, ldc, ws, 0, 1f, 1f); }
            default -> throw new IllegalArgumentException();
        }
        return System.nanoTime() - t0;
    }

    static void x6x4lda1(float[] a, int a0, int lda, int kl, float[] wt, int j, float[] ct, int c0, int ldc, float[] ws, int jw, float s0, float s1, float s2, float s3, float s4, float s5) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F), c02 = FloatVector.zero(F), c03 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F), c12 = FloatVector.zero(F), c13 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F), c22 = FloatVector.zero(F), c23 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F), c32 = FloatVector.zero(F), c33 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F), c42 = FloatVector.zero(F), c43 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F), c52 = FloatVector.zero(F), c53 = FloatVector.zero(F);
        int k = 0;
        for (; k < kl; k++) {
            int ak = a0 + k;
            int wo0 = j + k * (4 * L);
            FloatVector w0 = FloatVector.fromArray(F, wt, wo0);
            FloatVector w1 = FloatVector.fromArray(F, wt, wo0 + 1 * L);
            FloatVector w2 = FloatVector.fromArray(F, wt, wo0 + 2 * L);
            FloatVector w3 = FloatVector.fromArray(F, wt, wo0 + 3 * L);
            FloatVector x0 = FloatVector.broadcast(F, a[ak]);
            c00 = x0.fma(w0, c00); c01 = x0.fma(w1, c01); c02 = x0.fma(w2, c02); c03 = x0.fma(w3, c03);
            FloatVector x1 = FloatVector.broadcast(F, a[ak + 1 * lda]);
            c10 = x1.fma(w0, c10); c11 = x1.fma(w1, c11); c12 = x1.fma(w2, c12); c13 = x1.fma(w3, c13);
            FloatVector x2 = FloatVector.broadcast(F, a[ak + 2 * lda]);
            c20 = x2.fma(w0, c20); c21 = x2.fma(w1, c21); c22 = x2.fma(w2, c22); c23 = x2.fma(w3, c23);
            FloatVector x3 = FloatVector.broadcast(F, a[ak + 3 * lda]);
            c30 = x3.fma(w0, c30); c31 = x3.fma(w1, c31); c32 = x3.fma(w2, c32); c33 = x3.fma(w3, c33);
            FloatVector x4 = FloatVector.broadcast(F, a[ak + 4 * lda]);
            c40 = x4.fma(w0, c40); c41 = x4.fma(w1, c41); c42 = x4.fma(w2, c42); c43 = x4.fma(w3, c43);
            FloatVector x5 = FloatVector.broadcast(F, a[ak + 5 * lda]);
            c50 = x5.fma(w0, c50); c51 = x5.fma(w1, c51); c52 = x5.fma(w2, c52); c53 = x5.fma(w3, c53);
        }
        FloatVector sw0 = FloatVector.fromArray(F, ws, jw);
        FloatVector sw1 = FloatVector.fromArray(F, ws, jw + 1 * L);
        FloatVector sw2 = FloatVector.fromArray(F, ws, jw + 2 * L);
        FloatVector sw3 = FloatVector.fromArray(F, ws, jw + 3 * L);
        c00.fma(sw0.mul(s0), FloatVector.fromArray(F, ct, c0)).intoArray(ct, c0);
        c01.fma(sw1.mul(s0), FloatVector.fromArray(F, ct, c0 + 1 * L)).intoArray(ct, c0 + 1 * L);
        c02.fma(sw2.mul(s0), FloatVector.fromArray(F, ct, c0 + 2 * L)).intoArray(ct, c0 + 2 * L);
        c03.fma(sw3.mul(s0), FloatVector.fromArray(F, ct, c0 + 3 * L)).intoArray(ct, c0 + 3 * L);
        c10.fma(sw0.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc)).intoArray(ct, c0 + 1 * ldc);
        c11.fma(sw1.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 1 * L)).intoArray(ct, c0 + 1 * ldc + 1 * L);
        c12.fma(sw2.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 2 * L)).intoArray(ct, c0 + 1 * ldc + 2 * L);
        c13.fma(sw3.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 3 * L)).intoArray(ct, c0 + 1 * ldc + 3 * L);
        c20.fma(sw0.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc)).intoArray(ct, c0 + 2 * ldc);
        c21.fma(sw1.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 1 * L)).intoArray(ct, c0 + 2 * ldc + 1 * L);
        c22.fma(sw2.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 2 * L)).intoArray(ct, c0 + 2 * ldc + 2 * L);
        c23.fma(sw3.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 3 * L)).intoArray(ct, c0 + 2 * ldc + 3 * L);
        c30.fma(sw0.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc)).intoArray(ct, c0 + 3 * ldc);
        c31.fma(sw1.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 1 * L)).intoArray(ct, c0 + 3 * ldc + 1 * L);
        c32.fma(sw2.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 2 * L)).intoArray(ct, c0 + 3 * ldc + 2 * L);
        c33.fma(sw3.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 3 * L)).intoArray(ct, c0 + 3 * ldc + 3 * L);
        c40.fma(sw0.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc)).intoArray(ct, c0 + 4 * ldc);
        c41.fma(sw1.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc + 1 * L)).intoArray(ct, c0 + 4 * ldc + 1 * L);
        c42.fma(sw2.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc + 2 * L)).intoArray(ct, c0 + 4 * ldc + 2 * L);
        c43.fma(sw3.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc + 3 * L)).intoArray(ct, c0 + 4 * ldc + 3 * L);
        c50.fma(sw0.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc)).intoArray(ct, c0 + 5 * ldc);
        c51.fma(sw1.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc + 1 * L)).intoArray(ct, c0 + 5 * ldc + 1 * L);
        c52.fma(sw2.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc + 2 * L)).intoArray(ct, c0 + 5 * ldc + 2 * L);
        c53.fma(sw3.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc + 3 * L)).intoArray(ct, c0 + 5 * ldc + 3 * L);
    }

    static void x6x4rm1(float[] a, int a0, int lda, int kl, float[] wt, int j, float[] ct, int c0, int ldc, float[] ws, int jw, float s0, float s1, float s2, float s3, float s4, float s5) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F), c02 = FloatVector.zero(F), c03 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F), c12 = FloatVector.zero(F), c13 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F), c22 = FloatVector.zero(F), c23 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F), c32 = FloatVector.zero(F), c33 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F), c42 = FloatVector.zero(F), c43 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F), c52 = FloatVector.zero(F), c53 = FloatVector.zero(F);
        int k = 0;
        for (; k < kl; k++) {
            int ak = a0 + k;
            int wo0 = j + k * (4 * L);
            FloatVector w0 = FloatVector.fromArray(F, wt, wo0);
            FloatVector w1 = FloatVector.fromArray(F, wt, wo0 + 1 * L);
            FloatVector w2 = FloatVector.fromArray(F, wt, wo0 + 2 * L);
            FloatVector w3 = FloatVector.fromArray(F, wt, wo0 + 3 * L);
            FloatVector x0 = FloatVector.broadcast(F, a[ak]);
            c00 = x0.fma(w0, c00); c01 = x0.fma(w1, c01); c02 = x0.fma(w2, c02); c03 = x0.fma(w3, c03);
            FloatVector x1 = FloatVector.broadcast(F, a[ak + 1 * 128]);
            c10 = x1.fma(w0, c10); c11 = x1.fma(w1, c11); c12 = x1.fma(w2, c12); c13 = x1.fma(w3, c13);
            FloatVector x2 = FloatVector.broadcast(F, a[ak + 2 * 128]);
            c20 = x2.fma(w0, c20); c21 = x2.fma(w1, c21); c22 = x2.fma(w2, c22); c23 = x2.fma(w3, c23);
            FloatVector x3 = FloatVector.broadcast(F, a[ak + 3 * 128]);
            c30 = x3.fma(w0, c30); c31 = x3.fma(w1, c31); c32 = x3.fma(w2, c32); c33 = x3.fma(w3, c33);
            FloatVector x4 = FloatVector.broadcast(F, a[ak + 4 * 128]);
            c40 = x4.fma(w0, c40); c41 = x4.fma(w1, c41); c42 = x4.fma(w2, c42); c43 = x4.fma(w3, c43);
            FloatVector x5 = FloatVector.broadcast(F, a[ak + 5 * 128]);
            c50 = x5.fma(w0, c50); c51 = x5.fma(w1, c51); c52 = x5.fma(w2, c52); c53 = x5.fma(w3, c53);
        }
        FloatVector sw0 = FloatVector.fromArray(F, ws, jw);
        FloatVector sw1 = FloatVector.fromArray(F, ws, jw + 1 * L);
        FloatVector sw2 = FloatVector.fromArray(F, ws, jw + 2 * L);
        FloatVector sw3 = FloatVector.fromArray(F, ws, jw + 3 * L);
        c00.fma(sw0.mul(s0), FloatVector.fromArray(F, ct, c0)).intoArray(ct, c0);
        c01.fma(sw1.mul(s0), FloatVector.fromArray(F, ct, c0 + 1 * L)).intoArray(ct, c0 + 1 * L);
        c02.fma(sw2.mul(s0), FloatVector.fromArray(F, ct, c0 + 2 * L)).intoArray(ct, c0 + 2 * L);
        c03.fma(sw3.mul(s0), FloatVector.fromArray(F, ct, c0 + 3 * L)).intoArray(ct, c0 + 3 * L);
        c10.fma(sw0.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc)).intoArray(ct, c0 + 1 * ldc);
        c11.fma(sw1.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 1 * L)).intoArray(ct, c0 + 1 * ldc + 1 * L);
        c12.fma(sw2.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 2 * L)).intoArray(ct, c0 + 1 * ldc + 2 * L);
        c13.fma(sw3.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 3 * L)).intoArray(ct, c0 + 1 * ldc + 3 * L);
        c20.fma(sw0.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc)).intoArray(ct, c0 + 2 * ldc);
        c21.fma(sw1.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 1 * L)).intoArray(ct, c0 + 2 * ldc + 1 * L);
        c22.fma(sw2.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 2 * L)).intoArray(ct, c0 + 2 * ldc + 2 * L);
        c23.fma(sw3.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 3 * L)).intoArray(ct, c0 + 2 * ldc + 3 * L);
        c30.fma(sw0.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc)).intoArray(ct, c0 + 3 * ldc);
        c31.fma(sw1.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 1 * L)).intoArray(ct, c0 + 3 * ldc + 1 * L);
        c32.fma(sw2.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 2 * L)).intoArray(ct, c0 + 3 * ldc + 2 * L);
        c33.fma(sw3.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 3 * L)).intoArray(ct, c0 + 3 * ldc + 3 * L);
        c40.fma(sw0.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc)).intoArray(ct, c0 + 4 * ldc);
        c41.fma(sw1.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc + 1 * L)).intoArray(ct, c0 + 4 * ldc + 1 * L);
        c42.fma(sw2.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc + 2 * L)).intoArray(ct, c0 + 4 * ldc + 2 * L);
        c43.fma(sw3.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc + 3 * L)).intoArray(ct, c0 + 4 * ldc + 3 * L);
        c50.fma(sw0.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc)).intoArray(ct, c0 + 5 * ldc);
        c51.fma(sw1.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc + 1 * L)).intoArray(ct, c0 + 5 * ldc + 1 * L);
        c52.fma(sw2.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc + 2 * L)).intoArray(ct, c0 + 5 * ldc + 2 * L);
        c53.fma(sw3.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc + 3 * L)).intoArray(ct, c0 + 5 * ldc + 3 * L);
    }

    static void x6x4pk1(float[] a, int a0, int lda, int kl, float[] wt, int j, float[] ct, int c0, int ldc, float[] ws, int jw, float s0, float s1, float s2, float s3, float s4, float s5) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F), c02 = FloatVector.zero(F), c03 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F), c12 = FloatVector.zero(F), c13 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F), c22 = FloatVector.zero(F), c23 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F), c32 = FloatVector.zero(F), c33 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F), c42 = FloatVector.zero(F), c43 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F), c52 = FloatVector.zero(F), c53 = FloatVector.zero(F);
        int k = 0;
        for (; k < kl; k++) {
            int ak = a0 + k * 6;
            int wo0 = j + k * (4 * L);
            FloatVector w0 = FloatVector.fromArray(F, wt, wo0);
            FloatVector w1 = FloatVector.fromArray(F, wt, wo0 + 1 * L);
            FloatVector w2 = FloatVector.fromArray(F, wt, wo0 + 2 * L);
            FloatVector w3 = FloatVector.fromArray(F, wt, wo0 + 3 * L);
            FloatVector x0 = FloatVector.broadcast(F, a[ak]);
            c00 = x0.fma(w0, c00); c01 = x0.fma(w1, c01); c02 = x0.fma(w2, c02); c03 = x0.fma(w3, c03);
            FloatVector x1 = FloatVector.broadcast(F, a[ak + 1]);
            c10 = x1.fma(w0, c10); c11 = x1.fma(w1, c11); c12 = x1.fma(w2, c12); c13 = x1.fma(w3, c13);
            FloatVector x2 = FloatVector.broadcast(F, a[ak + 2]);
            c20 = x2.fma(w0, c20); c21 = x2.fma(w1, c21); c22 = x2.fma(w2, c22); c23 = x2.fma(w3, c23);
            FloatVector x3 = FloatVector.broadcast(F, a[ak + 3]);
            c30 = x3.fma(w0, c30); c31 = x3.fma(w1, c31); c32 = x3.fma(w2, c32); c33 = x3.fma(w3, c33);
            FloatVector x4 = FloatVector.broadcast(F, a[ak + 4]);
            c40 = x4.fma(w0, c40); c41 = x4.fma(w1, c41); c42 = x4.fma(w2, c42); c43 = x4.fma(w3, c43);
            FloatVector x5 = FloatVector.broadcast(F, a[ak + 5]);
            c50 = x5.fma(w0, c50); c51 = x5.fma(w1, c51); c52 = x5.fma(w2, c52); c53 = x5.fma(w3, c53);
        }
        FloatVector sw0 = FloatVector.fromArray(F, ws, jw);
        FloatVector sw1 = FloatVector.fromArray(F, ws, jw + 1 * L);
        FloatVector sw2 = FloatVector.fromArray(F, ws, jw + 2 * L);
        FloatVector sw3 = FloatVector.fromArray(F, ws, jw + 3 * L);
        c00.fma(sw0.mul(s0), FloatVector.fromArray(F, ct, c0)).intoArray(ct, c0);
        c01.fma(sw1.mul(s0), FloatVector.fromArray(F, ct, c0 + 1 * L)).intoArray(ct, c0 + 1 * L);
        c02.fma(sw2.mul(s0), FloatVector.fromArray(F, ct, c0 + 2 * L)).intoArray(ct, c0 + 2 * L);
        c03.fma(sw3.mul(s0), FloatVector.fromArray(F, ct, c0 + 3 * L)).intoArray(ct, c0 + 3 * L);
        c10.fma(sw0.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc)).intoArray(ct, c0 + 1 * ldc);
        c11.fma(sw1.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 1 * L)).intoArray(ct, c0 + 1 * ldc + 1 * L);
        c12.fma(sw2.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 2 * L)).intoArray(ct, c0 + 1 * ldc + 2 * L);
        c13.fma(sw3.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 3 * L)).intoArray(ct, c0 + 1 * ldc + 3 * L);
        c20.fma(sw0.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc)).intoArray(ct, c0 + 2 * ldc);
        c21.fma(sw1.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 1 * L)).intoArray(ct, c0 + 2 * ldc + 1 * L);
        c22.fma(sw2.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 2 * L)).intoArray(ct, c0 + 2 * ldc + 2 * L);
        c23.fma(sw3.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 3 * L)).intoArray(ct, c0 + 2 * ldc + 3 * L);
        c30.fma(sw0.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc)).intoArray(ct, c0 + 3 * ldc);
        c31.fma(sw1.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 1 * L)).intoArray(ct, c0 + 3 * ldc + 1 * L);
        c32.fma(sw2.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 2 * L)).intoArray(ct, c0 + 3 * ldc + 2 * L);
        c33.fma(sw3.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 3 * L)).intoArray(ct, c0 + 3 * ldc + 3 * L);
        c40.fma(sw0.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc)).intoArray(ct, c0 + 4 * ldc);
        c41.fma(sw1.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc + 1 * L)).intoArray(ct, c0 + 4 * ldc + 1 * L);
        c42.fma(sw2.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc + 2 * L)).intoArray(ct, c0 + 4 * ldc + 2 * L);
        c43.fma(sw3.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc + 3 * L)).intoArray(ct, c0 + 4 * ldc + 3 * L);
        c50.fma(sw0.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc)).intoArray(ct, c0 + 5 * ldc);
        c51.fma(sw1.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc + 1 * L)).intoArray(ct, c0 + 5 * ldc + 1 * L);
        c52.fma(sw2.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc + 2 * L)).intoArray(ct, c0 + 5 * ldc + 2 * L);
        c53.fma(sw3.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc + 3 * L)).intoArray(ct, c0 + 5 * ldc + 3 * L);
    }

    static void x6x4pk2(float[] a, int a0, int lda, int kl, float[] wt, int j, float[] ct, int c0, int ldc, float[] ws, int jw, float s0, float s1, float s2, float s3, float s4, float s5) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F), c02 = FloatVector.zero(F), c03 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F), c12 = FloatVector.zero(F), c13 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F), c22 = FloatVector.zero(F), c23 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F), c32 = FloatVector.zero(F), c33 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F), c42 = FloatVector.zero(F), c43 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F), c52 = FloatVector.zero(F), c53 = FloatVector.zero(F);
        int k = 0;
        for (; k + 1 < kl; k += 2) {
            int ak = a0 + k * 6;
            {
                int wo0 = j + k * (4 * L);
                FloatVector w0 = FloatVector.fromArray(F, wt, wo0);
                FloatVector w1 = FloatVector.fromArray(F, wt, wo0 + 1 * L);
                FloatVector w2 = FloatVector.fromArray(F, wt, wo0 + 2 * L);
                FloatVector w3 = FloatVector.fromArray(F, wt, wo0 + 3 * L);
                FloatVector x0 = FloatVector.broadcast(F, a[ak]);
                c00 = x0.fma(w0, c00); c01 = x0.fma(w1, c01); c02 = x0.fma(w2, c02); c03 = x0.fma(w3, c03);
                FloatVector x1 = FloatVector.broadcast(F, a[ak + 1]);
                c10 = x1.fma(w0, c10); c11 = x1.fma(w1, c11); c12 = x1.fma(w2, c12); c13 = x1.fma(w3, c13);
                FloatVector x2 = FloatVector.broadcast(F, a[ak + 2]);
                c20 = x2.fma(w0, c20); c21 = x2.fma(w1, c21); c22 = x2.fma(w2, c22); c23 = x2.fma(w3, c23);
                FloatVector x3 = FloatVector.broadcast(F, a[ak + 3]);
                c30 = x3.fma(w0, c30); c31 = x3.fma(w1, c31); c32 = x3.fma(w2, c32); c33 = x3.fma(w3, c33);
                FloatVector x4 = FloatVector.broadcast(F, a[ak + 4]);
                c40 = x4.fma(w0, c40); c41 = x4.fma(w1, c41); c42 = x4.fma(w2, c42); c43 = x4.fma(w3, c43);
                FloatVector x5 = FloatVector.broadcast(F, a[ak + 5]);
                c50 = x5.fma(w0, c50); c51 = x5.fma(w1, c51); c52 = x5.fma(w2, c52); c53 = x5.fma(w3, c53);
            }
            {
                int wo1 = j + (k + 1) * (4 * L);
                FloatVector w0 = FloatVector.fromArray(F, wt, wo1);
                FloatVector w1 = FloatVector.fromArray(F, wt, wo1 + 1 * L);
                FloatVector w2 = FloatVector.fromArray(F, wt, wo1 + 2 * L);
                FloatVector w3 = FloatVector.fromArray(F, wt, wo1 + 3 * L);
                FloatVector x0 = FloatVector.broadcast(F, a[ak + 6]);
                c00 = x0.fma(w0, c00); c01 = x0.fma(w1, c01); c02 = x0.fma(w2, c02); c03 = x0.fma(w3, c03);
                FloatVector x1 = FloatVector.broadcast(F, a[ak + 7]);
                c10 = x1.fma(w0, c10); c11 = x1.fma(w1, c11); c12 = x1.fma(w2, c12); c13 = x1.fma(w3, c13);
                FloatVector x2 = FloatVector.broadcast(F, a[ak + 8]);
                c20 = x2.fma(w0, c20); c21 = x2.fma(w1, c21); c22 = x2.fma(w2, c22); c23 = x2.fma(w3, c23);
                FloatVector x3 = FloatVector.broadcast(F, a[ak + 9]);
                c30 = x3.fma(w0, c30); c31 = x3.fma(w1, c31); c32 = x3.fma(w2, c32); c33 = x3.fma(w3, c33);
                FloatVector x4 = FloatVector.broadcast(F, a[ak + 10]);
                c40 = x4.fma(w0, c40); c41 = x4.fma(w1, c41); c42 = x4.fma(w2, c42); c43 = x4.fma(w3, c43);
                FloatVector x5 = FloatVector.broadcast(F, a[ak + 11]);
                c50 = x5.fma(w0, c50); c51 = x5.fma(w1, c51); c52 = x5.fma(w2, c52); c53 = x5.fma(w3, c53);
            }
        }
        for (; k < kl; k++) {
            int ak = a0 + k * 6;
            int wo0 = j + k * (4 * L);
            FloatVector w0 = FloatVector.fromArray(F, wt, wo0);
            FloatVector w1 = FloatVector.fromArray(F, wt, wo0 + 1 * L);
            FloatVector w2 = FloatVector.fromArray(F, wt, wo0 + 2 * L);
            FloatVector w3 = FloatVector.fromArray(F, wt, wo0 + 3 * L);
            FloatVector x0 = FloatVector.broadcast(F, a[ak]);
            c00 = x0.fma(w0, c00); c01 = x0.fma(w1, c01); c02 = x0.fma(w2, c02); c03 = x0.fma(w3, c03);
            FloatVector x1 = FloatVector.broadcast(F, a[ak + 1]);
            c10 = x1.fma(w0, c10); c11 = x1.fma(w1, c11); c12 = x1.fma(w2, c12); c13 = x1.fma(w3, c13);
            FloatVector x2 = FloatVector.broadcast(F, a[ak + 2]);
            c20 = x2.fma(w0, c20); c21 = x2.fma(w1, c21); c22 = x2.fma(w2, c22); c23 = x2.fma(w3, c23);
            FloatVector x3 = FloatVector.broadcast(F, a[ak + 3]);
            c30 = x3.fma(w0, c30); c31 = x3.fma(w1, c31); c32 = x3.fma(w2, c32); c33 = x3.fma(w3, c33);
            FloatVector x4 = FloatVector.broadcast(F, a[ak + 4]);
            c40 = x4.fma(w0, c40); c41 = x4.fma(w1, c41); c42 = x4.fma(w2, c42); c43 = x4.fma(w3, c43);
            FloatVector x5 = FloatVector.broadcast(F, a[ak + 5]);
            c50 = x5.fma(w0, c50); c51 = x5.fma(w1, c51); c52 = x5.fma(w2, c52); c53 = x5.fma(w3, c53);
        }
        FloatVector sw0 = FloatVector.fromArray(F, ws, jw);
        FloatVector sw1 = FloatVector.fromArray(F, ws, jw + 1 * L);
        FloatVector sw2 = FloatVector.fromArray(F, ws, jw + 2 * L);
        FloatVector sw3 = FloatVector.fromArray(F, ws, jw + 3 * L);
        c00.fma(sw0.mul(s0), FloatVector.fromArray(F, ct, c0)).intoArray(ct, c0);
        c01.fma(sw1.mul(s0), FloatVector.fromArray(F, ct, c0 + 1 * L)).intoArray(ct, c0 + 1 * L);
        c02.fma(sw2.mul(s0), FloatVector.fromArray(F, ct, c0 + 2 * L)).intoArray(ct, c0 + 2 * L);
        c03.fma(sw3.mul(s0), FloatVector.fromArray(F, ct, c0 + 3 * L)).intoArray(ct, c0 + 3 * L);
        c10.fma(sw0.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc)).intoArray(ct, c0 + 1 * ldc);
        c11.fma(sw1.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 1 * L)).intoArray(ct, c0 + 1 * ldc + 1 * L);
        c12.fma(sw2.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 2 * L)).intoArray(ct, c0 + 1 * ldc + 2 * L);
        c13.fma(sw3.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 3 * L)).intoArray(ct, c0 + 1 * ldc + 3 * L);
        c20.fma(sw0.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc)).intoArray(ct, c0 + 2 * ldc);
        c21.fma(sw1.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 1 * L)).intoArray(ct, c0 + 2 * ldc + 1 * L);
        c22.fma(sw2.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 2 * L)).intoArray(ct, c0 + 2 * ldc + 2 * L);
        c23.fma(sw3.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 3 * L)).intoArray(ct, c0 + 2 * ldc + 3 * L);
        c30.fma(sw0.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc)).intoArray(ct, c0 + 3 * ldc);
        c31.fma(sw1.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 1 * L)).intoArray(ct, c0 + 3 * ldc + 1 * L);
        c32.fma(sw2.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 2 * L)).intoArray(ct, c0 + 3 * ldc + 2 * L);
        c33.fma(sw3.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 3 * L)).intoArray(ct, c0 + 3 * ldc + 3 * L);
        c40.fma(sw0.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc)).intoArray(ct, c0 + 4 * ldc);
        c41.fma(sw1.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc + 1 * L)).intoArray(ct, c0 + 4 * ldc + 1 * L);
        c42.fma(sw2.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc + 2 * L)).intoArray(ct, c0 + 4 * ldc + 2 * L);
        c43.fma(sw3.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc + 3 * L)).intoArray(ct, c0 + 4 * ldc + 3 * L);
        c50.fma(sw0.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc)).intoArray(ct, c0 + 5 * ldc);
        c51.fma(sw1.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc + 1 * L)).intoArray(ct, c0 + 5 * ldc + 1 * L);
        c52.fma(sw2.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc + 2 * L)).intoArray(ct, c0 + 5 * ldc + 2 * L);
        c53.fma(sw3.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc + 3 * L)).intoArray(ct, c0 + 5 * ldc + 3 * L);
    }

    static void x8x3pk1(float[] a, int a0, int lda, int kl, float[] wt, int j, float[] ct, int c0, int ldc, float[] ws, int jw, float s0, float s1, float s2, float s3, float s4, float s5, float s6, float s7) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F), c02 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F), c12 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F), c22 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F), c32 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F), c42 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F), c52 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F), c62 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F), c72 = FloatVector.zero(F);
        int k = 0;
        for (; k < kl; k++) {
            int ak = a0 + k * 8;
            int wo0 = j + k * (3 * L);
            FloatVector w0 = FloatVector.fromArray(F, wt, wo0);
            FloatVector w1 = FloatVector.fromArray(F, wt, wo0 + 1 * L);
            FloatVector w2 = FloatVector.fromArray(F, wt, wo0 + 2 * L);
            FloatVector x0 = FloatVector.broadcast(F, a[ak]);
            c00 = x0.fma(w0, c00); c01 = x0.fma(w1, c01); c02 = x0.fma(w2, c02);
            FloatVector x1 = FloatVector.broadcast(F, a[ak + 1]);
            c10 = x1.fma(w0, c10); c11 = x1.fma(w1, c11); c12 = x1.fma(w2, c12);
            FloatVector x2 = FloatVector.broadcast(F, a[ak + 2]);
            c20 = x2.fma(w0, c20); c21 = x2.fma(w1, c21); c22 = x2.fma(w2, c22);
            FloatVector x3 = FloatVector.broadcast(F, a[ak + 3]);
            c30 = x3.fma(w0, c30); c31 = x3.fma(w1, c31); c32 = x3.fma(w2, c32);
            FloatVector x4 = FloatVector.broadcast(F, a[ak + 4]);
            c40 = x4.fma(w0, c40); c41 = x4.fma(w1, c41); c42 = x4.fma(w2, c42);
            FloatVector x5 = FloatVector.broadcast(F, a[ak + 5]);
            c50 = x5.fma(w0, c50); c51 = x5.fma(w1, c51); c52 = x5.fma(w2, c52);
            FloatVector x6 = FloatVector.broadcast(F, a[ak + 6]);
            c60 = x6.fma(w0, c60); c61 = x6.fma(w1, c61); c62 = x6.fma(w2, c62);
            FloatVector x7 = FloatVector.broadcast(F, a[ak + 7]);
            c70 = x7.fma(w0, c70); c71 = x7.fma(w1, c71); c72 = x7.fma(w2, c72);
        }
        FloatVector sw0 = FloatVector.fromArray(F, ws, jw);
        FloatVector sw1 = FloatVector.fromArray(F, ws, jw + 1 * L);
        FloatVector sw2 = FloatVector.fromArray(F, ws, jw + 2 * L);
        c00.fma(sw0.mul(s0), FloatVector.fromArray(F, ct, c0)).intoArray(ct, c0);
        c01.fma(sw1.mul(s0), FloatVector.fromArray(F, ct, c0 + 1 * L)).intoArray(ct, c0 + 1 * L);
        c02.fma(sw2.mul(s0), FloatVector.fromArray(F, ct, c0 + 2 * L)).intoArray(ct, c0 + 2 * L);
        c10.fma(sw0.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc)).intoArray(ct, c0 + 1 * ldc);
        c11.fma(sw1.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 1 * L)).intoArray(ct, c0 + 1 * ldc + 1 * L);
        c12.fma(sw2.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 2 * L)).intoArray(ct, c0 + 1 * ldc + 2 * L);
        c20.fma(sw0.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc)).intoArray(ct, c0 + 2 * ldc);
        c21.fma(sw1.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 1 * L)).intoArray(ct, c0 + 2 * ldc + 1 * L);
        c22.fma(sw2.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 2 * L)).intoArray(ct, c0 + 2 * ldc + 2 * L);
        c30.fma(sw0.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc)).intoArray(ct, c0 + 3 * ldc);
        c31.fma(sw1.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 1 * L)).intoArray(ct, c0 + 3 * ldc + 1 * L);
        c32.fma(sw2.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 2 * L)).intoArray(ct, c0 + 3 * ldc + 2 * L);
        c40.fma(sw0.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc)).intoArray(ct, c0 + 4 * ldc);
        c41.fma(sw1.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc + 1 * L)).intoArray(ct, c0 + 4 * ldc + 1 * L);
        c42.fma(sw2.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc + 2 * L)).intoArray(ct, c0 + 4 * ldc + 2 * L);
        c50.fma(sw0.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc)).intoArray(ct, c0 + 5 * ldc);
        c51.fma(sw1.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc + 1 * L)).intoArray(ct, c0 + 5 * ldc + 1 * L);
        c52.fma(sw2.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc + 2 * L)).intoArray(ct, c0 + 5 * ldc + 2 * L);
        c60.fma(sw0.mul(s6), FloatVector.fromArray(F, ct, c0 + 6 * ldc)).intoArray(ct, c0 + 6 * ldc);
        c61.fma(sw1.mul(s6), FloatVector.fromArray(F, ct, c0 + 6 * ldc + 1 * L)).intoArray(ct, c0 + 6 * ldc + 1 * L);
        c62.fma(sw2.mul(s6), FloatVector.fromArray(F, ct, c0 + 6 * ldc + 2 * L)).intoArray(ct, c0 + 6 * ldc + 2 * L);
        c70.fma(sw0.mul(s7), FloatVector.fromArray(F, ct, c0 + 7 * ldc)).intoArray(ct, c0 + 7 * ldc);
        c71.fma(sw1.mul(s7), FloatVector.fromArray(F, ct, c0 + 7 * ldc + 1 * L)).intoArray(ct, c0 + 7 * ldc + 1 * L);
        c72.fma(sw2.mul(s7), FloatVector.fromArray(F, ct, c0 + 7 * ldc + 2 * L)).intoArray(ct, c0 + 7 * ldc + 2 * L);
    }

    static void x12x2pk1(float[] a, int a0, int lda, int kl, float[] wt, int j, float[] ct, int c0, int ldc, float[] ws, int jw, float s0, float s1, float s2, float s3, float s4, float s5, float s6, float s7, float s8, float s9, float s10, float s11) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        FloatVector c80 = FloatVector.zero(F), c81 = FloatVector.zero(F);
        FloatVector c90 = FloatVector.zero(F), c91 = FloatVector.zero(F);
        FloatVector c100 = FloatVector.zero(F), c101 = FloatVector.zero(F);
        FloatVector c110 = FloatVector.zero(F), c111 = FloatVector.zero(F);
        int k = 0;
        for (; k < kl; k++) {
            int ak = a0 + k * 12;
            int wo0 = j + k * (2 * L);
            FloatVector w0 = FloatVector.fromArray(F, wt, wo0);
            FloatVector w1 = FloatVector.fromArray(F, wt, wo0 + 1 * L);
            FloatVector x0 = FloatVector.broadcast(F, a[ak]);
            c00 = x0.fma(w0, c00); c01 = x0.fma(w1, c01);
            FloatVector x1 = FloatVector.broadcast(F, a[ak + 1]);
            c10 = x1.fma(w0, c10); c11 = x1.fma(w1, c11);
            FloatVector x2 = FloatVector.broadcast(F, a[ak + 2]);
            c20 = x2.fma(w0, c20); c21 = x2.fma(w1, c21);
            FloatVector x3 = FloatVector.broadcast(F, a[ak + 3]);
            c30 = x3.fma(w0, c30); c31 = x3.fma(w1, c31);
            FloatVector x4 = FloatVector.broadcast(F, a[ak + 4]);
            c40 = x4.fma(w0, c40); c41 = x4.fma(w1, c41);
            FloatVector x5 = FloatVector.broadcast(F, a[ak + 5]);
            c50 = x5.fma(w0, c50); c51 = x5.fma(w1, c51);
            FloatVector x6 = FloatVector.broadcast(F, a[ak + 6]);
            c60 = x6.fma(w0, c60); c61 = x6.fma(w1, c61);
            FloatVector x7 = FloatVector.broadcast(F, a[ak + 7]);
            c70 = x7.fma(w0, c70); c71 = x7.fma(w1, c71);
            FloatVector x8 = FloatVector.broadcast(F, a[ak + 8]);
            c80 = x8.fma(w0, c80); c81 = x8.fma(w1, c81);
            FloatVector x9 = FloatVector.broadcast(F, a[ak + 9]);
            c90 = x9.fma(w0, c90); c91 = x9.fma(w1, c91);
            FloatVector x10 = FloatVector.broadcast(F, a[ak + 10]);
            c100 = x10.fma(w0, c100); c101 = x10.fma(w1, c101);
            FloatVector x11 = FloatVector.broadcast(F, a[ak + 11]);
            c110 = x11.fma(w0, c110); c111 = x11.fma(w1, c111);
        }
        FloatVector sw0 = FloatVector.fromArray(F, ws, jw);
        FloatVector sw1 = FloatVector.fromArray(F, ws, jw + 1 * L);
        c00.fma(sw0.mul(s0), FloatVector.fromArray(F, ct, c0)).intoArray(ct, c0);
        c01.fma(sw1.mul(s0), FloatVector.fromArray(F, ct, c0 + 1 * L)).intoArray(ct, c0 + 1 * L);
        c10.fma(sw0.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc)).intoArray(ct, c0 + 1 * ldc);
        c11.fma(sw1.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 1 * L)).intoArray(ct, c0 + 1 * ldc + 1 * L);
        c20.fma(sw0.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc)).intoArray(ct, c0 + 2 * ldc);
        c21.fma(sw1.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 1 * L)).intoArray(ct, c0 + 2 * ldc + 1 * L);
        c30.fma(sw0.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc)).intoArray(ct, c0 + 3 * ldc);
        c31.fma(sw1.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 1 * L)).intoArray(ct, c0 + 3 * ldc + 1 * L);
        c40.fma(sw0.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc)).intoArray(ct, c0 + 4 * ldc);
        c41.fma(sw1.mul(s4), FloatVector.fromArray(F, ct, c0 + 4 * ldc + 1 * L)).intoArray(ct, c0 + 4 * ldc + 1 * L);
        c50.fma(sw0.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc)).intoArray(ct, c0 + 5 * ldc);
        c51.fma(sw1.mul(s5), FloatVector.fromArray(F, ct, c0 + 5 * ldc + 1 * L)).intoArray(ct, c0 + 5 * ldc + 1 * L);
        c60.fma(sw0.mul(s6), FloatVector.fromArray(F, ct, c0 + 6 * ldc)).intoArray(ct, c0 + 6 * ldc);
        c61.fma(sw1.mul(s6), FloatVector.fromArray(F, ct, c0 + 6 * ldc + 1 * L)).intoArray(ct, c0 + 6 * ldc + 1 * L);
        c70.fma(sw0.mul(s7), FloatVector.fromArray(F, ct, c0 + 7 * ldc)).intoArray(ct, c0 + 7 * ldc);
        c71.fma(sw1.mul(s7), FloatVector.fromArray(F, ct, c0 + 7 * ldc + 1 * L)).intoArray(ct, c0 + 7 * ldc + 1 * L);
        c80.fma(sw0.mul(s8), FloatVector.fromArray(F, ct, c0 + 8 * ldc)).intoArray(ct, c0 + 8 * ldc);
        c81.fma(sw1.mul(s8), FloatVector.fromArray(F, ct, c0 + 8 * ldc + 1 * L)).intoArray(ct, c0 + 8 * ldc + 1 * L);
        c90.fma(sw0.mul(s9), FloatVector.fromArray(F, ct, c0 + 9 * ldc)).intoArray(ct, c0 + 9 * ldc);
        c91.fma(sw1.mul(s9), FloatVector.fromArray(F, ct, c0 + 9 * ldc + 1 * L)).intoArray(ct, c0 + 9 * ldc + 1 * L);
        c100.fma(sw0.mul(s10), FloatVector.fromArray(F, ct, c0 + 10 * ldc)).intoArray(ct, c0 + 10 * ldc);
        c101.fma(sw1.mul(s10), FloatVector.fromArray(F, ct, c0 + 10 * ldc + 1 * L)).intoArray(ct, c0 + 10 * ldc + 1 * L);
        c110.fma(sw0.mul(s11), FloatVector.fromArray(F, ct, c0 + 11 * ldc)).intoArray(ct, c0 + 11 * ldc);
        c111.fma(sw1.mul(s11), FloatVector.fromArray(F, ct, c0 + 11 * ldc + 1 * L)).intoArray(ct, c0 + 11 * ldc + 1 * L);
    }

    static void x4x4rm1(float[] a, int a0, int lda, int kl, float[] wt, int j, float[] ct, int c0, int ldc, float[] ws, int jw, float s0, float s1, float s2, float s3) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F), c02 = FloatVector.zero(F), c03 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F), c12 = FloatVector.zero(F), c13 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F), c22 = FloatVector.zero(F), c23 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F), c32 = FloatVector.zero(F), c33 = FloatVector.zero(F);
        int k = 0;
        for (; k < kl; k++) {
            int ak = a0 + k;
            int wo0 = j + k * (4 * L);
            FloatVector w0 = FloatVector.fromArray(F, wt, wo0);
            FloatVector w1 = FloatVector.fromArray(F, wt, wo0 + 1 * L);
            FloatVector w2 = FloatVector.fromArray(F, wt, wo0 + 2 * L);
            FloatVector w3 = FloatVector.fromArray(F, wt, wo0 + 3 * L);
            FloatVector x0 = FloatVector.broadcast(F, a[ak]);
            c00 = x0.fma(w0, c00); c01 = x0.fma(w1, c01); c02 = x0.fma(w2, c02); c03 = x0.fma(w3, c03);
            FloatVector x1 = FloatVector.broadcast(F, a[ak + 1 * 128]);
            c10 = x1.fma(w0, c10); c11 = x1.fma(w1, c11); c12 = x1.fma(w2, c12); c13 = x1.fma(w3, c13);
            FloatVector x2 = FloatVector.broadcast(F, a[ak + 2 * 128]);
            c20 = x2.fma(w0, c20); c21 = x2.fma(w1, c21); c22 = x2.fma(w2, c22); c23 = x2.fma(w3, c23);
            FloatVector x3 = FloatVector.broadcast(F, a[ak + 3 * 128]);
            c30 = x3.fma(w0, c30); c31 = x3.fma(w1, c31); c32 = x3.fma(w2, c32); c33 = x3.fma(w3, c33);
        }
        FloatVector sw0 = FloatVector.fromArray(F, ws, jw);
        FloatVector sw1 = FloatVector.fromArray(F, ws, jw + 1 * L);
        FloatVector sw2 = FloatVector.fromArray(F, ws, jw + 2 * L);
        FloatVector sw3 = FloatVector.fromArray(F, ws, jw + 3 * L);
        c00.fma(sw0.mul(s0), FloatVector.fromArray(F, ct, c0)).intoArray(ct, c0);
        c01.fma(sw1.mul(s0), FloatVector.fromArray(F, ct, c0 + 1 * L)).intoArray(ct, c0 + 1 * L);
        c02.fma(sw2.mul(s0), FloatVector.fromArray(F, ct, c0 + 2 * L)).intoArray(ct, c0 + 2 * L);
        c03.fma(sw3.mul(s0), FloatVector.fromArray(F, ct, c0 + 3 * L)).intoArray(ct, c0 + 3 * L);
        c10.fma(sw0.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc)).intoArray(ct, c0 + 1 * ldc);
        c11.fma(sw1.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 1 * L)).intoArray(ct, c0 + 1 * ldc + 1 * L);
        c12.fma(sw2.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 2 * L)).intoArray(ct, c0 + 1 * ldc + 2 * L);
        c13.fma(sw3.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 3 * L)).intoArray(ct, c0 + 1 * ldc + 3 * L);
        c20.fma(sw0.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc)).intoArray(ct, c0 + 2 * ldc);
        c21.fma(sw1.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 1 * L)).intoArray(ct, c0 + 2 * ldc + 1 * L);
        c22.fma(sw2.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 2 * L)).intoArray(ct, c0 + 2 * ldc + 2 * L);
        c23.fma(sw3.mul(s2), FloatVector.fromArray(F, ct, c0 + 2 * ldc + 3 * L)).intoArray(ct, c0 + 2 * ldc + 3 * L);
        c30.fma(sw0.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc)).intoArray(ct, c0 + 3 * ldc);
        c31.fma(sw1.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 1 * L)).intoArray(ct, c0 + 3 * ldc + 1 * L);
        c32.fma(sw2.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 2 * L)).intoArray(ct, c0 + 3 * ldc + 2 * L);
        c33.fma(sw3.mul(s3), FloatVector.fromArray(F, ct, c0 + 3 * ldc + 3 * L)).intoArray(ct, c0 + 3 * ldc + 3 * L);
    }

    static void x2x4rm1(float[] a, int a0, int lda, int kl, float[] wt, int j, float[] ct, int c0, int ldc, float[] ws, int jw, float s0, float s1) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F), c02 = FloatVector.zero(F), c03 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F), c12 = FloatVector.zero(F), c13 = FloatVector.zero(F);
        int k = 0;
        for (; k < kl; k++) {
            int ak = a0 + k;
            int wo0 = j + k * (4 * L);
            FloatVector w0 = FloatVector.fromArray(F, wt, wo0);
            FloatVector w1 = FloatVector.fromArray(F, wt, wo0 + 1 * L);
            FloatVector w2 = FloatVector.fromArray(F, wt, wo0 + 2 * L);
            FloatVector w3 = FloatVector.fromArray(F, wt, wo0 + 3 * L);
            FloatVector x0 = FloatVector.broadcast(F, a[ak]);
            c00 = x0.fma(w0, c00); c01 = x0.fma(w1, c01); c02 = x0.fma(w2, c02); c03 = x0.fma(w3, c03);
            FloatVector x1 = FloatVector.broadcast(F, a[ak + 1 * 128]);
            c10 = x1.fma(w0, c10); c11 = x1.fma(w1, c11); c12 = x1.fma(w2, c12); c13 = x1.fma(w3, c13);
        }
        FloatVector sw0 = FloatVector.fromArray(F, ws, jw);
        FloatVector sw1 = FloatVector.fromArray(F, ws, jw + 1 * L);
        FloatVector sw2 = FloatVector.fromArray(F, ws, jw + 2 * L);
        FloatVector sw3 = FloatVector.fromArray(F, ws, jw + 3 * L);
        c00.fma(sw0.mul(s0), FloatVector.fromArray(F, ct, c0)).intoArray(ct, c0);
        c01.fma(sw1.mul(s0), FloatVector.fromArray(F, ct, c0 + 1 * L)).intoArray(ct, c0 + 1 * L);
        c02.fma(sw2.mul(s0), FloatVector.fromArray(F, ct, c0 + 2 * L)).intoArray(ct, c0 + 2 * L);
        c03.fma(sw3.mul(s0), FloatVector.fromArray(F, ct, c0 + 3 * L)).intoArray(ct, c0 + 3 * L);
        c10.fma(sw0.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc)).intoArray(ct, c0 + 1 * ldc);
        c11.fma(sw1.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 1 * L)).intoArray(ct, c0 + 1 * ldc + 1 * L);
        c12.fma(sw2.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 2 * L)).intoArray(ct, c0 + 1 * ldc + 2 * L);
        c13.fma(sw3.mul(s1), FloatVector.fromArray(F, ct, c0 + 1 * ldc + 3 * L)).intoArray(ct, c0 + 1 * ldc + 3 * L);
    }

}