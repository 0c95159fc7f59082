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
import org.dsv32.conformance.mutants.Mutant;
import org.dsv32.conformance.mutants.MutantCatalogue;
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
        if (markdown != null) {
            OutputFiles.writeString(markdown, MutantTable.markdown(MutantCatalogue.all()));
            out.println("wrote " + Printable.of(markdown) + " (" + MutantCatalogue.all().size() + " mutants)");
            return 0;
        }
        List<Mutant> mutants = only == null ? MutantCatalogue.all() : only.stream().map(MutantCatalogue::byId).toList();
        CheckOptions options = new CheckOptions(seed == null ? CheckOptions.DEFAULT_SEED : seed, true);
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

        err.println("dsv32 mutants: " + mutants.size() + " mutant(s), " + (official ? "judged by DeepSeek's own outputs" : "quick checks, seed " + options.seed()));
        int unreachable = 0;
        List<MutantResult> results = new ArrayList<>();
        for (int i = 0; i < mutants.size(); i++) {
            Mutant m = mutants.get(i);
            err.printf(Locale.ROOT, "[%d/%d] %s (%s)%n", i + 1, mutants.size(), m.id(), m.operationLabel());
            MutantResult r;
            if (official && !org.dsv32.conformance.mutants.OfficialJudge.reachable(m)) {
                out.println("  " + m.id() + ": not reachable (a logits run never calls " + m.operationLabel() + ")");
                unreachable++;
                continue;
            }
            try {
                r = official ? org.dsv32.conformance.mutants.OfficialJudge.run(m, officialSuite, options, progress) : runner.run(m, progress);
            } catch (IllegalStateException e) {
                out.println("control FAILED: " + e.getMessage());
                return 1;
            }
            results.add(r);
            out.println(r.line());
        }
        long survived = results.stream().filter(r -> !r.killed()).count();
        double secs = (System.nanoTime() - t0) / 1e9;
        if (official) {
            out.printf(Locale.ROOT, "mutants: %s — %d killed, %d survived of %d judged by DeepSeek's outputs (%d not reachable by a logits run) in %.1f s%n",
                    survived == 0 ? "PASS" : "FAIL", results.size() - survived, survived, results.size(), unreachable, secs);
        } else {
            out.printf(Locale.ROOT, "mutants: %s — %d killed, %d survived of %d in %.1f s (control: the unmutated reference passes each of the %d checks that killed)%n",
                    survived == 0 ? "PASS" : "FAIL", results.size() - survived, survived, results.size(), secs, runner.controlledChecks());
        }
        if (json != null) writeJson(json, results, options, secs, judge);
        return survived == 0 ? 0 : 1;
    }

    private static void writeJson(Path file, List<MutantResult> results, CheckOptions options, double secs, String judge) throws IOException {
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = om.createObjectNode();
        root.put("seed", options.seed());
        root.put("judge", judge);
        root.put("quick", options.quick());
        root.put("seconds", secs);
        root.put("killed", results.stream().filter(MutantResult::killed).count());
        root.put("survived", results.stream().filter(r -> !r.killed()).count());
        ArrayNode arr = root.putArray("mutants");
        for (MutantResult r : results) {
            Mutant m = r.mutant();
            ObjectNode n = arr.addObject();
            n.put("id", m.id());
            if (m.factSheet() != null) n.put("fact_sheet", m.factSheet());
            else n.putNull("fact_sheet");
            n.put("detail", m.detail());
            n.put("operation", m.operationLabel());
            n.put("injected_at", m.injectedAt());
            n.put("expected_killer", m.expectedKillerLabel());
            n.put("status", r.killed() ? "killed" : "survived");
            if (r.killed()) {
                ObjectNode k = n.putObject("killed_by");
                k.put("check", r.killer());
                k.put("case", r.caseName());
                k.put("reason", r.reason());
            }
            ArrayNode ran = n.putArray("checks_run");
            r.checksRun().forEach(ran::add);
            n.put("seconds", r.seconds());
        }
        OutputFiles.writeBytes(file, om.writeValueAsBytes(root));
    }
}
