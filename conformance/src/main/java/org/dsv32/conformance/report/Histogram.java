package org.dsv32.conformance.report;

import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.ErrorStats;

/**
 * Counts of per-element relative errors by decade, log10 from {@link #LO} (and exact matches) to {@link #HI}.
 * Bin 0 holds exact matches and everything below 10^(LO+1); the last bin everything at or above 10^(HI-1).
 */
public record Histogram(int lo, int hi, long[] counts, long nonFinite) {
    public static final int LO = (int) ErrorStats.EXACT_LOG10;
    public static final int HI = 1;

    public static Histogram of(CheckResult r) {
        long[] counts = new long[HI - LO];
        long nf = 0;
        for (CaseResult c : r.cases()) {
            for (double v : c.stats().relErrors()) {
                if (Double.isNaN(v)) { nf++; continue; }
                int b = (int) Math.floor(v) - LO;
                counts[Math.max(0, Math.min(counts.length - 1, b))]++;
            }
        }
        return new Histogram(LO, HI, counts, nf);
    }

    public long total() {
        long t = nonFinite;
        for (long c : counts) t += c;
        return t;
    }
}
