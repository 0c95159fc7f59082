package org.dsv32.conformance;

import org.dsv32.spec.metrics.Metrics;

/**
 * The metrics of one candidate tensor against its reference, all in float64.
 *
 * @param elements            number of elements compared
 * @param calcDiff            1 - 2Σxy/Σ(x²+y²) over finite pairs
 * @param maxAbs              max |x - y| over finite pairs
 * @param maxErrInf           max |x - y| / max|y| (∞-norm relative error; 0 when the reference is all zero and so is x)
 * @param maxRel              max |x - y| / max(|y|, 1e-3 RMS(y)) (element-wise relative error with a floor)
 * @param ulps                worst error in fp32 units in the last place of the reference value (at least the floor)
 * @param nonFiniteMismatches positions where NaN / ±inf differ between candidate and reference
 * @param argmaxAgrees        whether the largest elements are at the same index
 * @param relErrors           per-element log10 relative errors (floored), for the report's histogram; may be empty
 */
public record ErrorStats(int elements, double calcDiff, double maxAbs, double maxErrInf, double maxRel, double ulps,
                         int nonFiniteMismatches, boolean argmaxAgrees, double[] relErrors) {

    /** Cap on the number of per-element errors kept for histograms. */
    static final int HISTOGRAM_SAMPLES = 4096;
    /** log10 of the relative error recorded for an exact match. */
    public static final double EXACT_LOG10 = -17;

    public static final ErrorStats NONE = new ErrorStats(0, 0, 0, 0, 0, 0, 0, true, new double[0]);

    /** Compares candidate {@code x} with reference {@code y} (same length). */
    public static ErrorStats of(double[] x, double[] y) {
        if (x.length != y.length) throw new IllegalArgumentException("shape mismatch: " + x.length + " vs " + y.length + " elements");
        double rms = 0, maxY = 0;
        int n = 0;
        for (double v : y) {
            if (!Double.isFinite(v)) continue;
            rms += v * v;
            n++;
            maxY = Math.max(maxY, Math.abs(v));
        }
        rms = n == 0 ? 0 : Math.sqrt(rms / n);
        double floor = Math.max(rms * 1e-3, Double.MIN_NORMAL);
        double maxAbs = Metrics.maxAbs(x, y);
        double errInf = maxAbs == 0 ? 0 : maxY == 0 ? Double.POSITIVE_INFINITY : maxAbs / maxY;
        int stride = Math.max(1, x.length / HISTOGRAM_SAMPLES);
        double[] rel = new double[(x.length + stride - 1) / stride];
        int k = 0;
        for (int i = 0; i < x.length && k < rel.length; i += stride) {
            if (!Double.isFinite(x[i]) || !Double.isFinite(y[i])) { rel[k++] = Double.NaN; continue; }
            double r = Math.abs(x[i] - y[i]) / Math.max(Math.abs(y[i]), floor);
            rel[k++] = r == 0 ? EXACT_LOG10 : Math.max(EXACT_LOG10, Math.log10(r));
        }
        return new ErrorStats(x.length, Metrics.calcDiff(x, y), maxAbs, errInf, Metrics.maxRel(x, y, floor),
                ulps(x, y, floor), Metrics.nonFiniteMismatches(x, y),
                Metrics.argmax(x) == Metrics.argmax(y), k == rel.length ? rel : java.util.Arrays.copyOf(rel, k));
    }

    /**
     * Worst error in fp32 ulps of the reference value, the ulp taken at max(|y|, floor) so that a reference
     * element at (or near) zero does not report 10^40 ulps: ulp(v) = 2^(floor(log2 v) - 23).
     */
    static double ulps(double[] x, double[] y, double floor) {
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(x[i]) || !Double.isFinite(y[i])) continue;
            int e = Math.max(Math.getExponent(Math.max(Math.abs(y[i]), floor)), -126);
            m = Math.max(m, Math.abs(x[i] - y[i]) / Math.scalb(1.0, e - 23));
        }
        return m;
    }

    /** Whether candidate and reference are bit-for-bit equal (NaN payloads aside). */
    public static boolean bitwiseEqual(double[] a, double[] b) {
        if (a.length != b.length) return false;
        for (int i = 0; i < a.length; i++) if (Double.doubleToLongBits(a[i]) != Double.doubleToLongBits(b[i])) return false;
        return true;
    }

    /** The worse of two (for merging the several tensors of one case). */
    public ErrorStats worst(ErrorStats o) {
        double[] rel = new double[relErrors.length + o.relErrors.length];
        System.arraycopy(relErrors, 0, rel, 0, relErrors.length);
        System.arraycopy(o.relErrors, 0, rel, relErrors.length, o.relErrors.length);
        if (rel.length > HISTOGRAM_SAMPLES) rel = java.util.Arrays.copyOf(rel, HISTOGRAM_SAMPLES);
        return new ErrorStats(elements + o.elements, Math.max(calcDiff, o.calcDiff), Math.max(maxAbs, o.maxAbs),
                Math.max(maxErrInf, o.maxErrInf), Math.max(maxRel, o.maxRel), Math.max(ulps, o.ulps),
                nonFiniteMismatches + o.nonFiniteMismatches, argmaxAgrees && o.argmaxAgrees, rel);
    }
}
