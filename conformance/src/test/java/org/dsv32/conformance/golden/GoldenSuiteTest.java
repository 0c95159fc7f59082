package org.dsv32.conformance.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.ConformanceRunner;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.Status;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The golden cases as a suite of ./dsv32 conform: one result per operation, mode and tier; problems fail it. */
class GoldenSuiteTest {
    static final Backend REFERENCE = new ReferenceBackend();
    static Path shipped;

    @BeforeAll
    static void extract() throws Exception { shipped = GoldenSource.extractShipped(); }

    @AfterAll
    static void clean() { GoldenSource.deleteTree(shipped); }

    @Test
    void conformRunsTheGoldenSuite() {
        assertTrue(ConformanceRunner.defaultSuites().stream().anyMatch(s -> s.name().equals(GoldenSuite.NAME)));
    }

    @Test
    void passingCasesGiveOnePassPerOperationModeAndTier(@TempDir Path dir) throws Exception {
        GoldenTestFiles.subset(shipped, dir, GoldenTestFiles.SMALL);
        List<CheckResult> r = new GoldenSuite(dir).run(REFERENCE, REFERENCE, CheckOptions.quickDefaults(), Progress.NONE);
        assertTrue(r.stream().allMatch(c -> c.status() == Status.PASS), r::toString);
        assertEquals(r.size(), r.stream().map(CheckResult::key).collect(Collectors.toSet()).size(), "keys are unique");
        assertEquals(Set.of("act_quant", "rope", "linear", "mtp"), r.stream().map(CheckResult::operation).collect(Collectors.toSet()));
        assertEquals(GoldenTestFiles.SMALL.size(), r.stream().mapToInt(c -> c.cases().size()).sum());
        assertTrue(r.stream().allMatch(c -> c.suite().equals("golden")));
    }

    @Test
    void aTamperedCaseFailsItsResultWithTheReason(@TempDir Path dir) throws Exception {
        GoldenTestFiles.subset(shipped, dir, GoldenTestFiles.SMALL);
        GoldenTestFiles.flipByte(dir.resolve("rope-fp8-ue8m0-half-split.safetensors"), 4);
        List<CheckResult> r = new GoldenSuite(dir).run(REFERENCE, REFERENCE, CheckOptions.quickDefaults(), Progress.NONE);
        CheckResult rope = r.stream().filter(c -> c.operation().equals("rope") && c.mode().equals("fp8")).findFirst().orElseThrow();
        assertEquals(Status.FAIL, rope.status());
        assertTrue(rope.note().contains("1 tampered"), rope.note());
        assertTrue(rope.cases().getFirst().failures().getFirst().startsWith("TAMPERED"));
        assertEquals(1, r.stream().filter(c -> c.status() != Status.PASS).count());
    }
}
