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
import org.dsv32.conformance.Shard;
import org.dsv32.conformance.Status;
import org.dsv32.conformance.report.Baseline;
import org.dsv32.conformance.report.ConformanceJUnit;
import org.dsv32.conformance.report.ConformanceReport;
import org.dsv32.conformance.report.ReportHtml;
import org.dsv32.conformance.report.ReportJson;
import org.dsv32.conformance.report.ReportMerge;
import org.dsv32.conformance.report.RunInfo;
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
        description = {"Check backends against the float64 reference, operation by operation, in the exact, fp8 and bf16 precision modes.",
                "TIGHT: candidate and reference in the same mode; LOOSE: candidate fp8 vs reference exact; bf16/tight is gated statistically (spec/TOLERANCES.md §5b).",
                "Not-implemented operations are listed but do not fail the run unless --strict;",
                "a backend that passes nothing of its own always fails.",
                "Exit code: 0 pass, 1 fail (or a baseline regression), 2 usage or I/O error."})
final class ConformCommand implements Callable<Integer> {
    @Option(names = "--backend", defaultValue = "all", paramLabel = "NAME|all", description = "Backend to check (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--quick", description = "Fewer and smaller cases (a couple of minutes on 2 cores).")
    boolean quick;

    @Option(names = "--dims", defaultValue = "small", paramLabel = "small|real",
            description = "The shapes of the generated cases: the harness's small configurations (default) or the 671B model's.")
    String dims;

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

    @Option(names = "--shard", paramLabel = "I/N", description = "Run only part I of N (1 <= I <= N): a fixed split of the run's checks, "
            + "the same on every machine, for a CI matrix; merge the parts with --merge.")
    String shard;

    @Option(names = "--shard-costs", paramLabel = "FILE", description = "Balance --shard by these costs: a report.json of an earlier "
            + "whole run, or a table written by --write-shard-costs (default: the committed table for --dims and --quick, else equal costs). "
            + "Every shard of a run must use the same table.")
    Path shardCosts;

    @Option(names = "--write-shard-costs", paramLabel = "FILE", description = "After the run, write each unit's seconds as a cost table "
            + "for --shard-costs (tab-separated: suite, backend, unit, seconds).")
    Path writeShardCosts;

    @Option(names = "--junit", paramLabel = "FILE", description = "Also write JUnit XML: one test case per operation x backend x mode x tier.")
    Path junit;

    @Option(names = "--merge", arity = "1..*", paramLabel = "DIR", description = "Run nothing: merge the report.json of every shard "
            + "(a --report DIR of each, or the file) into one report in --report (all shards of one run, each once).")
    List<Path> merge;

    @Override
    public Integer call() throws java.io.IOException {
        PrintStream out = System.out, err = System.err;
        Path json = reportDir.resolve("report.json"), html = reportDir.resolve("report.html");
        // Every output path is checked before the run, which takes minutes: a bad --report must not cost them.
        OutputFiles.checkDirectory(reportDir);
        OutputFiles.checkFile(json);
        OutputFiles.checkFile(html);
        if (junit != null) OutputFiles.checkFile(junit);
        if (writeShardCosts != null) OutputFiles.checkFile(writeShardCosts);
        JsonNode base = baseline == null ? null : ReportJson.read(baseline);
        if (merge != null) return merge(out, json, html, base);
        Shard part = shard == null ? Shard.WHOLE : Shard.parse(shard);
        org.dsv32.conformance.Dims dimsAsked = org.dsv32.conformance.Dims.parse(dims);
        List<org.dsv32.conformance.CheckSuite> suites = ConformanceRunner.suites(suiteNames);
        if (suiteNames == null && dimsAsked == org.dsv32.conformance.Dims.REAL) {
            // golden, checkpoint and official cases are fixed files at small shapes: --dims does not change them
            suites = ConformanceRunner.suites(List.of(org.dsv32.conformance.AbstractOperationCheck.SUITE));
            err.println("dsv32 conform: --dims real runs the operations suite only; the golden, checkpoint and official suites are "
                    + "fixed small cases (name them with --suite to run them too)");
        }
        Backend reference = Backends.byName("reference");
        List<Backend> candidates = backend.equals("all") ? Backends.all() : List.of(Backends.byName(backend));
        CheckOptions options = new CheckOptions(seed == null ? CheckOptions.DEFAULT_SEED : seed, quick, dimsAsked);
        err.println("dsv32 conform: " + candidates.stream().map(Backend::name).toList() + (quick ? " (quick)" : "")
                + (options.realDims() ? ", real dims" : "")
                + ", seed " + options.seed() + (part.whole() ? "" : ", shard " + part));
        // Each finished check is printed; the cases and decode steps inside one at most every 2 s.
        Progress.RateLimited progress = Progress.rateLimited(line -> err.println(Printable.of(line)), System::nanoTime,
                Progress.DEFAULT_INTERVAL_NANOS);
        RunInfo run = new RunInfo(version(), suites.stream().map(org.dsv32.conformance.CheckSuite::name).toList(), backend, part, options.dims());
        ConformanceReport report;
        try {
            org.dsv32.conformance.ShardCosts costs = shardCosts == null ? org.dsv32.conformance.ShardCosts.builtIn(options)
                    : org.dsv32.conformance.ShardCosts.read(shardCosts, suites);
            report = new ConformanceRunner(suites).run(candidates, reference, options, progress, run, costs);
        } finally {
            progress.finish();
        }
        List<String> runProblems = new java.util.ArrayList<>();
        // A backend asked for by name that cannot run here is not a pass: a CI gate on it must notice.
        for (Backend b : candidates) {
            if (!backend.equals("all") && !b.availability().available()) {
                runProblems.add("backend '" + b.name() + "' was asked for but is " + b.availability() + ": nothing was checked");
            }
        }
        if (writeShardCosts != null) {
            org.dsv32.conformance.ShardCosts measured = org.dsv32.conformance.ShardCosts.fromResults(report.results(), suites, "this run");
            OutputFiles.writeString(writeShardCosts, measured.tsv());
            err.println("wrote " + Printable.of(writeShardCosts) + " (" + measured.seconds().size() + " units, digest " + measured.digest() + ")");
        }
        return finish(out, report, strict, base, runProblems, ReportJson.toJson(report, strict), json, html);
    }

    /** {@code --merge}: the shards' reports as one, written and judged like a run's. */
    private int merge(PrintStream out, Path json, Path html, JsonNode base) throws java.io.IOException {
        // the run's options are the shards' own (the merge checks that they agree): given here, they would mislead
        if (shard != null || quick || seed != null || strict || suiteNames != null || !backend.equals("all") || !dims.equals("small")
                || shardCosts != null || writeShardCosts != null) {
            throw new IllegalArgumentException("--merge runs nothing: --shard, --quick, --seed, --strict, --suite, --backend, --dims and the "
                    + "shard costs come from the shards' reports (pass a merged report.json to --shard-costs of a later run)");
        }
        List<ReportMerge.Input> inputs = new java.util.ArrayList<>();
        for (Path p : merge) {
            Path file = java.nio.file.Files.isDirectory(p) ? p.resolve("report.json") : p;
            CliErrors.requireInput(file, "shard report");
            // writing the merged report over a shard's would destroy an input of the merge
            if (java.nio.file.Files.exists(json) && java.nio.file.Files.isSameFile(file, json)) {
                throw new IllegalArgumentException("--report " + reportDir + " holds the shard report " + file + ": the merge would overwrite it");
            }
            inputs.add(new ReportMerge.Input(file, ReportJson.read(file)));
        }
        ReportMerge.Merged m = ReportMerge.merge(inputs);
        com.fasterxml.jackson.databind.node.ObjectNode root = ReportJson.toJson(m.report(), m.strict());
        com.fasterxml.jackson.databind.node.ArrayNode from = root.putArray("merged_from");
        for (int i = 0; i < inputs.size(); i++) {
            var o = from.addObject();
            o.put("file", inputs.get(i).file().toString());
            o.set("shard", inputs.get(i).root().path("shard"));
            o.put("generated", inputs.get(i).root().path("generated").asText());
            o.put("seconds", inputs.get(i).root().path("summary").path("seconds").asDouble());
        }
        out.println("merged " + inputs.size() + " shard report(s): " + String.join(", ", inputs.stream()
                .map(i -> Printable.of(i.file()) + " (" + i.root().path("shard").path("index").asInt(1) + "/"
                        + i.root().path("shard").path("count").asInt(1) + ")").toList()));
        List<String> runProblems = new java.util.ArrayList<>();
        for (ConformanceReport.BackendInfo b : m.report().backends()) {
            // as in a run: a backend asked for by name that could not run is not a pass
            if (!m.report().run().backend().equals("all") && !b.available()) {
                runProblems.add("backend '" + b.name() + "' was asked for but is unavailable (" + b.reason() + "): nothing was checked");
            }
        }
        return finish(out, m.report(), m.strict(), base, runProblems, root, json, html);
    }

    /** Prints the table, writes the reports, applies the baseline, prints the verdict; the exit code. */
    private int finish(PrintStream out, ConformanceReport report, boolean strict, JsonNode base, List<String> runProblems,
                       JsonNode root, Path json, Path html) throws java.io.IOException {
        printTable(out, report);
        ReportJson.write(root, json);
        ReportHtml.write(report, strict, html);
        ConformanceReport.Summary s = report.summary(strict);
        List<String> problems = new java.util.ArrayList<>(s.problems());
        // the problems that are not one check's FAIL (or --strict NOT IMPLEMENTED) become test cases of their own
        List<String> extra = new java.util.ArrayList<>(s.problems().stream()
                .filter(p -> !p.startsWith("FAIL ") && !p.startsWith("NOT IMPLEMENTED ")).toList());
        problems.addAll(runProblems);
        extra.addAll(runProblems);
        if (base != null) {
            List<Baseline.Regression> regs = Baseline.compare(base, report, baselineFactor);
            for (Baseline.Regression g : regs) problems.add("REGRESSION " + g);
            for (Baseline.Regression g : regs) extra.add("REGRESSION " + g);
            if (regs.isEmpty()) out.println("baseline " + Printable.of(baseline) + ": no error grew by more than " + baselineFactor + "x");
        }
        if (junit != null) OutputFiles.writeString(junit, ConformanceJUnit.render(report, strict, extra));
        for (String p : problems) out.println(Printable.of(p));
        out.printf(Locale.ROOT, "conform%s: %s — %d pass%s, %d fail, %d not implemented, %d unavailable%s in %.1f s; reports in %s%n",
                report.run().shard().whole() ? "" : " shard " + report.run().shard(), problems.isEmpty() ? "PASS" : "FAIL", s.pass(), s.delegated() > 0 ? " (" + s.delegated() + " delegated)" : "",
                s.fail(), s.notImplemented(), s.unavailable(), base == null ? "" : ", baseline x" + baselineFactor,
                report.seconds(), Printable.of(reportDir));
        return problems.isEmpty() ? 0 : 1;
    }

    /** The version Maven wrote into the jar ("unknown" when run from classes): shards of different versions do not merge. */
    static String version() {
        java.util.Properties p = new java.util.Properties();
        try (java.io.InputStream in = Dsv32.class.getResourceAsStream("/dsv32-version.properties")) {
            if (in != null) p.load(in);
        } catch (java.io.IOException e) {
            return "unknown";
        }
        return p.getProperty("version", "unknown");
    }

    static void printTable(PrintStream out, ConformanceReport r) {
        out.printf(Locale.ROOT, "%-10s %-18s %-10s %-12s %5s %11s %10s %15s %9s  %s%n", "suite", "operation", "backend", "precision",
                "cases", "calc_diff", "ulps", "agree/tie/viol", "headroom", "status");
        for (CheckResult c : r.results()) {
            DecisionCounts d = c.decisions();
            String status = c.status().display() + (c.note().isEmpty() ? "" : " (" + c.note() + ")");
            if (c.status() == Status.FAIL) status += " — " + c.failedCases() + " failed case(s)";
            // headroom of a pass (gate / error, org.dsv32.conformance.Margin); a FAIL shows its margin instead
            String room = c.status() == Status.FAIL ? "fail " + org.dsv32.conformance.Margin.format(c.margin())
                    : org.dsv32.conformance.Margin.format(c.headroom());
            out.printf(Locale.ROOT, "%-10s %-18s %-10s %-12s %5d %11s %10s %15s %9s  %s%n", c.suite(), c.operation(), c.backend(),
                    c.mode() + "/" + c.tier().label(), c.cases().size(), c.cases().isEmpty() ? "-" : sci(c.worstCalcDiff()),
                    c.cases().isEmpty() ? "-" : sci(c.worstUlps()),
                    d.total() == 0 ? "-" : d.agree() + "/" + d.nearTie() + "/" + d.violation(), room, Printable.of(status));
        }
    }

    private static String sci(double v) { return v == 0 ? "0" : String.format(Locale.ROOT, "%.2e", v); }
}
