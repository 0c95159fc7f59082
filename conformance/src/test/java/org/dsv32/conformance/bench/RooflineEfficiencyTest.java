package org.dsv32.conformance.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import org.junit.jupiter.api.Test;

/** {@link BenchReport#rooflineEfficiency}: max(bytes / bandwidth, flops / peak) / seconds with the run's limits. */
class RooflineEfficiencyTest {
    /** 100 GFLOP/s peak, 10 GB/s bandwidth. */
    static final MachineLimits LIMITS = new MachineLimits(2, 512, 100, 10, 1 << 20);

    @Test
    void aMemoryBoundCallIsMeasuredAgainstTheBandwidth() {
        // 1 GB at 10 GB/s: 0.1 s at the limit; 2 GFLOP would take 0.02 s at the peak
        assertEquals(0.5, BenchReport.rooflineEfficiency(2e9, 1e9, 0.2, LIMITS), 1e-12);
    }

    @Test
    void aComputeBoundCallIsMeasuredAgainstThePeak() {
        // 50 GFLOP at 100 GFLOP/s: 0.5 s; 1 GB would take 0.1 s
        assertEquals(0.8, BenchReport.rooflineEfficiency(50e9, 1e9, 0.625, LIMITS), 1e-12);
    }

    @Test
    void aCallAtTheRidgeIsAtOneWhenItTakesTheLimitsTime() {
        assertEquals(1.0, BenchReport.rooflineEfficiency(10e9, 1e9, 0.1, LIMITS), 1e-12);
    }

    @Test
    void aCallWithoutTimeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> BenchReport.rooflineEfficiency(1, 1, 0, LIMITS));
    }

    @Property(tries = 200)
    void isTheLargerOfTheTwoFractionsOfTheLimits(@ForAll @DoubleRange(min = 0, max = 1e12) double flops,
                                                 @ForAll @DoubleRange(min = 0, max = 1e11) double bytes,
                                                 @ForAll @DoubleRange(min = 1e-6, max = 100) @net.jqwik.api.constraints.Scale(9) double seconds) {
        double expected = Math.max(bytes / (LIMITS.bandwidthGbPerS() * 1e9), flops / (LIMITS.fp32PeakGflops() * 1e9)) / seconds;
        assertEquals(expected, BenchReport.rooflineEfficiency(flops, bytes, seconds, LIMITS), 1e-12 * Math.max(1, expected));
        // and equals the larger of the table's %peak and %bw of the same row
        BenchResult r = new BenchResult("op", Map.of(), "simd", new BenchTimer.Timing(seconds, seconds, 1, Double.NaN), flops, bytes, "");
        BenchReport report = new BenchReport(LIMITS, "test");
        assertEquals(Math.max(report.fractionOfPeak(r), report.fractionOfBandwidth(r)), report.rooflineEfficiency(r), 1e-12 * Math.max(1, expected));
    }

    @Test
    void usesTheBestCallAndTheReportsCurrentLimits() {
        BenchResult r = new BenchResult("op", Map.of(), "simd", new BenchTimer.Timing(0.4, 0.2, 3, Double.NaN), 2e9, 1e9, "");
        BenchReport report = new BenchReport(LIMITS, "test");
        assertEquals(0.5, report.rooflineEfficiency(r), 1e-12);
        report.limits(new MachineLimits(2, 512, 100, 20, 1 << 20)); // the end-of-run measurement found more bandwidth
        assertEquals(0.25, report.rooflineEfficiency(r), 1e-12);
    }
}
