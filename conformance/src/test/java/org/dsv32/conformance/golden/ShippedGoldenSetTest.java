package org.dsv32.conformance.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.ops.OperationCatalog;
import org.dsv32.spec.weights.ScaleFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shipped golden set (from the class path, as the CLI jar reads it): it verifies against the reference, it is
 * small, and it covers every operation in both precision modes and both scale formats where the format matters.
 */
class ShippedGoldenSetTest {
    static Path shipped;
    static GoldenManifest manifest;

    /** Operations whose arithmetic depends on the activation scale format (they quantise activations in fp8 mode). */
    static final Set<String> SCALE_SENSITIVE = Set.of("act_quant", "linear", "indexer", "mla_attention", "moe", "mlp", "block", "model", "mtp");

    @BeforeAll
    static void extract() throws Exception {
        assertTrue(GoldenSource.shippedAvailable(), "the golden-data module's /golden/manifest.json is on the class path");
        shipped = GoldenSource.extractShipped();
        manifest = GoldenManifest.read(shipped.resolve(GoldenFormat.MANIFEST));
    }

    @AfterAll
    static void clean() { GoldenSource.deleteTree(shipped); }

    @Test
    void shippedSetPassesAgainstTheReference() throws IOException {
        GoldenVerifier.Report r = GoldenVerifier.verify(shipped, new ReferenceBackend(), o -> {});
        List<String> bad = r.outcomes().stream().filter(o -> o.status() != GoldenStatus.PASS)
                .map(o -> o.name() + " " + o.status() + ": " + o.detail()).toList();
        assertTrue(bad.isEmpty(), () -> String.join("\n", bad));
        assertEquals(manifest.cases().size(), r.outcomes().size(), "one outcome per listed case, nothing else");
        assertTrue(r.warnings().isEmpty(), () -> r.warnings().toString());
        assertTrue(r.passed());
    }

    @Test
    void shippedSetIsWellUnderTwentyMegabytes() throws IOException {
        long onDisk;
        try (Stream<Path> s = Files.walk(shipped)) {
            onDisk = s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        assertTrue(onDisk < 20_000_000L, "shipped set is " + onDisk + " bytes");
        assertTrue(manifest.totalBytes() <= onDisk, "the manifest's byte counts are the files'");
    }

    @Test
    void everyOperationModeAndScaleFormatIsCovered() {
        Map<String, Set<String>> have = new TreeMap<>();
        for (GoldenManifest.Entry e : manifest.cases()) {
            have.computeIfAbsent(e.operation(), k -> new java.util.TreeSet<>()).add(e.mode() + "/" + e.scaleFormat());
        }
        List<String> missing = new ArrayList<>();
        for (var op : OperationCatalog.ALL) {
            String l = OperationCatalog.label(op);
            Set<String> got = have.getOrDefault(l, Set.of());
            for (PrecisionMode m : new PrecisionMode[] {PrecisionMode.EXACT, PrecisionMode.FP8}) {
                if (got.stream().noneMatch(s -> s.startsWith(m.label() + "/"))) missing.add(l + " in " + m.label() + " mode");
            }
            // bf16 mode (spec/SEMANTICS.md §5c) is shipped for the MLP and the block and model that compose everything
            if (List.of("mlp", "block", "model").contains(l) && !got.contains("bf16/ue8m0")) missing.add(l + " in bf16 mode");
            if (SCALE_SENSITIVE.contains(l)) {
                for (ScaleFormat f : ScaleFormat.values()) {
                    if (!got.contains("fp8/" + f.label())) missing.add(l + " fp8 with " + f.label() + " scales");
                }
            }
        }
        for (String l : List.of("act_quant", "linear")) {
            for (PrecisionMode m : new PrecisionMode[] {PrecisionMode.EXACT, PrecisionMode.FP8}) for (ScaleFormat f : ScaleFormat.values()) {
                if (!have.getOrDefault(l, Set.of()).contains(m.label() + "/" + f.label())) missing.add(l + " " + m.label() + "/" + f.label());
            }
        }
        assertTrue(missing.isEmpty(), () -> "not covered: " + missing);
        assertEquals(OperationCatalog.ALL.size(), have.size(), () -> "operations: " + have.keySet());
    }

    @Test
    void edgeCasesOfTheIssueArePresent() {
        Set<String> names = manifest.cases().stream().map(GoldenManifest.Entry::name).collect(Collectors.toSet());
        for (String edge : List.of("linear-fp8-ue8m0-n576-ragged", "linear-fp8-plain-n576-ragged", "linear-fp8-ue8m0-one-token-k128",
                "act_quant-fp8-ue8m0-mixed-rows", "indexer-fp8-ue8m0-prefill-then-decode", "mla_attention-fp8-ue8m0-decode-with-cache",
                "moe_gate-exact-ue8m0-exact-ties", "mtp-fp8-ue8m0-from-position-0")) {
            assertTrue(names.contains(edge), edge);
        }
    }

    @Test
    void everyListedFileMatchesItsChecksumAndSeal() throws Exception {
        for (GoldenManifest.Entry e : manifest.cases()) {
            Path p = shipped.resolve(e.file());
            assertEquals(e.sha256(), GoldenSeal.ofFile(p), e.file());
            try (GoldenCase c = GoldenCase.open(p)) {
                assertEquals(e.operation(), c.operation());
                assertEquals(e.mode(), c.mode().label());
                assertEquals(e.scaleFormat(), c.config().activationScaleFormat().label());
            }
        }
        for (GoldenManifest.FileEntry w : manifest.weights()) assertEquals(w.sha256(), GoldenSeal.ofFile(shipped.resolve(w.file())), w.file());
    }
}
