package org.dsv32.conformance.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.golden.GoldenStatus;
import org.dsv32.conformance.golden.GoldenVerifier;
import org.dsv32.conformance.logits.LogitsScript;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.checkpoint.CheckpointLoader;
import org.dsv32.spec.checkpoint.TinyCheckpointWriter;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.io.SafetensorsFile;
import org.dsv32.spec.tolerance.Tolerances;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PyTorch kit ({@code conformance/python/dsv32_official.py}) against our tools: its e4m3 table equals
 * {@link E4M3#decode} on all 256 codes (needs any python3), and DeepSeek's own inference code, run by the kit on a tiny
 * checkpoint, is proven equivalent to the reference by {@link Parity} with its trace (needs a python3 with PyTorch
 * and env {@code DSV32_OFFICIAL_DIR}, a DeepSeek-V3.2-Exp checkout at or after 8631a81), and the golden {@code linear}
 * case the kit exports (spec/GOLDEN_FORMAT.md §10) verifies. A missing prerequisite
 * skips the test with the reason, printed and reported by JUnit.
 */
class OfficialKitTest {
    @TempDir Path tmp;

    static Path kit() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path k = dir.resolve("conformance/python/dsv32_official.py");
            if (Files.isRegularFile(k)) return k;
            k = dir.resolve("python/dsv32_official.py");
            if (Files.isRegularFile(k)) return k;
        }
        throw new IllegalStateException("conformance/python/dsv32_official.py not found above " + Path.of("").toAbsolutePath());
    }

    record Result(int exit, String output) {}

    static Result run(List<String> command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        }
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            return new Result(-1, "timed out");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** The first of python3 (PATH), /usr/bin/python3 for which {@code probe} succeeds. */
    static Optional<String> python(String probe) throws IOException, InterruptedException {
        for (String py : List.of("python3", "/usr/bin/python3")) {
            if (run(List.of(py, "-c", probe)).exit() == 0) return Optional.of(py);
        }
        return Optional.empty();
    }

    static void require(boolean ok, String reason) {
        if (!ok) System.err.println("*** SKIPPED OfficialKitTest: " + reason);
        assumeTrue(ok, reason);
    }

    @Test
    void theKitsE4m3TableIsOurs() throws Exception {
        Optional<String> py = python("import sys");
        require(py.isPresent(), "no python3 on PATH or at /usr/bin/python3");
        Result r = run(List.of(py.get(), kit().toString(), "--print-e4m3-table"));
        assertEquals(0, r.exit(), r.output());
        JsonNode table = new ObjectMapper().readTree(r.output());
        assertEquals(256, table.size());
        for (int c = 0; c < 256; c++) {
            double ours = E4M3.decode((byte) c);
            String theirs = table.get(c).asText();
            if (Double.isNaN(ours)) assertTrue(theirs.endsWith("nan"), "code " + c + ": " + theirs);
            else assertEquals(Double.doubleToLongBits(ours), Double.doubleToLongBits(Double.parseDouble(theirs)), "code " + c + ": " + theirs);
        }
    }

    @Test
    void deepSeeksOwnCodeIsProvenEquivalentWithItsTrace() throws Exception {
        Optional<String> py = python("import torch");
        require(py.isPresent(), "no python3 with PyTorch (python3, /usr/bin/python3; Debian: apt-get install python3-torch)");
        String official = System.getenv("DSV32_OFFICIAL_DIR");
        require(official != null && Files.isRegularFile(Path.of(official, "inference", "model.py")),
                "env DSV32_OFFICIAL_DIR does not name a DeepSeek-V3.2-Exp checkout (at or after 8631a81) with inference/model.py");
        Path ckpt = tmp.resolve("ckpt");
        TinyCheckpointWriter.write(ckpt, ModelPresets.tiny(), 1, TinyCheckpointWriter.Variant.UE8M0);
        int topk = ModelPresets.tiny().indexTopk();
        List<Integer> prompt = new ArrayList<>();
        for (int i = 0; i < topk + 12; i++) prompt.add((37 * i + 5) % ModelPresets.tiny().vocabSize());
        Path script = tmp.resolve("script.json");
        Files.writeString(script, "{\"sequences\": [{\"prompt\": " + prompt + ", \"decode\": [33, 140, 71]}]}");
        LogitsScript s = LogitsScript.read(script);
        // bf16: the kit's fp8 run with bf16 activations (the deployment, spec/SEMANTICS.md §5c)
        for (PrecisionMode mode : List.of(PrecisionMode.EXACT, PrecisionMode.FP8, PrecisionMode.BF16)) {
            String kitMode = mode == PrecisionMode.BF16 ? "fp8" : mode.label(), act = mode == PrecisionMode.BF16 ? "bfloat16" : "float64";
            Path logits = tmp.resolve(mode.label() + ".safetensors"), trace = tmp.resolve(mode.label() + ".trace.safetensors");
            Path golden = Files.createDirectories(tmp.resolve("golden-" + mode.label()));
            Result r = run(List.of(py.get(), kit().toString(), "--official", official, "--checkpoint", ckpt.toString(), "--script",
                    script.toString(), "--mode", kitMode, "--act-dtype", act, "--out", logits.toString(), "--trace", trace.toString(), "--quiet",
                    "--export-golden-linear", golden.resolve("linear-kv_a.safetensors").toString()));
            assertEquals(0, r.exit(), r.output());
            // spec/GOLDEN_FORMAT.md §10: the exported case (its seal computed in Python) verifies against the reference
            GoldenVerifier.Report verified = GoldenVerifier.verify(golden, new ReferenceBackend(), o -> {});
            assertTrue(verified.passed(), mode + ": " + verified.outcomes());
            assertEquals(1, verified.count(GoldenStatus.PASS));
            Map<String, double[]> theirs = new LinkedHashMap<>();
            try (SafetensorsFile f = SafetensorsFile.open(logits)) {
                for (String n : f.names()) theirs.put(n, f.tensor(n).toDoubles());
            }
            try (CheckpointLoader c = CheckpointLoader.open(ckpt)) {
                Parity.Report report = Parity.run(new ReferenceBackend(), mode, c.weights(), s, theirs, trace,
                        Tolerances.LOGITS_PARITY_CALC_DIFF, Progress.NONE);
                assertEquals(0, report.exitCode(), mode + ": " + report.steps() + " " + report.violations());
                assertEquals(4, report.steps().size());
            }
        }
    }
}
