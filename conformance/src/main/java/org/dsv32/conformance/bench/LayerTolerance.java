package org.dsv32.conformance.bench;

import java.util.Locale;

/**
 * How close a float32 layer (MLA decode, indexer scores, MoE) must be to the float64 reference on the same inputs
 * with the same decisions (the reference's key selection or routing replayed), in fp8 mode: a normwise relative
 * error ||y - y64||_2 / ||y64||_2 of at most {@value #NORMWISE}.
 *
 * <p>Why that figure: float32 accumulation alone leaves a relative error of order K u (K up to 16384, u = 2^-24, so
 * about 2^-10 at worst, far less in the norm). But every FP8 linear re-quantises its input, so an activation whose
 * float32 value lands on the other side of an e4m3 rounding midpoint than its float64 value moves by one e4m3 step
 * (2^-4 relative): with a flip probability of about (float32 error) / (e4m3 spacing), the normwise effect is about
 * 2^-4 times its square root — of order 2^-10 to 2^-8 here. A formula error (a wrong scale, head, block or
 * transpose) moves the output by O(1). {@value #NORMWISE} = 2^-6 separates the two with margin on both sides.
 *
 * <p>This is a typical-error bound for a benchmark's sanity check, tighter than the worst-case budgets of
 * {@code org.dsv32.spec.tolerance.Tolerances} at the real dimensions (which are guarantees, see spec/TOLERANCES.md);
 * correctness itself is judged by {@code ./dsv32 conform}. The errors the checks measure are printed with the run.
 */
public final class LayerTolerance {
    private LayerTolerance() {}

    public static final double NORMWISE = 0x1p-6;

    /** ||x - y||_2 / ||y||_2 over finite entries (0 when both are zero). */
    public static double normwise(double[] x, double[] y) {
        if (x.length != y.length) throw new IllegalArgumentException("length mismatch: " + x.length + " vs " + y.length);
        double num = 0, den = 0;
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(x[i]) || !Double.isFinite(y[i])) continue;
            num += (x[i] - y[i]) * (x[i] - y[i]);
            den += y[i] * y[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    /** Throws unless {@code candidate} is within the bound of {@code reference}; returns the normwise error. */
    public static double check(String what, String backend, double[] candidate, double[] reference) {
        double e = normwise(candidate, reference);
        int nonFinite = org.dsv32.spec.metrics.Metrics.nonFiniteMismatches(candidate, reference);
        if (!(e <= NORMWISE) || nonFinite > 0) {
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "%s: %s disagrees with the float64 reference: normwise relative error %.3g (bound %.3g), %d non-finite mismatches",
                    what, backend, e, NORMWISE, nonFinite));
        }
        return e;
    }
}
