package org.dsv32.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./dsv32 conform --quick --backend reference} passes and writes both reports; a usage error exits 2. */
class ConformCommandTest {
    @Test
    void quickReferenceRunPassesAndWritesReports(@TempDir Path dir) throws Exception {
        int code = Dsv32.execute("conform", "--quick", "--backend", "reference", "--report", dir.toString());
        assertEquals(0, code);
        Path json = dir.resolve("report.json"), html = dir.resolve("report.html");
        assertTrue(Files.size(json) > 0 && Files.size(html) > 0);
        String j = Files.readString(json);
        assertTrue(j.contains("\"verdict\" : \"pass\""), j.substring(Math.max(0, j.length() - 600)));
        assertTrue(Files.readString(html).contains("<svg"));
        // the same run against its own report as a baseline: nothing grew
        assertEquals(0, Dsv32.execute("conform", "--quick", "--backend", "reference", "--report", dir.resolve("again").toString(),
                "--baseline", json.toString()));
    }

    @Test
    void aBackendAskedForByNameThatCannotRunFails(@TempDir Path dir) {
        org.junit.jupiter.api.Assumptions.assumeFalse(org.dsv32.spec.backend.Backends.byName("cuda").availability().available(),
                "this machine has a GPU: the unavailable path cannot be exercised here");
        assertEquals(1, Dsv32.execute("conform", "--quick", "--backend", "cuda", "--report", dir.toString()));
    }

    @Test
    void realDimsRunOnlyTheOperationsSuiteUnlessASuiteIsNamed(@TempDir Path dir) throws Exception {
        // shard 4 of 20 with one backend is the operations suite's 4th check alone (rms_norm): seconds at real dims
        assertEquals(0, Dsv32.execute("conform", "--dims", "real", "--quick", "--backend", "simd", "--shard", "4/20",
                "--report", dir.toString()));
        com.fasterxml.jackson.databind.JsonNode run = org.dsv32.conformance.report.ReportJson.read(dir.resolve("report.json")).path("run");
        assertEquals("[\"operations\"]", run.path("suites").toString());
        assertEquals("real", run.path("dims").asText());
    }

    @Test
    void unknownBackendIsAUsageError(@TempDir Path dir) {
        assertEquals(2, Dsv32.execute("conform", "--backend", "nosuch", "--report", dir.toString()));
    }
}
