package org.dsv32.conformance.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Availability;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.RegistryBackend;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verification of golden directories: a nudged expected tensor fails its case and only it; corrupted, tampered,
 * missing and foreign files are reported as such, the run goes on and does not pass; a broken backend fails the
 * cases of its operation; a backend without the operations runs nothing and does not pass.
 */
class GoldenVerifierTest {
    static final Backend REFERENCE = new ReferenceBackend();
    static final String LINEAR = "linear-fp8-ue8m0-one-token-k128";
    static final String MTP = "mtp-fp8-ue8m0-from-position-0";

    static Path shipped;

    @BeforeAll
    static void extract() throws IOException { shipped = GoldenSource.extractShipped(); }

    @AfterAll
    static void clean() { GoldenSource.deleteTree(shipped); }

    static Map<String, GoldenOutcome> byName(GoldenVerifier.Report r) {
        return r.outcomes().stream().collect(Collectors.toMap(GoldenOutcome::name, o -> o, (a, b) -> a, java.util.LinkedHashMap::new));
    }

    static void onlyThisOne(GoldenVerifier.Report r, String name, GoldenStatus s) {
        Map<String, GoldenOutcome> m = byName(r);
        assertEquals(s, m.get(name).status(), () -> name + ": " + m.get(name).detail());
        for (GoldenOutcome o : r.outcomes()) {
            if (!o.name().equals(name)) assertEquals(GoldenStatus.PASS, o.status(), () -> o.name() + ": " + o.detail());
        }
        assertFalse(r.passed());
    }

    @Test
    void subsetPassesAsShipped(@TempDir Path dir) throws Exception {
        GoldenVerifier.Report r = GoldenVerifier.verify(GoldenTestFiles.subset(shipped, dir, GoldenTestFiles.SMALL), REFERENCE, o -> {});
        assertEquals(GoldenTestFiles.SMALL.size(), r.outcomes().size());
        assertTrue(r.passed(), () -> r.outcomes().toString());
    }

    @Test
    void expectedTensorNudgedBeyondToleranceFailsThatCaseOnly(@TempDir Path dir) throws Exception {
        GoldenTestFiles.subset(shipped, dir, GoldenTestFiles.SMALL);
        double eps = Tolerances.epsOfCalcDiff(byName(GoldenVerifier.verify(dir, REFERENCE, o -> {})).get(LINEAR).tolerance().calcDiff());
        Path file = dir.resolve(LINEAR + GoldenFormat.EXTENSION);

        GoldenTestFiles.mapTensor(file, "expected.y", v -> v * (1 + eps / 100)); // a hundredth of the norm-wise bound: still passes
        GoldenSealer.seal(dir);
        assertTrue(GoldenVerifier.verify(dir, REFERENCE, o -> {}).passed());

        GoldenTestFiles.mapTensor(file, "expected.y", v -> v * (1 + 10 * eps));
        GoldenSealer.seal(dir);
        GoldenVerifier.Report r = GoldenVerifier.verify(dir, REFERENCE, o -> {});
        onlyThisOne(r, LINEAR, GoldenStatus.FAIL);
        assertTrue(byName(r).get(LINEAR).detail().contains("calc_diff"), byName(r).get(LINEAR).detail());
    }

    @Test
    void nudgedButNotResealedIsTampered(@TempDir Path dir) throws Exception {
        GoldenTestFiles.subset(shipped, dir, GoldenTestFiles.SMALL);
        GoldenTestFiles.mapTensor(dir.resolve(LINEAR + GoldenFormat.EXTENSION), "expected.y", v -> v * 1.5);
        GoldenVerifier.Report r = GoldenVerifier.verify(dir, REFERENCE, o -> {});
        onlyThisOne(r, LINEAR, GoldenStatus.TAMPERED);
        assertTrue(byName(r).get(LINEAR).detail().contains("content sha256"));
    }

    @Test
    void resealedAloneStillDisagreesWithTheManifest(@TempDir Path dir) throws Exception {
        GoldenTestFiles.subset(shipped, dir, GoldenTestFiles.SMALL);
        Path file = dir.resolve(LINEAR + GoldenFormat.EXTENSION);
        GoldenTestFiles.mapTensor(file, "expected.y", v -> v * 1.5);
        GoldenSealer.seal(file);
        GoldenVerifier.Report r = GoldenVerifier.verify(dir, REFERENCE, o -> {});
        onlyThisOne(r, LINEAR, GoldenStatus.TAMPERED);
        assertTrue(byName(r).get(LINEAR).detail().contains("manifest.json"));
    }

    @Test
    void flippedByteIsTampered(@TempDir Path dir) throws Exception {
        GoldenTestFiles.subset(shipped, dir, GoldenTestFiles.SMALL);
        GoldenTestFiles.flipByte(dir.resolve(LINEAR + GoldenFormat.EXTENSION), 3);
        onlyThisOne(GoldenVerifier.verify(dir, REFERENCE, o -> {}), LINEAR, GoldenStatus.TAMPERED);
    }

    @Test
    void truncatedFileIsCorruptedAndTheRunGoesOn(@TempDir Path dir) throws Exception {
        GoldenTestFiles.subset(shipped, dir, GoldenTestFiles.SMALL);
        GoldenTestFiles.truncate(dir.resolve(LINEAR + GoldenFormat.EXTENSION), 100);
        GoldenVerifier.Report r = GoldenVerifier.verify(dir, REFERENCE, o -> {});
        onlyThisOne(r, LINEAR, GoldenStatus.CORRUPTED);
        assertTrue(byName(r).get(LINEAR).detail().contains("truncated"), byName(r).get(LINEAR).detail());
        assertEquals(GoldenTestFiles.SMALL.size(), r.outcomes().size());
    }

    @Test
    void missingTensorIsCorruptedNotFailed(@TempDir Path dir) throws Exception {
        GoldenTestFiles.subset(shipped, dir, GoldenTestFiles.SMALL);
        GoldenTestFiles.rewrite(dir.resolve(LINEAR + GoldenFormat.EXTENSION), t -> t.name().equals("expected.y") ? null : t, m -> m);
        GoldenSealer.seal(dir);
        GoldenVerifier.Report r = GoldenVerifier.verify(dir, REFERENCE, o -> {});
        onlyThisOne(r, LINEAR, GoldenStatus.CORRUPTED);
        assertTrue(byName(r).get(LINEAR).detail().contains("'expected.y'"), byName(r).get(LINEAR).detail());
    }

    @Test
    void badMetadataIsCorrupted(@TempDir Path dir) throws Exception {
        GoldenTestFiles.subset(shipped, dir, GoldenTestFiles.SMALL);
        GoldenTestFiles.rewrite(dir.resolve(LINEAR + GoldenFormat.EXTENSION), t -> t, m -> {
            m.put(GoldenFormat.MODE, "fp4");
            return m;
        });
        GoldenSealer.seal(dir);
        GoldenVerifier.Report r = GoldenVerifier.verify(dir, REFERENCE, o -> {});
        onlyThisOne(r, LINEAR, GoldenStatus.CORRUPTED);
        assertTrue(byName(r).get(LINEAR).detail().contains("mode"));
    }

    @Test
    void tamperedWeightsFileTampersTheCasesThatUseIt(@TempDir Path dir) throws Exception {
        GoldenTestFiles.subset(shipped, dir, GoldenTestFiles.SMALL);
        Path weights = dir.resolve("weights/model-ue8m0.safetensors");
        GoldenTestFiles.flipByte(weights, 5);
        GoldenVerifier.Report r = GoldenVerifier.verify(dir, REFERENCE, o -> {});
        Map<String, GoldenOutcome> m = byName(r);
        assertEquals(GoldenStatus.TAMPERED, m.get(MTP).status(), m.get(MTP).detail());
        assertEquals(GoldenStatus.TAMPERED, m.get("weights/model-ue8m0.safetensors").status(), "the manifest's checksum of the weights file");
        assertFalse(r.passed());

        GoldenSealer.seal(weights); // re-sealed on its own: the case was sealed with the old weights
        GoldenOutcome o = byName(GoldenVerifier.verify(dir, REFERENCE, x -> {})).get(MTP);
        assertEquals(GoldenStatus.TAMPERED, o.status());
        assertTrue(o.detail().contains("weights_file"), o.detail());
    }

    @Test
    void missingAndForeignFilesAreReported(@TempDir Path dir) throws Exception {
        GoldenTestFiles.subset(shipped, dir, GoldenTestFiles.SMALL);
        Files.delete(dir.resolve(LINEAR + GoldenFormat.EXTENSION));
        Files.write(dir.resolve("junk.safetensors"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
        GoldenVerifier.Report r = GoldenVerifier.verify(dir, REFERENCE, o -> {});
        Map<String, GoldenOutcome> m = byName(r);
        assertEquals(GoldenStatus.CORRUPTED, m.get(LINEAR).status());
        assertTrue(m.get(LINEAR).detail().contains("missing"));
        assertEquals(GoldenStatus.CORRUPTED, m.get("junk").status());
        assertTrue(r.warnings().stream().anyMatch(w -> w.contains("junk.safetensors")), r.warnings().toString());
        assertEquals(GoldenTestFiles.SMALL.size() - 1, r.count(GoldenStatus.PASS));
        assertFalse(r.passed());
    }

    @Test
    void corruptedManifestIsReportedAndTheCasesStillRun(@TempDir Path dir) throws Exception {
        GoldenTestFiles.subset(shipped, dir, GoldenTestFiles.SMALL);
        Files.writeString(dir.resolve(GoldenFormat.MANIFEST), "{ not json");
        GoldenVerifier.Report r = GoldenVerifier.verify(dir, REFERENCE, o -> {});
        assertEquals(GoldenStatus.CORRUPTED, byName(r).get(GoldenFormat.MANIFEST).status());
        assertEquals(GoldenTestFiles.SMALL.size(), r.count(GoldenStatus.PASS));
        assertFalse(r.passed());
    }

    @Test
    void backendWithTheIndexerRopeBugFailsRopeAndEverythingBuiltOnIt(@TempDir Path dir) throws Exception {
        GoldenTestFiles.subset(shipped, dir, GoldenTestFiles.SMALL);
        Backend swapped = new ReferenceBackend() {
            {
                register(RopeOp.class, (ctx, self) -> {
                    RopeOp ok = REFERENCE.require(RopeOp.class, ctx);
                    return (x, pos, layout) -> ok.apply(x, pos, layout == RopeLayout.HALF_SPLIT ? RopeLayout.INTERLEAVED : RopeLayout.HALF_SPLIT);
                });
            }

            @Override public String name() { return "rope-swapped"; }
        };
        Map<String, GoldenOutcome> m = byName(GoldenVerifier.verify(dir, swapped, o -> {}));
        assertEquals(GoldenStatus.FAIL, m.get("rope-exact-ue8m0-interleaved").status());
        assertEquals(GoldenStatus.FAIL, m.get("rope-fp8-ue8m0-half-split").status());
        assertEquals(GoldenStatus.FAIL, m.get(MTP).status(), "MTP runs a block, whose MLA and indexer rotate");
        assertEquals(GoldenStatus.PASS, m.get(LINEAR).status());
        assertEquals(GoldenStatus.PASS, m.get("act_quant-fp8-ue8m0-mixed-rows").status());
    }

    @Test
    void backendWithoutOperationsRunsNothingAndDoesNotPass(@TempDir Path dir) throws Exception {
        GoldenTestFiles.subset(shipped, dir, GoldenTestFiles.SMALL);
        Backend empty = new RegistryBackend() {
            @Override public String name() { return "empty"; }

            @Override public String description() { return "nothing"; }

            @Override public Availability availability() { return Availability.yes(); }
        };
        GoldenVerifier.Report r = GoldenVerifier.verify(dir, empty, o -> {});
        assertEquals(GoldenTestFiles.SMALL.size(), r.count(GoldenStatus.NOT_IMPLEMENTED));
        assertFalse(r.passed());
    }

    @Test
    void singleCaseFileVerifies() throws Exception {
        GoldenVerifier.Report r = GoldenVerifier.verify(shipped.resolve(MTP + GoldenFormat.EXTENSION), REFERENCE, o -> {});
        assertEquals(1, r.outcomes().size());
        assertTrue(r.passed());
        assertNotNull(r.outcomes().getFirst().tolerance());
    }

    @Test
    void verifyingNothingThatExistsIsAnError() {
        org.junit.jupiter.api.Assertions.assertThrows(java.nio.file.NoSuchFileException.class,
                () -> GoldenVerifier.verify(shipped.resolve("no-such-dir"), REFERENCE, o -> {}));
    }
}
