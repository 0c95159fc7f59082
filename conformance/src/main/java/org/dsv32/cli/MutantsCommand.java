package org.dsv32.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.OperationSuite;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.Shard;
import org.dsv32.conformance.report.JUnitXml;
import org.dsv32.conformance.mutants.Mutant;
import org.dsv32.conformance.mutants.MutantCatalogue;
import org.dsv32.conformance.mutants.MutantMerge;
import org.dsv32.conformance.mutants.MutantResult;
import org.dsv32.conformance.mutants.MutantRunner;
import org.dsv32.conformance.mutants.MutantTable;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.io.OutputFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./dsv32 mutants}: runs the conformance checks (quick size, fixed seed) against every mutant of the
 * catalogue — the reference with one known port bug injected — and prints one line per mutant: killed, by which
 * check, or SURVIVED. A kill counts only when the unmutated reference passes the killing check (the control).
 * Exit code 0 when every mutant is killed, 1 when one survives (or a control fails), 2 on a usage or I/O error.
 */
@Command(name = "mutants", mixinStandardHelpOptions = true,
        description = {"Run the conformance checks against every known port bug (fact sheet, section 12) injected",
                "into the reference, one at a time; every mutant must be killed. See conformance/MUTANTS.md."})
final class MutantsCommand implements Callable<Integer> {
    @Option(names = "--only", paramLabel = "ID", split = ",", description = "Run only these mutants (comma-separated ids).")
    List<String> only;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON.")
    Path json;

    @Option(names = "--markdown", paramLabel = "FILE", description = "Write the catalogue table (MUTANTS.md) and exit.")
    Path markdown;

    @Option(names = "--seed", paramLabel = "N", description = "Base seed of the generated cases (default: " + CheckOptions.DEFAULT_SEED + ").")
    Long seed;

    @Option(names = "--dims", defaultValue = "small", paramLabel = "small|real",
            description = "The shapes of the checks' cases: the harness's small configurations (default) or the 671B model's.")
    String dims;

    @Option(names = "--shard", paramLabel = "I/N", description = "Run only part I of N (1 <= I <= N) of the mutants: the k-th mutant "
            + "of the catalogue (or of --only) belongs to part (k mod N) + 1, the same on every machine.")
    String shard;

    @Option(names = "--junit", paramLabel = "FILE", description = "Also write JUnit XML: one test case per mutant (SURVIVED is a failure).")
    Path junit;

    @Option(names = "--merge", arity = "1..*", paramLabel = "FILE", description = "Run nothing: merge the --json files of every shard "
            + "of one run into --json (and --junit).")
    List<Path> merge;

    @Option(names = "--verbose", description = "Print every check's progress line on stderr (default: at most one line every 2 s).")
    boolean verbose;

    @Option(names = "--judge", defaultValue = "reference", paramLabel = "reference|official",
            description = "reference: the float64 reference judges each mutant through every conformance check (default); official: "
                    + "DeepSeek's committed outputs alone judge it, as if the bug were in our definition (mutants of operations a logits "
                    + "run never calls are listed as not reachable).")
    String judge;

    @Override
    public Integer call() throws IOException {
        PrintStream out = System.out, err = System.err;
        // Output paths are checked before the run (minutes): a bad --json must not cost them.
        if (markdown != null) OutputFiles.checkFile(markdown);
        if (json != null) OutputFiles.checkFile(json);
        if (junit != null) OutputFiles.checkFile(junit);
        if (merge != null) return merge(out);
        Shard part = shard == null ? Shard.WHOLE : Shard.parse(shard);
        if (markdown != null) {
            OutputFiles.writeString(markdown, MutantTable.markdown(MutantCatalogue.all()));
            out.println("wrote " + Printable.of(markdown) + " (" + MutantCatalogue.all().size() + " mutants)");
            return 0;
        }
        List<Mutant> selected = only == null ? MutantCatalogue.all() : only.stream().map(MutantCatalogue::byId).toList();
        if (selected.stream().map(Mutant::id).distinct().count() < selected.size()) throw new IllegalArgumentException("--only names a mutant twice: " + only);
        List<Mutant> mutants = shardOf(selected, part);
        CheckOptions options = new CheckOptions(seed == null ? CheckOptions.DEFAULT_SEED : seed, true, org.dsv32.conformance.Dims.parse(dims));
        if (!judge.equals("reference") && !judge.equals("official")) throw new IllegalArgumentException("--judge must be reference or official, got '" + judge + "'");
        boolean official = judge.equals("official");
        if (official && !org.dsv32.conformance.official.OfficialCases.shippedAvailable()) {
            throw new IllegalStateException("--judge official: no committed outputs of DeepSeek's code on the class path");
        }
        org.dsv32.conformance.official.OfficialSuite officialSuite = official ? new org.dsv32.conformance.official.OfficialSuite() : null;
        MutantRunner runner = new MutantRunner(OperationSuite.checks(), new ReferenceBackend(), options);
        // Without --verbose the checks' lines are steps: at most one every 2 s shows that a long mutant is alive.
        // The mutant lines are printed as before; the checks' lines inside a mutant go through the limiter (the first
        // of the run at once). A held-back line is not printed at the end: each mutant's final state is its result line.
        Progress.RateLimited limiter = Progress.rateLimited(line -> err.println(Printable.of(line)), System::nanoTime,
                Progress.DEFAULT_INTERVAL_NANOS);
        Progress progress = (verbose ? limiter : limiter.asSteps()).withPrefix("  ");
        long t0 = System.nanoTime();

        err.println("dsv32 mutants: " + mutants.size() + " mutant(s)" + (part.whole() ? "" : " (shard " + part + " of " + selected.size() + ")")
                + ", " + (official ? "judged by DeepSeek's own outputs" : "quick checks, seed " + options.seed()));
        int unreachable = 0;
        List<MutantResult> results = new ArrayList<>();
        List<MutantResult> notReachable = new ArrayList<>();
        for (int i = 0; i < mutants.size(); i++) {
            Mutant m = mutants.get(i);
            err.printf(Locale.ROOT, "[%d/%d] %s (%s)%n", i + 1, mutants.size(), m.id(), m.operationLabel());
            MutantResult r;
            if (official && !org.dsv32.conformance.mutants.OfficialJudge.reachable(m)) {
                out.println("  " + m.id() + ": not reachable (a logits run never calls " + m.operationLabel() + ")");
                unreachable++;
                notReachable.add(MutantResult.notReachable(m, "a logits run never calls " + m.operationLabel(), List.of(), 0));
                continue;
            }
            try {
                r = official ? org.dsv32.conformance.mutants.OfficialJudge.run(m, officialSuite, options, progress) : runner.run(m, progress);
            } catch (IllegalStateException e) {
                out.println("control FAILED: " + e.getMessage());
                if (junit != null) {
                    OutputFiles.writeString(junit, junitXml(results, notReachable, m, e.getMessage(), options, judge, part));
                }
                return 1;
            }
            out.println(r.line());
            if (!r.reachable()) {
                unreachable++;
                notReachable.add(r);
                continue;
            }
            results.add(r);
            if (r.survived() && !official && MutantCatalogue.lowMarginWhy(m.id()) != null) out.println("  (why: " + MutantCatalogue.lowMarginWhy(m.id()) + ")");
            String invisible = org.dsv32.conformance.mutants.OfficialJudge.INVISIBLE_END_TO_END.get(m.id());
            if (official && !r.killed() && invisible != null) out.println("  (invisible end to end: " + invisible + ")");
        }
        long survived = results.stream().filter(r -> !r.killed()).count();
        // under the official judge a mutant documented as invisible end to end is no failure of the suite
        long failing = official ? results.stream().filter(r -> !r.killed()
                && !org.dsv32.conformance.mutants.OfficialJudge.INVISIBLE_END_TO_END.containsKey(r.mutant().id())).count() : survived;
        double secs = (System.nanoTime() - t0) / 1e9;
        if (official) {
            out.printf(Locale.ROOT, "mutants: %s — %d killed, %d survived (%d of them invisible end to end, as documented) of %d judged by DeepSeek's"
                            + " outputs (%d not reachable by a logits run) in %.1f s%n",
                    failing == 0 ? "PASS" : "FAIL", results.size() - survived, survived, survived - failing, results.size(), unreachable, secs);
        } else {
            out.printf(Locale.ROOT, "mutants: %s — %d killed, %d survived of %d%s in %.1f s (control: the unmutated reference passes each of the %d checks that killed)%n",
                    survived == 0 ? "PASS" : "FAIL", results.size() - survived, survived, results.size(),
                    unreachable == 0 ? "" : " (" + unreachable + " not reachable at " + options.dims().label() + " dims)", secs, runner.controlledChecks());
        }
        printMargins(out, results);
        if (json != null) writeJson(json, results, notReachable, selected, options, secs, judge, part);
        if (junit != null) OutputFiles.writeString(junit, junitXml(results, notReachable, null, null, options, judge, part));
        return failing == 0 ? 0 : 1;
    }

    /**
     * The kills narrower than {@link org.dsv32.conformance.Margin#TARGET} gates, each with what its killing case
     * measured (the why), and the smallest margin of the run.
     */
    static void printMargins(PrintStream out, List<MutantResult> results) {
        List<MutantResult> below = results.stream().filter(MutantResult::belowTarget).toList();
        results.stream().filter(r -> r.killed() && !Double.isNaN(r.margin()))
                .min(java.util.Comparator.comparingDouble(MutantResult::margin))
                .ifPresent(r -> out.println("margins: smallest " + org.dsv32.conformance.Margin.format(r.margin()) + " (" + r.mutant().id() + "); "
                        + below.size() + " kill(s) below " + org.dsv32.conformance.Margin.format(org.dsv32.conformance.Margin.TARGET)
                        + (below.isEmpty() ? "" : ":")));
        for (MutantResult r : below) {
            out.println("  " + r.mutant().id() + " " + org.dsv32.conformance.Margin.format(r.margin()) + " by " + r.killer() + ", case '"
                    + r.caseName() + "': " + r.reason() + (MutantCatalogue.lowMarginWhy(r.mutant().id()) == null ? "" : " — " + MutantCatalogue.lowMarginWhy(r.mutant().id())));
        }
    }

    /** {@code --merge}: the shards' --json files as one, judged like a run. */
    private int merge(PrintStream out) throws IOException {
        if (only != null || shard != null || seed != null || markdown != null || !judge.equals("reference")) {
            throw new IllegalArgumentException("--merge runs nothing: --only, --shard, --seed, --judge and --markdown come from the shards' files");
        }
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        List<MutantMerge.Input> inputs = new ArrayList<>();
        for (Path p : merge) {
            CliErrors.requireInput(p, "mutants report");
            if (json != null && java.nio.file.Files.exists(json) && java.nio.file.Files.isSameFile(p, json)) {
                throw new IllegalArgumentException("--json " + json + " is the shard report " + p + ": the merge would overwrite it");
            }
            try {
                inputs.add(new MutantMerge.Input(p, om.readTree(p.toFile())));
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                throw new IllegalArgumentException(p + ": not valid JSON at " + org.dsv32.spec.io.JsonErrors.describe(e), e);
            }
        }
        ObjectNode root = MutantMerge.merge(inputs);
        List<MutantResult> results = new ArrayList<>(), notReachable = new ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode m : root.get("mutants")) {
            MutantResult r = MutantMerge.result(m);
            (r.reachable() ? results : notReachable).add(r);
        }
        java.util.Set<String> listed = new java.util.HashSet<>();
        notReachable.forEach(r -> listed.add(r.mutant().id()));
        for (com.fasterxml.jackson.databind.JsonNode m : root.get("not_reachable")) {
            // an older shard file lists a not-reachable mutant only here
            if (listed.add(m.asText())) notReachable.add(MutantResult.notReachable(MutantCatalogue.byId(m.asText()), "not reachable", List.of(), 0));
        }
        for (MutantResult r : results) out.println(r.line());
        for (MutantResult r : notReachable) out.println(r.line());
        printMargins(out, results);
        long survived = results.stream().filter(r -> !r.killed()).count();
        if (json != null) OutputFiles.writeBytes(json, om.writeValueAsBytes(root));
        if (junit != null) {
            OutputFiles.writeString(junit, junitXml(results, notReachable, null, null, new CheckOptions(root.path("seed").asLong(),
                    root.path("quick").asBoolean(), org.dsv32.conformance.Dims.parse(root.path("dims").asText("small"))), root.path("judge").asText(), Shard.WHOLE));
        }
        out.printf(Locale.ROOT, "mutants (merged %d shard files): %s — %d killed, %d survived of %d%s%n", inputs.size(),
                survived == 0 ? "PASS" : "FAIL", results.size() - survived, survived, results.size(),
                notReachable.isEmpty() ? "" : " (" + notReachable.size() + " not reachable)");
        return survived == 0 ? 0 : 1;
    }

    /** The mutants of shard {@code part}: the k-th of {@code all} (0-based) when part owns position k. */
    static List<Mutant> shardOf(List<Mutant> all, Shard part) {
        List<Mutant> out = new ArrayList<>();
        for (int k = 0; k < all.size(); k++) if (part.owns(k)) out.add(all.get(k));
        return out;
    }

    /**
     * One test case per mutant, classname {@code mutants.<operation>}, name its id: killed passes (the killer in its
     * output), SURVIVED fails, not reachable (--judge official) is skipped; a failed control is an error.
     */
    static String junitXml(List<MutantResult> results, List<MutantResult> notReachable, Mutant controlFailedAt, String controlMessage,
                           CheckOptions options, String judge, Shard part) {
        List<JUnitXml.TestCase> cases = new ArrayList<>();
        for (MutantResult r : results) {
            Mutant m = r.mutant();
            String cls = "mutants." + m.operationLabel();
            cases.add(r.killed()
                    ? new JUnitXml.TestCase(cls, m.id(), r.seconds(), JUnitXml.Outcome.PASSED, "", "", r.line().strip() + "\n")
                    : new JUnitXml.TestCase(cls, m.id(), r.seconds(), JUnitXml.Outcome.FAILED,
                    "SURVIVED: no check failed (expected killer: " + m.expectedKillerLabel() + ")", "SURVIVED",
                    m.bug() + "\ninjected at " + m.injectedAt() + "\nchecks run: " + String.join(", ", r.checksRun()) + "\n"));
        }
        for (MutantResult r : notReachable) {
            Mutant m = r.mutant();
            cases.add(new JUnitXml.TestCase("mutants." + m.operationLabel(), m.id(), 0, JUnitXml.Outcome.SKIPPED,
                    "not reachable: " + r.notReachable(), "", ""));
        }
        if (controlFailedAt != null) {
            cases.add(new JUnitXml.TestCase("mutants." + controlFailedAt.operationLabel(), controlFailedAt.id(), 0, JUnitXml.Outcome.ERROR,
                    "control FAILED: " + controlMessage, "control", controlMessage));
        }
        java.util.Map<String, String> props = new java.util.LinkedHashMap<>();
        props.put("seed", Long.toString(options.seed()));
        props.put("judge", judge);
        props.put("shard", part.label());
        return JUnitXml.render("dsv32 mutants", List.of(new JUnitXml.TestSuite("mutants", props, cases)));
    }

    private static void writeJson(Path file, List<MutantResult> results, List<MutantResult> notReachable, List<Mutant> selected, CheckOptions options,
                                  double secs, String judge, Shard part) throws IOException {
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = om.createObjectNode();
        root.put("seed", options.seed());
        root.put("judge", judge);
        ObjectNode sh = root.putObject("shard");
        sh.put("index", part.index());
        sh.put("count", part.count());
        root.put("version", ConformCommand.version());
        ArrayNode sel = root.putArray("selected"); // the whole run's selection, so that a merge can tell a shard is missing
        selected.forEach(m -> sel.add(m.id()));
        ArrayNode nr = root.putArray("not_reachable");
        notReachable.forEach(r -> nr.add(r.mutant().id()));
        root.put("quick", options.quick());
        root.put("dims", options.dims().label());
        root.put("seconds", secs);
        root.put("killed", results.stream().filter(MutantResult::killed).count());
        root.put("survived", results.stream().filter(r -> !r.killed()).count());
        ArrayNode arr = root.putArray("mutants");
        List<MutantResult> all = new ArrayList<>(results);
        all.addAll(notReachable);
        for (MutantResult r : all) arr.add(MutantMerge.entry(r));
        OutputFiles.writeBytes(file, om.writeValueAsBytes(root));
    }
}
