package org.dsv32.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** The rate-limited progress, driven by an injected clock: no wall time is measured. */
class ProgressTest {
    static final long S = 1_000_000_000L;

    /** A clock the test moves by hand. */
    static final class FakeClock {
        long now;

        long nanoTime() { return now; }
    }

    /** A sink that records every line it is passed, with the clock's time. */
    static final class Recorder implements Progress {
        final FakeClock clock;
        final List<String> lines = new ArrayList<>();
        final List<Long> times = new ArrayList<>();

        Recorder(FakeClock clock) { this.clock = clock; }

        @Override public void report(String line) {
            lines.add(line);
            times.add(clock.now);
        }
    }

    @Test
    void firstStepPassesThenAtMostOneLinePerIntervalAndTheFinalOne() {
        FakeClock clock = new FakeClock();
        Recorder sink = new Recorder(clock);
        Progress.RateLimited p = Progress.rateLimited(sink, clock::nanoTime, 2 * S);
        // 10,000 decode steps, 30 ms each: 300 s of work
        for (int k = 0; k < 10_000; k++) {
            clock.now += 30_000_000L;
            p.step("step " + k);
        }
        p.finish();
        assertEquals("step 0", sink.lines.get(0), "the first step shows at once");
        assertEquals("step 9999", sink.lines.get(sink.lines.size() - 1), "the final step is shown");
        // 300 s at one line per 2 s (each at a 30 ms step boundary), plus the final one
        assertTrue(sink.lines.size() <= 300 / 2 + 2, "rate-limited: " + sink.lines.size() + " lines");
        assertTrue(sink.lines.size() >= 300 / 3, "but not silent: " + sink.lines.size() + " lines");
        for (int i = 1; i < sink.lines.size() - 1; i++) {
            assertTrue(sink.times.get(i) - sink.times.get(i - 1) >= 2 * S, "two lines at least 2 s apart");
        }
    }

    @Test
    void milestonesAlwaysPassAndClearAHeldBackStep() {
        FakeClock clock = new FakeClock();
        Recorder sink = new Recorder(clock);
        Progress.RateLimited p = Progress.rateLimited(sink, clock::nanoTime, 2 * S);
        p.step("a");
        p.step("b"); // held back: no time has passed
        p.report("check done");
        p.report("check done again");
        p.finish(); // nothing held back any more
        assertEquals(List.of("a", "check done", "check done again"), sink.lines);
        p.step("c"); // within 2 s of the last line: held back
        clock.now += S;
        p.finish();
        assertEquals("c", sink.lines.get(sink.lines.size() - 1));
    }

    @Test
    void prefixesAndDemotionKeepTheKindOfLine() {
        FakeClock clock = new FakeClock();
        Recorder sink = new Recorder(clock);
        Progress.RateLimited p = Progress.rateLimited(sink, clock::nanoTime, 2 * S);
        Progress sub = p.asSteps().withPrefix("[simd] ");
        sub.step("one");
        sub.report("sequence 0: 3 steps done"); // demoted: held back like a step
        assertEquals(List.of("[simd] one"), sink.lines);
        p.finish();
        assertEquals(List.of("[simd] one", "[simd] sequence 0: 3 steps done"), sink.lines);
    }

    @Test
    void anOperationCheckReportsEveryCaseAsAStepAndEachComparisonAsAMilestone() {
        List<String> steps = new ArrayList<>(), reports = new ArrayList<>();
        Progress recorder = new Progress() {
            @Override public void report(String line) { reports.add(line); }
            @Override public void step(String line) { steps.add(line); }
        };
        org.dsv32.reference.ReferenceBackend ref = new org.dsv32.reference.ReferenceBackend();
        List<CheckResult> results = new org.dsv32.conformance.checks.RmsNormCheck().run(ref, ref, CheckOptions.quickDefaults(), recorder);
        assertEquals(results.size(), reports.size(), "one milestone per comparison");
        int cases = 0;
        for (CheckResult r : results) cases += r.cases().size();
        assertTrue(steps.size() >= cases && cases > 0, steps.size() + " steps for " + cases + " cases");
        assertTrue(steps.get(0).contains("rms_norm") && steps.get(0).endsWith(" case 1 of " + (steps.size() / results.size())), steps.get(0));
    }

    /**
     * For any step times: the first step passes, no two passed lines are closer than the interval (the final one
     * aside), at most one step per interval of elapsed time passes, and after finish the last step is shown.
     */
    @Property(tries = 300)
    void anyScheduleIsRateLimited(@ForAll @Size(min = 1, max = 400) List<@LongRange(min = 0, max = 3_000_000_000L) Long> gaps,
                                  @ForAll @IntRange(min = 1, max = 5) int intervalSeconds) {
        FakeClock clock = new FakeClock();
        Recorder sink = new Recorder(clock);
        long interval = intervalSeconds * S;
        Progress.RateLimited p = Progress.rateLimited(sink, clock::nanoTime, interval);
        long start = clock.now;
        for (int k = 0; k < gaps.size(); k++) {
            clock.now += gaps.get(k);
            p.step("step " + k);
        }
        int beforeFinish = sink.lines.size();
        p.finish();
        assertEquals("step 0", sink.lines.get(0));
        assertEquals("step " + (gaps.size() - 1), sink.lines.get(sink.lines.size() - 1));
        for (int i = 1; i < beforeFinish; i++) assertTrue(sink.times.get(i) - sink.times.get(i - 1) >= interval);
        long elapsed = clock.now - start;
        assertTrue(beforeFinish <= 1 + elapsed / interval, beforeFinish + " lines in " + elapsed + " ns");
    }
}
