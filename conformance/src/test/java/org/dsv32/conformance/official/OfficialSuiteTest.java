package org.dsv32.conformance.official;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.Status;
import org.dsv32.conformance.golden.GoldenSeal;
import org.dsv32.conformance.logits.LogitsRunner;
import org.dsv32.conformance.logits.LogitsScript;
import org.dsv32.conformance.mutants.MutantCatalogue;
import org.dsv32.conformance.trace.DecisionTrace;
import org.dsv32.optimized.SimdBackend;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.checkpoint.CheckpointLoader;
import org.dsv32.spec.checkpoint.TinyCheckpointWriter;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.io.SafetensorsWriter;
import org.dsv32.spec.io.TensorData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official suite judges a backend against committed outputs of another implementation: outputs that are ours
 * pass for reference and simd; a mutant's outputs fail; a damaged case and a checkpoint the generator no longer
 * reproduces fail and say why. (The outputs of DeepSeek's code itself: OfficialCasesTest.)
 */
class OfficialSuiteTest {
    static final long SEED = 5;
    static final TinyCheckpointWriter.Variant VARIANT = TinyCheckpointWriter.Variant.UE8M0;
    static final String SCRIPT = "{\"sequences\": [{\"prompt\": [5, 77, 300, 12, 9, 401, 256, 3, 18, 99, 7, 140], \"decode\": [11, 200]}]}";

    @TempDir Path tmp;

    /** A case directory holding {@code producer}'s outputs, written the way scripts/official-cases writes DeepSeek's. */
    Path writeCase(Backend producer, PrecisionMode mode) throws IOException {
        Path ckpt = tmp.resolve("ckpt");
        if (!Files.exists(ckpt)) TinyCheckpointWriter.write(ckpt, ModelPresets.tiny(), SEED, VARIANT);
        Path cases = tmp.resolve("cases"), dir = cases.resolve("case-" + mode.label());
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(OfficialCase.SCRIPT), SCRIPT);
        DecisionTrace trace = new DecisionTrace(false);
        try (CheckpointLoader l = CheckpointLoader.open(ckpt)) {
            Map<String, TensorData> logits = LogitsRunner.run(producer, mode, l.weights(), LogitsScript.read(dir.resolve(OfficialCase.SCRIPT)),
                    Progress.NONE, trace);
            SafetensorsWriter.write(dir.resolve(OfficialCase.LOGITS), List.copyOf(logits.values()), Map.of("format", "dsv32-logits"));
        }
        SafetensorsWriter.write(dir.resolve(OfficialCase.TRACE), trace.tensors(), Map.of("format", "dsv32-trace-v1"));
        Map<String, String> files = new LinkedHashMap<>(), ckptFiles = new LinkedHashMap<>();
        for (String f : OfficialCase.DATA_FILES) files.put(f, GoldenSeal.ofFile(dir.resolve(f)));
        try (var s = Files.list(ckpt)) {
            for (Path p : s.sorted().toList()) ckptFiles.put(p.getFileName().toString(), GoldenSeal.ofFile(p));
        }
        var om = new com.fasterxml.jackson.databind.ObjectMapper();
        var root = om.createObjectNode().put("format", OfficialCase.FORMAT).put("description", "test").put("precision", mode.label())
                .put("act_dtype", "float64");
        var ck = root.putObject("checkpoint").put("preset", "tiny").put("seed", SEED).put("variant", VARIANT.label());
        ckptFiles.forEach(ck.putObject("files")::put);
        files.forEach(root.putObject("files")::put);
        root.putObject("provenance").put("official_commit", "test");
        Files.writeString(dir.resolve(OfficialCase.CASE_FILE), om.writeValueAsString(root));
        Files.writeString(cases.resolve(OfficialCases.INDEX), "{\"format\": \"" + OfficialCases.INDEX_FORMAT + "\", \"cases\": [\"" + dir.getFileName() + "\"]}");
        return cases;
    }

    static CheckResult judge(Path cases, Backend candidate) {
        List<CheckResult> r = new OfficialSuite(cases).run(candidate, new ReferenceBackend(), new CheckOptions(1, true), Progress.NONE);
        assertEquals(1, r.size(), r.toString());
        return r.getFirst();
    }

    @Test
    void outputsThatAreOursPassForReferenceAndSimdInBothModes() throws IOException {
        for (PrecisionMode mode : PrecisionMode.values()) {
            Path cases = writeCase(new ReferenceBackend(), mode);
            for (Backend b : List.of(new ReferenceBackend(), new SimdBackend())) {
                CheckResult r = judge(cases, b);
                assertEquals(Status.PASS, r.status(), b.name() + " " + mode + ": " + r.note() + " " + r.cases());
                assertEquals("official[case-" + mode.label() + "]", r.operation());
            }
        }
    }

    @Test
    void aMutantsOutputsFail() throws IOException {
        Path cases = writeCase(MutantCatalogue.byId("routed-scale-missing").backend().get(), PrecisionMode.EXACT);
        CheckResult r = judge(cases, new ReferenceBackend());
        assertEquals(Status.FAIL, r.status(), r.note());
        // The first layer whose output differs changes the next layers' scores, so decisions diverge there as well.
        assertTrue(r.cases().getFirst().failures().stream().anyMatch(f -> f.contains("violation") || f.contains("unexplained")), r.cases().toString());
    }

    @Test
    void aDamagedCaseFailsNamingTheFile() throws IOException {
        Path cases = writeCase(new ReferenceBackend(), PrecisionMode.EXACT);
        Path logits = cases.resolve("case-exact").resolve(OfficialCase.LOGITS);
        byte[] b = Files.readAllBytes(logits);
        b[b.length - 1] ^= 1;
        Files.write(logits, b);
        CheckResult r = judge(cases, new ReferenceBackend());
        assertEquals(Status.FAIL, r.status());
        assertTrue(r.note().contains(OfficialCase.LOGITS) && r.note().contains("SHA-256"), r.note());
    }

    @Test
    void aCheckpointTheGeneratorNoLongerWritesFails() throws IOException {
        Path cases = writeCase(new ReferenceBackend(), PrecisionMode.EXACT);
        Path caseJson = cases.resolve("case-exact").resolve(OfficialCase.CASE_FILE);
        Files.writeString(caseJson, Files.readString(caseJson).replace("\"seed\":" + SEED, "\"seed\":" + (SEED + 1)));
        CheckResult r = judge(cases, new ReferenceBackend());
        assertEquals(Status.FAIL, r.status());
        assertTrue(r.note().contains("no longer writes the checkpoint") && r.note().contains("model.safetensors"), r.note());
    }

    @Test
    void caseJsonIsReadStrictly() throws IOException {
        Path cases = writeCase(new ReferenceBackend(), PrecisionMode.EXACT);
        Path dir = cases.resolve("case-exact");
        Files.writeString(dir.resolve(OfficialCase.CASE_FILE), Files.readString(dir.resolve(OfficialCase.CASE_FILE)).replace("\"act_dtype\"", "\"act_dtyp\""));
        IOException e = assertThrows(IOException.class, () -> OfficialCase.read(dir));
        assertTrue(e.getMessage().contains("unknown key \"act_dtyp\""), e.getMessage());
    }
}
