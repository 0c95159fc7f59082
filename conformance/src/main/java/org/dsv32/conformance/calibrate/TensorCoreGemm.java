package org.dsv32.conformance.calibrate;

import org.dsv32.spec.tolerance.Accumulator;

/**
 * A float64 emulation of a block-scaled FP8 GEMM whose 128-product blocks are summed in a reduced-precision
 * accumulator (spec/TOLERANCES.md §10): the model of Hopper's tensor cores the tensor-core tier is derived from. Each
 * product of two dequantised E4M3 values with power-of-two (ue8m0) scales is exact in float64; the block's running
 * sum is rounded to the accumulator's precision after every addition ({@link Accumulator#round}); the block sum is then
 * added to an fp32 running sum (the promotion; a block sum of at most 24 significant bits converts to fp32 exactly
 * when the accumulator keeps no more). With power-of-two scales, scaling commutes with the rounding, so summing the
 * scaled products is the same as scaling the sum of the codes' products.
 */
public final class TensorCoreGemm {
    private TensorCoreGemm() {}

    /** The result of one output element and its unit T = Σ|a_k w_k|, with the exact float64 value. */
    public record Element(double value, double exact, double absSum) {}

    /**
     * One output element: the dot product of {@code a} and {@code w} (dequantised values, of length K), blocks of
     * {@code block} products in {@code acc}, promoted into an fp32 sum.
     */
    public static Element dot(double[] a, double[] w, int block, Accumulator acc) {
        float total = 0;
        double exact = 0, abs = 0;
        for (int b0 = 0; b0 < a.length; b0 += block) {
            double s = 0;
            for (int k = b0; k < Math.min(a.length, b0 + block); k++) {
                double p = a[k] * w[k];
                s = acc.round(s + p);
                exact += p;
                abs += Math.abs(p);
            }
            total += (float) s;
        }
        return new Element(total, exact, abs);
    }
}
