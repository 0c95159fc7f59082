package org.dsv32.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.golden.GoldenFormat;
import org.dsv32.conformance.golden.GoldenManifest;
import org.dsv32.conformance.golden.GoldenSource;
import org.dsv32.conformance.logits.LogitsRunner;
import org.dsv32.conformance.logits.LogitsScript;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.checkpoint.CheckpointLoader;
import org.dsv32.spec.checkpoint.TinyCheckpointWriter;
import org.dsv32.spec.config.ModelConfigReader;
import org.dsv32.spec.config.ModelConfigWriter;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.io.SafetensorsWriter;
import org.dsv32.spec.io.TensorData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, items 2 and 6-9 at the command line: output paths refused before any work with a message that says
 * what is wrong, strict scripts, a golden directory without a manifest refused, names escaped, progress printed.
 */
class ReliabilityCommandTest {
    @TempDir Path dir;

    /** A tiny checkpoint whose max_position_embeddings is 6, so that a short script runs past it. */
    static Path checkpoint;
    static Path shipped;

    @BeforeAll
    static void setUp() throws Exception {
        checkpoint = Files.createTempDirectory("dsv32-reliability-");
        String json = ModelConfigWriter.toJson(ModelPresets.tiny()).replaceFirst("(\"max_position_embeddings\"\\s*:\\s*)16384", "$16");
        assertTrue(json.contains("6,") || json.contains("6\n"), "the config was edited");
        TinyCheckpointWriter.write(checkpoint, ModelConfigReader.parse(json, "test config"), 3, TinyCheckpointWriter.Variant.UE8M0);
        shipped = GoldenSource.extractShipped();
    }

    @AfterAll
    static void tearDown() {
        GoldenSource.deleteTree(checkpoint);
        GoldenSource.deleteTree(shipped);
    }

    static boolean run(String... command) throws Exception {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    static List<Path> temporaries(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

    /** Exit 2 and exactly one line on stderr, which holds {@code fragment}. */
    static void refused(CliRun r, String fragment) {
        assertEquals(2, r.exit(), r.out() + r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
        assertTrue(r.err().contains(fragment), r.err());
    }

    Path script(String text) throws IOException { return Files.writeString(dir.resolve("script.json"), text); }

    // ---- item 6: output paths are validated before any work, with a message that says what is wrong

    @Test
    void logitsRefusesADirectoryAsOutBeforeReadingAnything() throws Exception {
        Path out = Files.createDirectory(dir.resolve("out.safetensors"));
        // neither the checkpoint nor the script exists: the --out check must come first
        CliRun r = CliRun.of("logits", "--checkpoint", dir.resolve("no-checkpoint").toString(), "--script",
                dir.resolve("no-script.json").toString(), "--out", out.toString());
        refused(r, out + ": is a directory");
    }

    @Test
    void logitsRefusesAFifoAsOutAndLeavesIt() throws Exception {
        Path fifo = dir.resolve("fifo");
        assumeTrue(run("mkfifo", fifo.toString()), "mkfifo is available");
        CliRun r = CliRun.of("logits", "--checkpoint", checkpoint.toString(), "--script", script("{\"sequences\": [{\"prompt\": [1]}]}").toString(),
                "--out", fifo.toString());
        refused(r, "is a FIFO (named pipe), not a regular file");
        assertFalse(Files.isRegularFile(fifo, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void logitsRefusesAnOutUnderAFile() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        CliRun r = CliRun.of("logits", "--checkpoint", checkpoint.toString(), "--script", script("{}").toString(),
                "--out", file.resolve("out.safetensors").toString());
        refused(r, file + " is a regular file, not a directory");
    }

    @Test
    void conformRefusesItsReportPathsBeforeTheRun() throws Exception {
        Path file = Files.writeString(dir.resolve("report"), "x");
        CliRun r = CliRun.of("conform", "--quick", "--backend", "reference", "--report", file.toString());
        refused(r, file + ": exists and is a regular file, not a directory");
        assertFalse(r.err().contains("dsv32 conform: ["), "the run did not start");
        Path reports = Files.createDirectories(dir.resolve("reports/report.json"));
        CliRun r2 = CliRun.of("conform", "--quick", "--backend", "reference", "--report", reports.getParent().toString());
        refused(r2, reports + ": is a directory");
    }

    @Test
    void mutantsAnalyzeBenchGoldenAndTinyCheckpointRefuseTheirOutputsBeforeWork() throws Exception {
        Path d = Files.createDirectory(dir.resolve("a-dir"));
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        CliRun m = CliRun.of("mutants", "--only", "ue8m0-not-rounded", "--json", d.toString());
        refused(m, d + ": is a directory");
        refused(CliRun.of("mutants", "--markdown", d.toString()), "is a directory");
        CliRun a = CliRun.of("analyze", "--preset", "tiny", "--json", d.toString());
        refused(a, "is a directory");
        assertEquals("", a.out(), "nothing was analysed");
        CliRun b = CliRun.of("bench", "--smoke", "--ops", "fp8_gemm", "--json", d.toString());
        refused(b, "is a directory");
        refused(CliRun.of("golden", "generate", "--out", file.toString()), "not a directory");
        refused(CliRun.of("tiny-checkpoint", "--out", file.toString()), "not a directory");
    }

    @Test
    void aBareFileSystemErrorSaysWhatIsWrongNotOnlyThePath() {
        assertEquals("permission denied: /x/report.json", CliErrors.message(new AccessDeniedException("/x/report.json")));
        assertEquals("permission denied: /x/report.json", CliErrors.message(
                new UncheckedIOException("cannot write /x/report.json: /x/report.json", new AccessDeniedException("/x/report.json"))));
        assertEquals("FileSystemException: /x", CliErrors.message(new FileSystemException("/x")));
        assertEquals("/x: Read-only file system", CliErrors.message(new FileSystemException("/x", null, "Read-only file system")));
    }

    // ---- item 6 and 8: the script

    @Test
    void aMissingScriptIsSaidToBeMissing() {
        Path missing = dir.resolve("missing.json");
        CliRun r = CliRun.of("logits", "--checkpoint", checkpoint.toString(), "--script", missing.toString(), "--out", dir.resolve("o.safetensors").toString());
        refused(r, missing + ": script file not found");
        assertFalse(r.err().contains("JSON"), r.err());
    }

    @Test
    void anUnknownScriptKeyIsRefusedBeforeTheCheckpointIsRead() throws Exception {
        Path s = script("{\"sequences\": [{\"prompt\": [1, 2], \"decod\": [3]}]}");
        CliRun r = CliRun.of("logits", "--checkpoint", dir.resolve("no-checkpoint").toString(), "--script", s.toString(),
                "--out", dir.resolve("o.safetensors").toString());
        refused(r, "unknown key \"decod\" in sequences[0] (known keys: decode, prompt)");
    }

    @Test
    void aScriptThatIsNotJsonGetsOneCleanLineWithLineAndColumn() throws Exception {
        Path s = script("{\"sequences\": [\n  {\"prompt\": [1 2]}\n]}");
        CliRun r = CliRun.of("logits", "--checkpoint", checkpoint.toString(), "--script", s.toString(), "--out", dir.resolve("o.safetensors").toString());
        refused(r, s + ": not valid JSON at line 2, column ");
        for (String internal : List.of("Source", "REDACTED", "StreamReadFeature", "fasterxml")) assertFalse(r.err().contains(internal), r.err());
    }

    // ---- item 8 and 9: past max_position_embeddings, and progress

    @Test
    void logitsWarnsPastMaxPositionsPrintsProgressAndLeavesNoTemporaryFile() throws Exception {
        Path s = script("{\"sequences\": [{\"prompt\": [1, 2, 3, 4, 5], \"decode\": [6, 7, 8]}]}");
        Path out = dir.resolve("logits.safetensors");
        CliRun r = CliRun.of("logits", "--checkpoint", checkpoint.toString(), "--script", s.toString(), "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("dsv32 logits: warning: sequence 0 occupies 8 positions (5 prompt + 3 decode), past max_position_embeddings 6"),
                r.err());
        assertTrue(r.err().contains("seq0.step0 done (1 of 4 steps)"), "the first step shows at once: " + r.err());
        assertTrue(r.err().contains("sequence 0: 4 steps done"), r.err());
        assertTrue(r.out().contains("wrote 4 logits tensors"), r.out());
        assertEquals(List.of(), temporaries(dir));
        CliRun fits = CliRun.of("logits", "--checkpoint", checkpoint.toString(), "--script", script("{\"sequences\": [{\"prompt\": [1, 2, 3, 4, 5], "
                + "\"decode\": [6]}]}").toString(), "--out", out.toString());
        assertEquals(0, fits.exit(), fits.err());
        assertFalse(fits.err().contains("warning"), "6 positions fit in 6: " + fits.err());
    }

    @Test
    void theLogitsRunnerReportsEveryStepAndEachSequence() throws Exception {
        List<String> steps = new ArrayList<>(), reports = new ArrayList<>();
        Progress recorder = new Progress() {
            @Override public void report(String line) { reports.add(line); }
            @Override public void step(String line) { steps.add(line); }
        };
        LogitsScript s = LogitsScript.read(script("{\"sequences\": [{\"prompt\": [1, 2], \"decode\": [3, 4]}, {\"prompt\": [5]}]}"));
        try (CheckpointLoader ckpt = CheckpointLoader.open(checkpoint)) {
            LogitsRunner.run(new ReferenceBackend(), PrecisionMode.EXACT, ckpt.weights(), s, recorder);
        }
        assertEquals(List.of("seq0.step0 done (1 of 3 steps)", "seq0.step1 done (2 of 3 steps)", "seq0.step2 done (3 of 3 steps)",
                "seq1.step0 done (1 of 1 steps)"), steps);
        assertEquals(List.of("sequence 0: 3 steps done", "sequence 1: 1 step done"), reports);
    }

    // ---- item 7: a golden directory without a manifest

    @Test
    void goldenVerifyRefusesADirectoryWithoutManifestUnlessAskedAndThenCountsTheCases() throws Exception {
        for (String n : List.of("rope-exact-ue8m0-interleaved.safetensors", "linear-fp8-plain-one-token-k128.safetensors")) {
            Files.copy(shipped.resolve(n), dir.resolve(n), StandardCopyOption.REPLACE_EXISTING);
        }
        int full = GoldenManifest.read(shipped.resolve(GoldenFormat.MANIFEST)).cases().size();
        CliRun r = CliRun.of("golden", "verify", dir.toString());
        refused(r, "dsv32 golden verify: " + dir + " has no manifest.json: found 2 case files; a full set has " + full);
        assertTrue(r.err().contains("--no-manifest"), r.err());
        CliRun ok = CliRun.of("golden", "verify", dir.toString(), "--no-manifest");
        assertEquals(0, ok.exit(), ok.out() + ok.err());
        assertTrue(ok.out().contains("warning: --no-manifest: found 2 case files; a full set has " + full), ok.out());
    }

    @Test
    void goldenSealChecksEveryFileItRewritesBeforeRewritingAny() throws Exception {
        Path a = dir.resolve("a-rope-exact-ue8m0-interleaved.safetensors");
        Files.copy(shipped.resolve("rope-exact-ue8m0-interleaved.safetensors"), a);
        Path real = Files.copy(shipped.resolve("linear-fp8-plain-one-token-k128.safetensors"), dir.resolve("real.bin"));
        Path link = Files.createSymbolicLink(dir.resolve("b-linear.safetensors"), real);
        // re-sealing a sealed file gives the same bytes, but a new file (the rename): compare the inode
        Object before = Files.readAttributes(a, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        CliRun r = CliRun.of("golden", "seal", dir.toString());
        refused(r, link + ": is a symbolic link");
        assertEquals(before, Files.readAttributes(a, java.nio.file.attribute.BasicFileAttributes.class).fileKey(), "the other case was not rewritten");
        assertFalse(Files.exists(dir.resolve(GoldenFormat.MANIFEST)), "no manifest for a half-sealed set");
        assertTrue(Files.isSymbolicLink(link));
    }

    // ---- item 8: names are escaped wherever they are printed

    @Test
    void inspectCompareAndErrorsEscapeControlCharactersInNames() throws Exception {
        String evil = "evil\u001b[2J\u001b]0;pwned\u0007.weight";
        Path f = dir.resolve("evil.safetensors");
        SafetensorsWriter.write(f, List.of(TensorData.ofFloats(evil, new float[] {1, 2}, 2)), Map.of());
        CliRun inspect = CliRun.of("inspect", f.toString());
        assertEquals(0, inspect.exit(), inspect.err());
        assertTrue(inspect.out().contains("evil\\x1b[2J\\x1b]0;pwned\\x07.weight"), inspect.out());
        assertFalse(inspect.out().contains("\u001b") || inspect.out().contains("\u0007"), "no raw control character");
        CliRun compare = CliRun.of("compare", f.toString(), f.toString());
        assertEquals(0, compare.exit(), compare.out() + compare.err());
        assertTrue(compare.out().contains("evil\\x1b[2J"), compare.out());
        assertFalse(compare.out().contains("\u001b"), compare.out());
        Path evilPath = dir.resolve("no\u001b[31mfile");
        CliRun missing = CliRun.of("inspect", evilPath.toString());
        assertEquals(2, missing.exit());
        assertFalse(missing.err().contains("\u001b"), "the error line is escaped too");
        assertTrue(missing.err().contains("no\\x1b[31mfile"), missing.err());
    }
}
