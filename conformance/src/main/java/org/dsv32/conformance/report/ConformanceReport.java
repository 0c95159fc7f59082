package org.dsv32.conformance.report;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.Status;

/**
 * Everything a conformance run found: the machine, the backends, one {@link CheckResult} per check, and the verdict.
 *
 * <p>Verdict policy (also in spec/TOLERANCES.md): the run passes when no check FAILed and every backend that ran
 * implements at least one operation. NOT_IMPLEMENTED checks of a partial backend are listed loudly but do not fail
 * the run — a port is verified operation by operation — unless {@code strict}; a backend that implements nothing
 * (or only delegates) fails, so that it can never look like a pass.
 */
public record ConformanceReport(String generated, long seed, boolean quick, Machine machine, List<BackendInfo> backends,
                                List<CheckResult> results, double seconds, RunInfo run) {
    public record Machine(String java, String vendor, String os, String arch, int cpus, long maxHeapMib) {
        public static Machine current() {
            return new Machine(Runtime.version().toString(), System.getProperty("java.vendor"), System.getProperty("os.name"),
                    System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
        }
    }

    /** A backend as the run saw it: availability and how many of the catalogued operations it provides. */
    public record BackendInfo(String name, String description, boolean available, String reason, int implementedOperations,
                              int catalogOperations) {}

    /** Counts by status, plus delegated passes and the reasons the run fails (empty when it passes). */
    public record Summary(int pass, int fail, int notImplemented, int unavailable, int delegated, List<String> problems) {
        public boolean passed() { return problems.isEmpty(); }
    }

    public ConformanceReport {
        backends = List.copyOf(backends);
        results = List.copyOf(results);
        if (run == null) run = RunInfo.whole(results.stream().map(CheckResult::suite).distinct().toList());
    }

    public static ConformanceReport of(CheckOptions o, List<BackendInfo> backends, List<CheckResult> results, double seconds) {
        return new ConformanceReport(Instant.now().toString(), o.seed(), o.quick(), Machine.current(), backends, results, seconds, null);
    }

    /** This report with {@code r} as its run information. */
    public ConformanceReport withRun(RunInfo r) {
        return new ConformanceReport(generated, seed, quick, machine, backends, results, seconds, r);
    }

    public Summary summary() { return summary(false); }

    public Summary summary(boolean strict) {
        int pass = 0, fail = 0, ni = 0, un = 0, del = 0;
        List<String> problems = new ArrayList<>();
        for (CheckResult r : results) {
            switch (r.status()) {
                case PASS -> { pass++; if (r.note().startsWith("delegated")) del++; }
                case FAIL -> { fail++; problems.add("FAIL " + r.key() + (r.cases().isEmpty() ? "" : ": " + firstFailure(r))); }
                case NOT_IMPLEMENTED -> { ni++; if (strict) problems.add("NOT IMPLEMENTED " + r.key() + " (--strict)"); }
                case UNAVAILABLE -> un++;
            }
        }
        // A shard holds only some of a backend's checks: whether the backend passed anything of its own is judged on
        // the whole run (unsharded, or the merged report), never on one part.
        for (BackendInfo b : run.shard().whole() ? backends : List.<BackendInfo>of()) {
            if (!b.available()) continue;
            boolean ownPass = results.stream().anyMatch(r -> r.backend().equals(b.name()) && r.status() == Status.PASS && !r.note().startsWith("delegated"));
            if (!ownPass && results.stream().noneMatch(r -> r.backend().equals(b.name()) && r.status() == Status.FAIL)) {
                problems.add("backend '" + b.name() + "' passed no check with an operation of its own (implements "
                        + b.implementedOperations() + "/" + b.catalogOperations() + " operations)");
            }
        }
        return new Summary(pass, fail, ni, un, del, List.copyOf(problems));
    }

    private static String firstFailure(CheckResult r) {
        return r.cases().stream().filter(c -> !c.passed()).findFirst().map(c -> c.name() + ": " + c.failures().get(0)).orElse("");
    }
}
