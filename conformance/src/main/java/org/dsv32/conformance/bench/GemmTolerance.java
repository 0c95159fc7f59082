package org.dsv32.conformance.bench;

/**
 * How far a float32 FP8 GEMM may be from the float64 product of the same operands, as a multiple of
 * T = sum over k of |a[k] w[k] sa sw| (the sum of absolute products of the output element). u = 2^-24.
 *
 * <ul>
 *   <li>{@code simd}: per k-block a chain of blockCols FMAs (error at most blockCols u T_b), the scale product
 *       sa * sw (u), and B promotions into the running sum (u each): (blockCols + B + 3) u T, the bound the simd
 *       kernels' own tests use.</li>
 *   <li>{@code ejml}: any summation order of K products of exact fp32 inputs (the dequantised values q * s are exact
 *       in fp32 for power-of-two scales): (K + 2) u T.</li>
 *   <li>a GPU: the tensor core's sum inside a block keeps fewer bits than fp32 on Hopper, so the cuda module's own
 *       tests bound it by 2^-9 T; the same here.</li>
 * </ul>
 */
public final class GemmTolerance {
    private GemmTolerance() {}

    /** fp32 unit roundoff. */
    public static final double U = 0x1p-24;

    public static double simd(int k, int blockCols) {
        int blocks = (k + blockCols - 1) / blockCols;
        return (blockCols + blocks + 3) * U;
    }

    public static double ejml(int k) { return (k + 2) * U; }

    public static double gpu() { return 0x1p-9; }

    /** The factor of T for a backend by name. */
    public static double of(String backend, int k, int blockCols) {
        return switch (backend) {
            case "simd" -> simd(k, blockCols);
            case "ejml" -> ejml(k);
            default -> gpu();
        };
    }
}
