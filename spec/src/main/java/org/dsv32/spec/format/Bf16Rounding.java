package org.dsv32.spec.format;

import org.dsv32.spec.tensor.TensorF64;

/**
 * The bf16 rounding of bf16 precision mode (spec/SEMANTICS.md §5c): a value computed in higher precision is stored
 * as the deployment stores it, through fp32 then to bf16 nearest-even ({@link BF16#fromDouble}), and used
 * from then on at that value. Both steps model what PyTorch does when an fp32 result is cast with {@code .to(bf16)}
 * or written into a bf16 tensor; for a float64 input the fp32 step rounds first (double rounding can move a value
 * that lies within 2^-24 relative of a bf16 midpoint: a decision of the same kind as an fp32 flip, not a bias).
 */
public final class Bf16Rounding {
    private Bf16Rounding() {}

    /** x rounded to the nearest bf16 (through fp32). NaN stays NaN, infinities stay. */
    public static double round(double x) { return BF16.round((float) x); }

    /** f rounded to the nearest bf16. */
    public static float round(float f) { return BF16.round(f); }

    /** Every element of t rounded to bf16, in place; returns t. */
    public static TensorF64 roundInPlace(TensorF64 t) {
        for (int i = 0; i < t.size(); i++) t.setFlat(i, round(t.getFlat(i)));
        return t;
    }

    /** Every element rounded to bf16, in place; returns a. */
    public static float[] roundInPlace(float[] a) {
        for (int i = 0; i < a.length; i++) a[i] = BF16.round(a[i]);
        return a;
    }

    /** Every element of a[from, to) rounded to bf16, in place. */
    public static void roundInPlace(float[] a, int from, int to) {
        for (int i = from; i < to; i++) a[i] = BF16.round(a[i]);
    }

    /** Every element rounded to bf16, in place; returns a. */
    public static double[] roundInPlace(double[] a) {
        for (int i = 0; i < a.length; i++) a[i] = round(a[i]);
        return a;
    }

    /** Whether x is a bf16 value (rounding it changes nothing); NaN counts as one. */
    public static boolean isBf16(double x) { return Double.isNaN(x) || round(x) == x; }
}
