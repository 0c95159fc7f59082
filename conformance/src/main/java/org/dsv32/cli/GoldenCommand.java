package org.dsv32.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.dsv32.conformance.golden.GoldenFormat;
import org.dsv32.conformance.golden.GoldenGenerator;
import org.dsv32.conformance.golden.GoldenManifest;
import org.dsv32.conformance.golden.GoldenOutcome;
import org.dsv32.conformance.golden.GoldenSealer;
import org.dsv32.conformance.golden.GoldenSource;
import org.dsv32.conformance.golden.GoldenStatus;
import org.dsv32.conformance.golden.GoldenVerifier;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.Backends;
import org.dsv32.spec.io.OutputFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./dsv32 golden}: generate, verify and seal golden cases (spec/GOLDEN_FORMAT.md). */
@Command(name = "golden", mixinStandardHelpOptions = true,
        description = {"Golden cases: one operation call each (inputs, weights, expected outputs) in a sealed safetensors file.",
            "The format is spec/GOLDEN_FORMAT.md; a PyTorch export can be verified like the shipped set."},
        subcommands = {GoldenCommand.Generate.class, GoldenCommand.Verify.class, GoldenCommand.Seal.class})
final class GoldenCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(System.out); }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = {"Regenerate the golden set from the float64 reference. The same seed gives byte-identical files.",
                "Default output: the repository's " + GoldenSource.REPO_FOLDER + " when run inside the repository."})
    static final class Generate implements Callable<Integer> {
        @Option(names = "--out", paramLabel = "DIR", description = "Directory to write (default: the repository's golden folder).")
        Path out;

        @Option(names = "--seed", paramLabel = "N", description = "Base seed (default: " + GoldenGenerator.DEFAULT_SEED + ", the shipped set's).")
        Long seed;

        @Override
        public Integer call() throws Exception {
            Path dir = out != null ? out : GoldenSource.repoFolder(Path.of("")).orElseThrow(() -> new IllegalArgumentException(
                    "not inside the dsv32 repository: give --out DIR"));
            OutputFiles.checkDirectory(dir);
            long s = seed == null ? GoldenGenerator.DEFAULT_SEED : seed;
            long t0 = System.nanoTime();
            GoldenGenerator.Result r = GoldenGenerator.generate(dir, s);
            GoldenManifest m = r.manifest();
            PrintStream o = System.out;
            for (GoldenManifest.Entry e : m.cases()) o.printf(Locale.ROOT, "  %-52s %-18s %-6s %-6s %,10d bytes%n", Printable.of(e.name()), e.operation(), e.mode(), e.scaleFormat(), e.bytes());
            for (GoldenManifest.FileEntry w : m.weights()) o.printf(Locale.ROOT, "  %-52s %-28s %,10d bytes%n", Printable.of(w.file()), "(shared weights)", w.bytes());
            o.printf(Locale.ROOT, "golden generate: %d cases and %d weights files, %.2f MB, seed %d, into %s (%.1f s)%n", m.cases().size(),
                    m.weights().size(), m.totalBytes() / 1e6, s, Printable.of(dir.toAbsolutePath()), (System.nanoTime() - t0) / 1e9);
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Check every case of a directory (or one case file) against a backend and report per case:",
                "PASS, FAIL (with the failed gate), NOT IMPLEMENTED, CORRUPTED or TAMPERED.",
                "Exit 0 only when no case failed, was corrupted or tampered, and at least one case passed.",
                "A directory without manifest.json (an interrupted 'golden generate', a partial copy) is refused, exit 2,",
                "unless --no-manifest; then the count of cases found is set against a full set's."})
    static final class Verify implements Callable<Integer> {
        @Parameters(arity = "0..1", paramLabel = "PATH", description = "A directory of cases or one case file (default: the shipped set).")
        Path path;

        @Option(names = "--backend", defaultValue = "reference", paramLabel = "NAME", description = "Backend to check (default: ${DEFAULT-VALUE}).")
        String backend;

        @Option(names = "--no-manifest", description = "Verify a directory that has no manifest.json (no file checksums; possibly a partial set).")
        boolean noManifest;

        @Override
        public Integer call() throws Exception {
            Backend b = Backends.byName(backend);
            if (!b.availability().available()) throw new IllegalArgumentException("backend '" + backend + "' is " + b.availability());
            Path source = path, extracted = null;
            String what;
            if (source == null) {
                source = extracted = GoldenSource.extractShipped();
                what = "the shipped set";
            } else {
                if (!Files.exists(source)) throw new java.nio.file.NoSuchFileException(source.toString());
                what = Printable.of(source);
            }
            PrintStream o = System.out;
            String partial = null;
            if (Files.isDirectory(source) && !GoldenVerifier.hasManifest(source)) {
                partial = partialSet(source);
                if (!noManifest) {
                    throw new IllegalArgumentException(source + " has no " + GoldenFormat.MANIFEST + ": " + partial
                            + "; an interrupted 'golden generate' leaves such a directory. Regenerate it, seal it with 'golden seal', "
                            + "or pass --no-manifest to verify the case files found without checksums");
                }
            }
            try {
                GoldenVerifier.Report r = GoldenVerifier.verify(source, b, oc -> print(o, oc));
                for (String w : r.warnings()) o.println("warning: " + Printable.of(w));
                if (partial != null) o.println("warning: --no-manifest: " + partial);
                boolean ok = r.passed();
                o.printf(Locale.ROOT, "golden verify: %s — %d cases: %d pass, %d fail, %d not implemented, %d corrupted, %d tampered (backend %s, %s, %.1f s)%n",
                        ok ? "PASS" : "FAIL", r.outcomes().size(), r.count(GoldenStatus.PASS), r.count(GoldenStatus.FAIL),
                        r.count(GoldenStatus.NOT_IMPLEMENTED), r.count(GoldenStatus.CORRUPTED), r.count(GoldenStatus.TAMPERED), b.name(), what, r.seconds());
                if (!ok && r.count(GoldenStatus.PASS) == 0 && r.outcomes().stream().noneMatch(x -> x.status().failsRun())) {
                    o.println("no case ran: nothing was verified");
                }
                return ok ? 0 : 1;
            } finally {
                GoldenSource.deleteTree(extracted);
            }
        }

        /** "found N case files; a full set has M" (or says the full size is unknown). */
        static String partialSet(Path dir) throws java.io.IOException {
            int found = GoldenVerifier.caseFileCount(dir);
            java.util.OptionalInt full = GoldenSource.fullSetCaseCount();
            return "found " + found + " case file" + (found == 1 ? "" : "s") + (full.isPresent()
                    ? "; a full set has " + full.getAsInt() : "; the size of a full set is unknown (no shipped set on the class path)");
        }

        static void print(PrintStream o, GoldenOutcome c) {
            o.printf(Locale.ROOT, "%-15s %-50s %-18s %-5s %-6s %s%n", c.status().display(), Printable.of(c.name()), Printable.of(c.operation()),
                    Printable.of(c.mode()), Printable.of(c.scaleFormat()), Printable.of(c.detail()));
        }
    }

    @Command(name = "seal", mixinStandardHelpOptions = true,
            description = {"(Re)compute the seal (content_sha256) of case and weights files after editing them, update the",
                "weights_sha256 of cases that use a re-sealed weights file, and rewrite the directory's manifest.json."})
    static final class Seal implements Callable<Integer> {
        @Parameters(paramLabel = "PATH", description = "A directory of golden files, or one file.")
        Path path;

        @Override
        public Integer call() throws Exception {
            GoldenSealer.Result r = GoldenSealer.seal(path);
            for (String f : r.sealed()) System.out.println("sealed " + Printable.of(f));
            System.out.printf(Locale.ROOT, "golden seal: %d files sealed%s%n", r.sealed().size(), r.manifest() ? ", manifest.json rewritten" : "");
            return 0;
        }
    }
}
