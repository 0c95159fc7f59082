package org.dsv32.conformance.golden;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.DecisionCounts;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.ops.Operation;

/**
 * Checks golden cases against a backend, case by case. A directory's cases are those its {@code manifest.json}
 * lists (each file's SHA-256 checked against it) plus any other top-level {@code *.safetensors} case file (with a
 * warning); without a manifest, every top-level case file. A problem with a file is reported for that case as
 * CORRUPTED or TAMPERED and the run goes on; nothing about a file can make it pass, and no file makes the
 * verifier throw.
 */
public final class GoldenVerifier {
    private GoldenVerifier() {}

    /** Every outcome of a run, with the warnings about the directory. */
    public record Report(Path source, String backend, List<GoldenOutcome> outcomes, List<String> warnings, double seconds) {
        public Report {
            outcomes = List.copyOf(outcomes);
            warnings = List.copyOf(warnings);
        }

        public long count(GoldenStatus s) { return outcomes.stream().filter(o -> o.status() == s).count(); }

        /** Passed: no case failed, was corrupted or tampered, and at least one case ran and passed. */
        public boolean passed() {
            return outcomes.stream().noneMatch(o -> o.status().failsRun()) && count(GoldenStatus.PASS) > 0;
        }
    }

    /** Verifies a directory of cases, or one case file, against {@code candidate}; {@code each} sees every outcome as it comes. */
    public static Report verify(Path source, Backend candidate, Consumer<GoldenOutcome> each) throws IOException {
        long t0 = System.nanoTime();
        List<GoldenOutcome> out = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Consumer<GoldenOutcome> add = o -> {
            out.add(o);
            each.accept(o);
        };
        if (Files.isRegularFile(source)) {
            add.accept(verifyCase(source, null, candidate));
        } else if (Files.isDirectory(source)) {
            verifyDirectory(source, candidate, add, warnings);
        } else {
            throw new java.nio.file.NoSuchFileException(source.toString());
        }
        return new Report(source, candidate.name(), out, warnings, (System.nanoTime() - t0) / 1e9);
    }

    private static void verifyDirectory(Path dir, Backend candidate, Consumer<GoldenOutcome> add, List<String> warnings) throws IOException {
        Set<Path> listed = new LinkedHashSet<>();
        Path manifestFile = dir.resolve(GoldenFormat.MANIFEST);
        if (Files.isRegularFile(manifestFile)) {
            try {
                GoldenManifest m = GoldenManifest.read(manifestFile);
                for (GoldenManifest.FileEntry w : m.weights()) {
                    Path p = resolve(dir, w.file());
                    if (p == null || !Files.isRegularFile(p)) {
                        add.accept(GoldenOutcome.notRun(w.file(), "-", "-", "-", "-", GoldenStatus.CORRUPTED, "weights file listed in manifest.json is missing"));
                    } else if (!GoldenSeal.ofFile(p).equalsIgnoreCase(w.sha256())) {
                        add.accept(GoldenOutcome.notRun(w.file(), "-", "-", "-", "-", GoldenStatus.TAMPERED,
                                "weights file's sha256 differs from manifest.json"));
                    }
                }
                for (GoldenManifest.Entry e : m.cases()) {
                    Path p = resolve(dir, e.file());
                    if (p == null) {
                        add.accept(GoldenOutcome.notRun(e.name(), e.operation(), e.mode(), e.scaleFormat(), e.tolerance(), GoldenStatus.CORRUPTED,
                                "manifest.json: file '" + e.file() + "' lies outside the directory"));
                        continue;
                    }
                    listed.add(p.toAbsolutePath().normalize());
                    if (!Files.isRegularFile(p)) {
                        add.accept(GoldenOutcome.notRun(e.name(), e.operation(), e.mode(), e.scaleFormat(), e.tolerance(), GoldenStatus.CORRUPTED,
                                p + ": missing (listed in manifest.json)"));
                        continue;
                    }
                    add.accept(verifyCase(p, e, candidate));
                }
            } catch (GoldenException e) {
                add.accept(GoldenOutcome.notRun(GoldenFormat.MANIFEST, "-", "-", "-", "-", GoldenStatus.of(e.kind()), e.getMessage()));
            }
        } else {
            warnings.add("no " + GoldenFormat.MANIFEST + " in " + dir + ": file checksums not checked, every *" + GoldenFormat.EXTENSION + " file is a case");
        }
        List<Path> others = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + GoldenFormat.EXTENSION)) {
            for (Path p : ds) if (Files.isRegularFile(p) && !listed.contains(p.toAbsolutePath().normalize())) others.add(p);
        }
        others.sort(null);
        for (Path p : others) {
            if (Files.isRegularFile(manifestFile)) warnings.add(p.getFileName() + " is not listed in " + GoldenFormat.MANIFEST + ": verified without a file checksum");
            add.accept(verifyCase(p, null, candidate));
        }
    }

    /** Whether {@code dir} has a manifest (a complete set, as generated or sealed); without one it may be partial. */
    public static boolean hasManifest(Path dir) { return Files.isRegularFile(dir.resolve(GoldenFormat.MANIFEST)); }

    /** The case files a directory without a manifest holds: its top-level {@code *.safetensors} regular files. */
    public static int caseFileCount(Path dir) throws IOException {
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + GoldenFormat.EXTENSION)) {
            for (Path p : ds) if (Files.isRegularFile(p)) n++;
        }
        return n;
    }

    private static Path resolve(Path dir, String relative) {
        try {
            Path p = dir.resolve(relative).normalize();
            return p.startsWith(dir.normalize()) ? p : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * One case file; {@code listed} (nullable) is its manifest entry, whose SHA-256 the file must have and whose
     * operation, mode and scale format label the outcome when the file cannot be read. Never throws.
     */
    public static GoldenOutcome verifyCase(Path file, GoldenManifest.Entry listed, Backend candidate) {
        long t0 = System.nanoTime();
        String name = listed != null ? listed.name() : file.getFileName().toString().replaceFirst("\\" + GoldenFormat.EXTENSION + "$", "");
        String manifestSha = listed == null ? null : listed.sha256();
        try (GoldenCase c = GoldenCase.open(file)) {
            if (manifestSha != null) {
                String sha = GoldenSeal.ofFile(file);
                if (!sha.equalsIgnoreCase(manifestSha)) {
                    return notRun(c, GoldenStatus.TAMPERED, file + ": sha256 " + GoldenCase.abbreviate(sha) + " differs from manifest.json's "
                            + GoldenCase.abbreviate(manifestSha) + " (the file was replaced or re-sealed)");
                }
            }
            GoldenOp<?, ?> op = GoldenOps.byLabel(c.operation()).orElseThrow();
            GoldenOutcome o = run(c, op, candidate);
            return new GoldenOutcome(o.name(), o.operation(), o.mode(), o.scaleFormat(), o.tier(), o.status(), o.detail(), o.result(),
                    o.tolerance(), (System.nanoTime() - t0) / 1e9);
        } catch (GoldenException e) {
            return unread(name, listed, GoldenStatus.of(e.kind()), e.getMessage());
        } catch (IOException | RuntimeException e) {
            return unread(name, listed, GoldenStatus.CORRUPTED, file + ": cannot read: " + e);
        }
    }

    private static GoldenOutcome unread(String name, GoldenManifest.Entry e, GoldenStatus s, String detail) {
        return e == null ? GoldenOutcome.notRun(name, "-", "-", "-", "-", s, detail)
                : GoldenOutcome.notRun(name, e.operation(), e.mode(), e.scaleFormat(), e.tolerance(), s, detail);
    }

    private static <T extends Operation, P> GoldenOutcome run(GoldenCase c, GoldenOp<T, P> op, Backend candidate) {
        P p;
        try {
            p = op.prepare(c);
        } catch (GoldenException e) {
            return notRun(c, GoldenStatus.of(e.kind()), e.getMessage());
        } catch (RuntimeException e) {
            return notRun(c, GoldenStatus.CORRUPTED, c.file() + ": cannot read the case: " + e);
        }
        GoldenTolerance gt = c.tolerance();
        if (gt.tier() == Tier.LOOSE && c.mode() != PrecisionMode.FP8) {
            return notRun(c, GoldenStatus.CORRUPTED, c.file() + ": tolerance 'loose' compares an fp8 candidate with exact outputs, but mode is " + c.mode().label());
        }
        Tolerance tol;
        try {
            // the candidate's FP8 GEMM accumulator is a parameter of the GEMM bounds (spec/TOLERANCES.md §10.4)
            Tolerance harness = ScopedValue.where(org.dsv32.spec.tolerance.Accumulator.FP8_GEMM, candidate.fp8GemmAccumulator())
                    .call(() -> op.tolerance(c, p, gt.tier()));
            tol = !gt.isCustom() ? harness
                    : gt.custom().hasDecisions() || !harness.hasDecisions() ? gt.custom() : gt.custom().withScoreRel(harness.scoreRel());
        } catch (RuntimeException e) {
            return notRun(c, GoldenStatus.CORRUPTED, c.file() + ": no tolerance for this case: " + e.getMessage());
        }
        Optional<T> bound;
        String why = "backend '" + candidate.name() + "' does not implement " + op.type().getSimpleName();
        try {
            bound = candidate.operation(op.type(), new OpContext(c.config(), c.mode()));
        } catch (UnsupportedOperationException e) {
            bound = Optional.empty();
            why = e.getMessage();
        } catch (RuntimeException e) {
            return withResult(c, GoldenStatus.FAIL, "creating the operation threw " + e, null, tol);
        }
        if (bound.isEmpty()) return notRun(c, GoldenStatus.NOT_IMPLEMENTED, why);
        CaseResult r;
        try {
            r = op.run(c, p, bound.get(), tol);
        } catch (UnsupportedOperationException e) {
            return notRun(c, GoldenStatus.NOT_IMPLEMENTED, String.valueOf(e.getMessage()));
        } catch (RuntimeException | StackOverflowError e) {
            return withResult(c, GoldenStatus.FAIL, "threw " + e.getClass().getSimpleName() + ": " + e.getMessage(),
                    CaseResult.failed(c.name(), "threw " + e), tol);
        }
        return withResult(c, r.passed() ? GoldenStatus.PASS : GoldenStatus.FAIL, r.passed() ? metrics(r, tol) : failures(r), r, tol);
    }

    private static GoldenOutcome notRun(GoldenCase c, GoldenStatus s, String detail) {
        return GoldenOutcome.notRun(c.name(), c.operation(), c.mode().label(), c.config().activationScaleFormat().label(), c.tolerance().label(), s, detail);
    }

    private static GoldenOutcome withResult(GoldenCase c, GoldenStatus s, String detail, CaseResult r, Tolerance t) {
        return new GoldenOutcome(c.name(), c.operation(), c.mode().label(), c.config().activationScaleFormat().label(), c.tolerance().label(), s,
                detail, r, t, 0);
    }

    static String metrics(CaseResult r, Tolerance t) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "calc_diff %s (<= %s)", sci(r.stats().calcDiff()), sci(t.calcDiff())));
        if (t.gatesMaxErr()) sb.append(String.format(Locale.ROOT, ", max err %s (<= %s)", sci(r.stats().maxErrInf()), sci(t.maxErrInf())));
        DecisionCounts d = r.decisions();
        if (d.total() > 0) sb.append(String.format(Locale.ROOT, ", decisions %d agree / %d near-tie", d.agree(), d.nearTie()));
        return sb.toString();
    }

    static String failures(CaseResult r) {
        List<String> f = r.failures();
        String s = String.join("; ", f.subList(0, Math.min(3, f.size())));
        return f.size() > 3 ? s + "; ... (" + (f.size() - 3) + " more)" : s;
    }

    static String sci(double v) {
        if (v == 0) return "0";
        if (Double.isInfinite(v)) return "inf";
        return String.format(Locale.ROOT, "%.2e", v);
    }
}
