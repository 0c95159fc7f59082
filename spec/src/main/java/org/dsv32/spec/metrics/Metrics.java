package org.dsv32.spec.metrics;

/**
 * Comparison metrics between a candidate and a reference, all computed in float64.
 *
 * <p>{@code calc_diff = 1 - 2 Σ x y / Σ (x² + y²)} is DeepGEMM's similarity measure: 0 for identical tensors,
 * scale-free, 1 for orthogonal, 2 for opposite. Non-finite values are excluded from the sums; their
 * positions are compared separately by {@link #nonFiniteMismatches}.
 */
public final class Metrics {
    private Metrics() {}

    public static double calcDiff(double[] x, double[] y) {
        requireSameLength(x, y);
        double xy = 0, sq = 0;
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(x[i]) || !Double.isFinite(y[i])) continue;
            xy += x[i] * y[i];
            sq += x[i] * x[i] + y[i] * y[i];
        }
        if (sq == 0) return 0; // both all-zero (or empty)
        return 1 - 2 * xy / sq;
    }

    /** max |x - y| over finite pairs. */
    public static double maxAbs(double[] x, double[] y) {
        requireSameLength(x, y);
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(x[i]) || !Double.isFinite(y[i])) continue;
            m = Math.max(m, Math.abs(x[i] - y[i]));
        }
        return m;
    }

    /**
     * max |x - y| / max(|y|, floor) over finite pairs, y the reference. The floor (use the tensor's typical
     * magnitude times a small factor) keeps near-zero reference entries from dominating.
     */
    public static double maxRel(double[] x, double[] y, double floor) {
        requireSameLength(x, y);
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(x[i]) || !Double.isFinite(y[i])) continue;
            m = Math.max(m, Math.abs(x[i] - y[i]) / Math.max(Math.abs(y[i]), floor));
        }
        return m;
    }

    /** max |x - y| / max(|y|, tiny): relative error without a floor beyond the smallest normal double. */
    public static double maxRel(double[] x, double[] y) { return maxRel(x, y, Double.MIN_NORMAL); }

    /**
     * Worst error in units of the last place of a format with {@code mantissaBits} fraction bits, measured at the
     * reference value: |x - y| / ulp(y), ulp(y) = 2^(floor(log2 |y|) - mantissaBits), with the format's smallest
     * normal exponent {@code minNormalExp} as the floor for tiny y.
     */
    public static double maxUlps(double[] x, double[] y, int mantissaBits, int minNormalExp) {
        requireSameLength(x, y);
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(x[i]) || !Double.isFinite(y[i])) continue;
            int e = y[i] == 0 ? minNormalExp : Math.max(Math.getExponent(y[i]), minNormalExp);
            m = Math.max(m, Math.abs(x[i] - y[i]) / Math.scalb(1.0, e - mantissaBits));
        }
        return m;
    }

    /** Index of the largest element (the first one on ties); −1 for an empty array. NaN never wins. */
    public static int argmax(double[] x) {
        int best = -1;
        for (int i = 0; i < x.length; i++) if (!Double.isNaN(x[i]) && (best < 0 || x[i] > x[best])) best = i;
        return best;
    }

    /**
     * Count of positions where exactly one side is non-finite, or both are but differ in kind
     * (NaN, +inf, −inf). NaN and inf positions must match the reference exactly.
     */
    public static int nonFiniteMismatches(double[] x, double[] y) {
        requireSameLength(x, y);
        int n = 0;
        for (int i = 0; i < x.length; i++) {
            boolean fx = Double.isFinite(x[i]), fy = Double.isFinite(y[i]);
            if (fx && fy) continue;
            if (fx != fy) n++;
            else if (Double.isNaN(x[i]) != Double.isNaN(y[i]) || (!Double.isNaN(x[i]) && x[i] != y[i])) n++;
        }
        return n;
    }

    private static void requireSameLength(double[] x, double[] y) {
        if (x.length != y.length) throw new IllegalArgumentException("length mismatch: " + x.length + " vs " + y.length);
    }
}
