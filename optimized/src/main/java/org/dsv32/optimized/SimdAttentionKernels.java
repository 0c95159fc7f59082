package org.dsv32.optimized;

/**
 * Vector kernels of the layer operations (attention, indexer) for one vector width: obtain with {@link #current()}.
 * Dot products accumulate per lane with FMA, reduce the lanes once in a fixed tree order (never reduceLanes, whose
 * order differs between the interpreter and compiled code), then add a scalar FMA tail; so a result depends on the
 * vector width (the lane split) but never on the thread count or on the JIT's progress.
 */
interface SimdAttentionKernels {
    static SimdAttentionKernels current() { return Slot.KERNELS.get(); }

    /** Holds the remembered instance ({@link SimdKernelSlot}). */
    final class Slot {
        private Slot() {}

        static final SimdKernelSlot<SimdAttentionKernels> KERNELS = new SimdKernelSlot<>(SimdAttentionKernels.class, SimdAttentionKernelsTemplate.class);
    }

    /** The vector width these kernels were compiled for (0: scalar). */
    int bits();

    /** sum a_i b_i over n floats. */
    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /**
     * sum a_i b_i over n doubles. For e4m3 code values (at most 4 significant bits each, magnitudes in
     * [2^-9, 448]) every product is exact and every partial sum of fewer than 2^17 of them is a multiple of 2^-18
     * below 2^35 (43 significant bits), so the whole sum is exact whatever the order: the indexer's fp8 dot products use this.
     */
    double dot(double[] a, int aOff, double[] b, int bOff, int n);

    /** y_i = fma(alpha, x_i, y_i) (y is MODIFIED). */
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

    /**
     * {@code rows} axpys in a row, y_i = fma(alpha_r, x_{r,i}, y_i) for r ascending, x_r at xOff + r * xStride (y is
     * MODIFIED): bitwise the same as calling {@link #axpy} for each r in order, with y held in registers across the
     * rows instead of being reloaded and stored for each.
     */
    void axpyRows(float[] alpha, int aOff, int rows, float[] x, int xOff, int xStride, float[] y, int yOff, int n);

    /**
     * out[outOff + r] = {@link #dot}(a, aOff + r * aStride, b, bOff, n) for r in [0, rows): bitwise the same as the
     * separate calls, several rows sharing each load of b.
     */
    void dots(float[] a, int aOff, int aStride, int rows, float[] b, int bOff, int n, float[] out, int outOff);

    /**
     * out[outOff + r] = {@link #dot(double[], int, double[], int, int)}(a, aOff + r * aStride, b, bOff, n) for r in
     * [0, rows): bitwise the same as the separate calls, several rows sharing each load of b and running as
     * independent FMA chains (one dot of 128 doubles is a single chain of dependent FMAs).
     */
    void dots(double[] a, int aOff, int aStride, int rows, double[] b, int bOff, int n, double[] out, int outOff);

    /**
     * The double {@link #dots} of the same a rows against two b rows, b at bOff and bOff2: out[outOff + r] against
     * the first, out[outOff2 + r] against the second; bitwise the separate dots, each load of an a row shared by both
     * (the indexer's heads in pairs: twice the FMAs per load).
     */
    void dots2(double[] a, int aOff, int aStride, int rows, double[] b, int bOff, int bOff2, int n, double[] out, int outOff, int outOff2);

    /** x_i *= s (x is MODIFIED). */
    void scale(float[] x, int off, int n, float s);
}
