package org.dsv32.conformance.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tolerance key: "loose" judges an fp8 candidate against outputs computed in exact mode with the harness's
 * LOOSE gates (which a TIGHT gate would reject); "loose" needs mode fp8; a malformed value is CORRUPTED.
 */
class GoldenToleranceTest {
    static final Backend REFERENCE = new ReferenceBackend();
    static final String EXACT_LINEAR = "linear-exact-ue8m0-n576-ragged";

    static Path shipped;

    @BeforeAll
    static void extract() throws IOException { shipped = GoldenSource.extractShipped(); }

    @AfterAll
    static void clean() { GoldenSource.deleteTree(shipped); }

    static GoldenOutcome verifyWith(Path dir, String name, Map<String, String> changes) throws Exception {
        GoldenTestFiles.subset(shipped, dir, List.of(name));
        GoldenTestFiles.rewrite(dir.resolve(name + GoldenFormat.EXTENSION), t -> t, m -> {
            m.putAll(changes);
            return m;
        });
        GoldenSealer.seal(dir);
        GoldenVerifier.Report r = GoldenVerifier.verify(dir, REFERENCE, o -> {});
        assertEquals(1, r.outcomes().size());
        return r.outcomes().getFirst();
    }

    @Test
    void looseJudgesFp8AgainstExactOutputs(@TempDir Path dir) throws Exception {
        GoldenOutcome loose = verifyWith(dir.resolve("loose"), EXACT_LINEAR, Map.of(GoldenFormat.MODE, "fp8", GoldenFormat.TOLERANCE, "loose"));
        assertEquals(GoldenStatus.PASS, loose.status(), loose.detail());
        assertEquals("loose", loose.tier());
        assertTrue(loose.result().stats().calcDiff() > 0, "fp8 differs from exact");

        GoldenOutcome tight = verifyWith(dir.resolve("tight"), EXACT_LINEAR, Map.of(GoldenFormat.MODE, "fp8", GoldenFormat.TOLERANCE, "tight"));
        assertEquals(GoldenStatus.FAIL, tight.status(), "the cost of FP8 is far beyond the TIGHT gates");
    }

    @Test
    void looseActQuantComparesTheDequantisedCodesWithTheInput(@TempDir Path dir) throws Exception {
        GoldenOutcome o = verifyWith(dir, "act_quant-fp8-plain-mixed-rows", Map.of(GoldenFormat.TOLERANCE, "loose"));
        assertEquals(GoldenStatus.PASS, o.status(), o.detail());
        assertTrue(o.result().stats().calcDiff() > 0);
    }

    @Test
    void looseInExactModeAndMalformedTolerancesAreCorrupted(@TempDir Path dir) throws Exception {
        assertEquals(GoldenStatus.CORRUPTED, verifyWith(dir.resolve("a"), EXACT_LINEAR, Map.of(GoldenFormat.TOLERANCE, "loose")).status());
        assertEquals(GoldenStatus.CORRUPTED, verifyWith(dir.resolve("b"), EXACT_LINEAR, Map.of(GoldenFormat.TOLERANCE, "{\"calc_diff\": -1}")).status());
        assertEquals(GoldenStatus.CORRUPTED, verifyWith(dir.resolve("c"), EXACT_LINEAR, Map.of(GoldenFormat.TOLERANCE, "roughly")).status());
        assertEquals(GoldenStatus.CORRUPTED, verifyWith(dir.resolve("d"), EXACT_LINEAR, Map.of(GoldenFormat.SCALE_FORMAT, "plain")).status(),
                "scale_format must agree with the config");
    }
}
