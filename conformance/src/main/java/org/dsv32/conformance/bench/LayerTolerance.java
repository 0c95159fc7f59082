package org.dsv32.conformance.bench;

import java.util.Locale;
import org.dsv32.spec.tolerance.KernelTolerances;

/**
 * The benchmark's layer check: a float32 layer (MLA decode, indexer scores, MoE) against the float64 reference on the
 * same inputs with the same decisions, in fp8 mode, within the norm-wise relative error
 * {@link KernelTolerances#BENCH_LAYER_NORMWISE} (its reasons are stated there). The errors the checks measure are
 * printed with the run.
 */
public final class LayerTolerance {
    private LayerTolerance() {}

    public static final double NORMWISE = KernelTolerances.BENCH_LAYER_NORMWISE;

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
        return check(what, backend, candidate, reference, NORMWISE);
    }

    /** {@link #check(String, String, double[], double[])} within the normwise relative error {@code bound}. */
    public static double check(String what, String backend, double[] candidate, double[] reference, double bound) {
        double e = normwise(candidate, reference);
        int nonFinite = org.dsv32.spec.metrics.Metrics.nonFiniteMismatches(candidate, reference);
        if (!(e <= bound) || nonFinite > 0) {
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "%s: %s disagrees with the float64 reference: normwise relative error %.3g (bound %.3g), %d non-finite mismatches",
                    what, backend, e, bound, nonFinite));
        }
        return e;
    }
}
