package org.dsv32.spec.metrics;

/** The metrics of one candidate tensor against its reference. */
public record Comparison(int elements, double calcDiff, double maxAbs, double maxRel, int nonFiniteMismatches,
                         boolean argmaxAgrees) {

    /** Compares candidate x with reference y; maxRel uses a floor of 1e-3 times the reference's RMS. */
    public static Comparison of(double[] x, double[] y) {
        double rms = 0;
        int n = 0;
        for (double v : y) if (Double.isFinite(v)) { rms += v * v; n++; }
        rms = n == 0 ? 0 : Math.sqrt(rms / n);
        double floor = Math.max(rms * 1e-3, Double.MIN_NORMAL);
        return new Comparison(x.length, Metrics.calcDiff(x, y), Metrics.maxAbs(x, y), Metrics.maxRel(x, y, floor),
                Metrics.nonFiniteMismatches(x, y), Metrics.argmax(x) == Metrics.argmax(y));
    }
}
