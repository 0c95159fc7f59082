package org.dsv32.optimized;

/**
 * Row kernels of the {@code simd} backend in float32, on plain arrays (offset + length), for one vector width:
 * obtain with {@link #current()}. Each vectorised kernel has a scalar default (width 0) and a scalar tail that
 * computes the same expression as a vector lane.
 */
public interface SimdRowKernels {
    /** The kernels for the current width ({@link SimdSpecies#bits()}). */
    static SimdRowKernels current() { return Slot.KERNELS.get(); }

    /** Holds the remembered instance ({@link SimdKernelSlot}). */
    final class Slot {
        private Slot() {}

        static final SimdKernelSlot<SimdRowKernels> KERNELS = new SimdKernelSlot<>(SimdRowKernels.class, SimdRowKernelsTemplate.class);
    }

    /** The vector width these kernels were compiled for (0: scalar). */
    int bits();

    /** sum x_i^2 (FMA accumulation per lane, one lane reduction, scalar tail). */
    float sumSquares(float[] x, int off, int n);

    /** sum x_i. */
    float sum(float[] x, int off, int n);

    /** sum (x_i - mean)^2. */
    float sumSquaredDeviations(float[] x, int off, int n, float mean);

    /** y_i = (x_i * r) * w_i. */
    void scaleMul(float[] x, int xOff, float r, float[] w, float[] y, int yOff, int n);

    /** y_i = fma((x_i - mean) * r, w_i, b_i). */
    void normalizeAffine(float[] x, int xOff, float mean, float r, float[] w, float[] b, float[] y, int yOff, int n);

    /** a_i += b_i (a is MODIFIED). */
    void addInPlace(float[] a, int aOff, float[] b, int bOff, int n);

    /**
     * Interleaved RoPE of one row in place: pairs (2i, 2i+1) with {@code cos2[2i] = cos2[2i+1] = cos θ_i} and
     * {@code sinSigned[2i] = -sin θ_i}, {@code sinSigned[2i+1] = sin θ_i}: y_j = fma(x_j, cos2_j, x_{j^1} * sinSigned_j).
     */
    void ropeInterleaved(float[] x, int off, float[] cos2, float[] sinSigned, int d);

    /** Half-split (NeoX) RoPE in place: pairs (i, i + d/2); y_i = fma(x_i, c_i, -(x_{i+h} s_i)), y_{i+h} = fma(x_{i+h}, c_i, x_i s_i). */
    void ropeHalfSplit(float[] x, int off, float[] cos, float[] sin, int d);

    /** In-place fast Walsh-Hadamard transform (Sylvester order) of n = 2^p values, then times {@code scale}. */
    void hadamard(float[] x, int off, int n, float scale);

    /** h_i = silu(g_i) * u_i = g_i / (1 + exp(-g_i)) * u_i. */
    void siluMul(float[] g, int gOff, float[] u, int uOff, float[] h, int hOff, int n);

    /**
     * The extremes of |x_i| as fp32 bit patterns (|x| as bits orders like |x|): range[0] = the largest, range[1] =
     * the smallest nonzero one (Integer.MAX_VALUE if none). range is MODIFIED.
     */
    void absBitsRange(float[] x, int off, int n, int[] range);

    /** y_i = x_i * f. */
    void scale(float[] x, int xOff, float f, float[] y, int yOff, int n);

    /** max |x_i| (NaN if any x_i is NaN). */
    float absMax(float[] x, int off, int n);

    /**
     * e4m3 codes of x_i / s (fp32 division, then {@link Fp8Codec#encodeE4M3}); when {@code q} is not null also the
     * decoded code values (exact floats).
     */
    void quantize(float[] x, int xOff, int n, float s, byte[] codes, int cOff, float[] q, int qOff);

    /** e4m3 codes of v_i. */
    void encodeE4M3(float[] v, int off, int n, byte[] codes, int cOff);
}
