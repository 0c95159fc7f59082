package org.dsv32.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.ConformanceRunner;
import org.dsv32.conformance.DecisionCounts;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.Status;
import org.dsv32.conformance.report.Baseline;
import org.dsv32.conformance.report.ConformanceReport;
import org.dsv32.conformance.report.ReportHtml;
import org.dsv32.conformance.report.ReportJson;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.Backends;
import org.dsv32.spec.io.OutputFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./dsv32 conform}: runs every conformance suite against each backend, with the float64 reference as the
 * judge; prints the table and a summary line; writes report.json and report.html. Exit code 0 only when the run
 * passes (see {@link ConformanceReport} for the policy), 1 when it fails, 2 on a usage or I/O error.
 */
@Command(name = "conform", mixinStandardHelpOptions = true,
        description = {"Check backends against the float64 reference, operation by operation, in both precision modes.",
                "TIGHT: candidate and reference in the same mode; LOOSE: candidate fp8 vs reference exact (spec/TOLERANCES.md).",
                "Not-implemented operations are listed but do not fail the run unless --strict;",
                "a backend that passes nothing of its own always fails.",
                "Exit code: 0 pass, 1 fail (or a baseline regression), 2 usage or I/O error."})
final class ConformCommand implements Callable<Integer> {
    @Option(names = "--backend", defaultValue = "all", paramLabel = "NAME|all", description = "Backend to check (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--quick", description = "Fewer and smaller cases (a couple of minutes on 2 cores).")
    boolean quick;

    @Option(names = "--report", defaultValue = "conform-report", paramLabel = "DIR", description = "Where report.json and report.html go (default: ${DEFAULT-VALUE}).")
    Path reportDir;

    @Option(names = "--baseline", paramLabel = "FILE", description = "A stored report.json: fail when a worst error grows by more than --baseline-factor.")
    Path baseline;

    @Option(names = "--baseline-factor", defaultValue = "4", paramLabel = "X", description = "Allowed growth over the baseline (default: ${DEFAULT-VALUE}x).")
    double baselineFactor;

    @Option(names = "--seed", paramLabel = "N", description = "Base seed of the generated cases (default: " + CheckOptions.DEFAULT_SEED + ").")
    Long seed;

    @Option(names = "--strict", description = "Also fail on operations a backend does not implement.")
    boolean strict;

    @Option(names = "--suite", split = ",", paramLabel = "NAME", description = "Only these suites (operations, golden, checkpoint, official; default: all).")
    List<String> suiteNames;

    @Override
    public Integer call() throws java.io.IOException {
        PrintStream out = System.out, err = System.err;
        Path json = reportDir.resolve("report.json"), html = reportDir.resolve("report.html");
        // Every output path is checked before the run, which takes minutes: a bad --report must not cost them.
        OutputFiles.checkDirectory(reportDir);
        OutputFiles.checkFile(json);
        OutputFiles.checkFile(html);
        List<org.dsv32.conformance.CheckSuite> suites = ConformanceRunner.suites(suiteNames);
        Backend reference = Backends.byName("reference");
        List<Backend> candidates = backend.equals("all") ? Backends.all() : List.of(Backends.byName(backend));
        JsonNode base = baseline == null ? null : ReportJson.read(baseline);
        CheckOptions options = new CheckOptions(seed == null ? CheckOptions.DEFAULT_SEED : seed, quick);
        err.println("dsv32 conform: " + candidates.stream().map(Backend::name).toList() + (quick ? " (quick)" : "")
                + ", seed " + options.seed());
        // Each finished check is printed; the cases and decode steps inside one at most every 2 s.
        Progress.RateLimited progress = Progress.rateLimited(line -> err.println(Printable.of(line)), System::nanoTime,
                Progress.DEFAULT_INTERVAL_NANOS);
        ConformanceReport report;
        try {
            report = new ConformanceRunner(suites).run(candidates, reference, options, progress);
        } finally {
            progress.finish();
        }
        printTable(out, report);
        ReportJson.write(report, strict, json);
        ReportHtml.write(report, strict, html);
        ConformanceReport.Summary s = report.summary(strict);
        List<String> problems = new java.util.ArrayList<>(s.problems());
        // A backend asked for by name that cannot run here is not a pass: a CI gate on it must notice.
        for (Backend b : candidates) {
            if (!backend.equals("all") && !b.availability().available()) {
                problems.add("backend '" + b.name() + "' was asked for but is " + b.availability() + ": nothing was checked");
            }
        }
        if (base != null) {
            List<Baseline.Regression> regs = Baseline.compare(base, report, baselineFactor);
            for (Baseline.Regression g : regs) problems.add("REGRESSION " + g);
            if (regs.isEmpty()) out.println("baseline " + Printable.of(baseline) + ": no error grew by more than " + baselineFactor + "x");
        }
        for (String p : problems) out.println(Printable.of(p));
        out.printf(Locale.ROOT, "conform: %s — %d pass%s, %d fail, %d not implemented, %d unavailable%s in %.1f s; reports in %s%n",
                problems.isEmpty() ? "PASS" : "FAIL", s.pass(), s.delegated() > 0 ? " (" + s.delegated() + " delegated)" : "",
                s.fail(), s.notImplemented(), s.unavailable(), base == null ? "" : ", baseline x" + baselineFactor,
                report.seconds(), Printable.of(reportDir));
        return problems.isEmpty() ? 0 : 1;
    }

    static void printTable(PrintStream out, ConformanceReport r) {
        out.printf(Locale.ROOT, "%-10s %-18s %-10s %-12s %5s %11s %10s %15s  %s%n", "suite", "operation", "backend", "precision",
                "cases", "calc_diff", "ulps", "agree/tie/viol", "status");
        for (CheckResult c : r.results()) {
            DecisionCounts d = c.decisions();
            String status = c.status().display() + (c.note().isEmpty() ? "" : " (" + c.note() + ")");
            if (c.status() == Status.FAIL) status += " — " + c.failedCases() + " failed case(s)";
            out.printf(Locale.ROOT, "%-10s %-18s %-10s %-12s %5d %11s %10s %15s  %s%n", c.suite(), c.operation(), c.backend(),
                    c.mode() + "/" + c.tier().label(), c.cases().size(), c.cases().isEmpty() ? "-" : sci(c.worstCalcDiff()),
                    c.cases().isEmpty() ? "-" : sci(c.worstUlps()),
                    d.total() == 0 ? "-" : d.agree() + "/" + d.nearTie() + "/" + d.violation(), Printable.of(status));
        }
    }

    private static String sci(double v) { return v == 0 ? "0" : String.format(Locale.ROOT, "%.2e", v); }
}
