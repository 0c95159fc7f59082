package org.dsv32.conformance.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.Status;
import org.dsv32.conformance.mutants.MutantCatalogue;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.junit.jupiter.api.Test;

/** The end-to-end checkpoint suite passes the reference, fails a one-bug model, and reports a missing model honestly. */
class CheckpointSuiteTest {
    final CheckpointSuite suite = new CheckpointSuite();
    final Backend reference = new ReferenceBackend();

    @Test
    void referencePassesAgainstItselfInBothModesAndVariants() {
        List<CheckResult> results = suite.run(reference, reference, CheckOptions.quickDefaults(), Progress.NONE);
        assertEquals(4, results.size(), "ue8m0 and plain, exact and fp8");
        for (CheckResult r : results) assertEquals(Status.PASS, r.status(), r.key() + " " + r.note());
    }

    @Test
    void simdMeetsTheParityBoundOnTheDeployedFormatAndPassesOverall() {
        Backend simd = new org.dsv32.optimized.SimdBackend();
        List<CheckResult> results = suite.run(simd, reference, CheckOptions.quickDefaults(), Progress.NONE);
        for (CheckResult r : results) {
            assertEquals(Status.PASS, r.status(), r.key() + " " + r.note());
            if (r.operation().contains("ue8m0")) {
                // ue8m0 scales make x/s exact in fp32 too: no E4M3 rounding flips, so every step is within 1e-6.
                assertEquals(0, r.decisions().nearTie(), r.key() + ": " + r.note());
                assertTrue(r.worstCalcDiff() <= CheckpointSuite.LOGITS_CALC_DIFF, r.key());
            }
        }
    }

    @Test
    void aMissingMscaleSquaredFailsTheLogits() {
        Backend mutant = MutantCatalogue.byId("mla-no-mscale-squared").backend().get();
        List<CheckResult> results = suite.run(mutant, reference, CheckOptions.quickDefaults(), Progress.NONE);
        assertTrue(results.stream().allMatch(r -> r.status() == Status.FAIL), "every logits check must fail: " + results);
    }

    @Test
    void aBackendWithoutAModelIsNotImplementedNeverPass() {
        Backend empty = new org.dsv32.spec.backend.RegistryBackend() {
            @Override public String name() { return "empty"; }
            @Override public String description() { return "implements nothing"; }
            @Override public org.dsv32.spec.backend.Availability availability() { return org.dsv32.spec.backend.Availability.yes(); }
        };
        for (CheckResult r : suite.run(empty, reference, CheckOptions.quickDefaults(), Progress.NONE)) {
            assertEquals(Status.NOT_IMPLEMENTED, r.status());
        }
    }
}
