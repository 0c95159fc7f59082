package org.dsv32.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dsv32.conformance.checks.HadamardCheck;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.optimized.SimdBackend;
import org.dsv32.reference.ReferenceBackend;
import org.junit.jupiter.api.Test;

/** {@code --dims}: parsing, and that a check without real-dims cases is reported as such, never passed. */
class DimsTest {
    @Test
    void parsesTheCommandLineNamesAndRefusesOthers() {
        assertEquals(Dims.REAL, Dims.parse("real"));
        assertEquals(Dims.SMALL, Dims.parse("SMALL"));
        assertThrows(IllegalArgumentException.class, () -> Dims.parse("671b"));
        assertFalse(new CheckOptions(1, true).realDims());
        assertTrue(new CheckOptions(1, true, Dims.REAL).realDims());
    }

    @Test
    void aCheckWithoutRealCasesIsNotImplementedAtRealDims() {
        // A check that only knows small shapes: the real-dims run must not pass it on the small ones.
        SmallOnly smallOnly = new SmallOnly();
        List<CheckResult> small = smallOnly.run(new SimdBackend(), new ReferenceBackend(), new CheckOptions(1, true), Progress.NONE);
        assertTrue(small.stream().allMatch(r -> r.status() == Status.PASS), small::toString);
        List<CheckResult> real = smallOnly.run(new SimdBackend(), new ReferenceBackend(), new CheckOptions(1, true, Dims.REAL), Progress.NONE);
        assertFalse(real.isEmpty());
        for (CheckResult r : real) {
            assertEquals(Status.NOT_IMPLEMENTED, r.status(), r.toString());
            assertTrue(r.note().contains("--dims real"), r.note());
        }
    }

    @Test
    void aComparisonNotJudgedAtRealDimsIsReportedWithItsReasonAndNotRun() {
        // real cases exist, but the exact comparison declares it cannot be judged at real dims
        SmallOnly declined = new SmallOnly() {
            @Override
            protected List<HadamardCheck.Case> realCases(CheckOptions o) { return cases(o); }

            @Override
            protected String notJudgedAtRealDims(ModeTier mt) { return "cannot judge " + mt.label() + " here"; }

            @Override
            protected CaseResult runCase(HadamardCheck.Case c, HadamardOp cand, HadamardOp cand2, HadamardOp ref, ModeTier mt) {
                throw new AssertionError("a comparison not judged at real dims must not run");
            }
        };
        List<CheckResult> real = declined.run(new SimdBackend(), new ReferenceBackend(), new CheckOptions(1, true, Dims.REAL), Progress.NONE);
        assertEquals(1, real.size());
        assertEquals(Status.NOT_IMPLEMENTED, real.getFirst().status());
        assertTrue(real.getFirst().note().startsWith("cannot judge"), real.getFirst().note());
    }

    /** A check that knows only small shapes (it does not override realCases). */
    private static class SmallOnly extends AbstractOperationCheck<HadamardOp, HadamardCheck.Case> {
        SmallOnly() { super(HadamardOp.class); }

        @Override
        protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT); }

        @Override
        protected List<HadamardCheck.Case> cases(CheckOptions o) {
            TensorF64 x = TensorF64.zeros(2, 4);
            for (int i = 0; i < 8; i++) x.put(i / 4, i % 4, i - 3.5);
            return List.of(new HadamardCheck.Case("n=4", ConformanceConfigs.small(), x));
        }

        @Override
        protected Tolerance toleranceOf(HadamardCheck.Case c, ModeTier mt) { return Tolerances.hadamard(c.x().cols()); }

        @Override
        protected CaseResult runCase(HadamardCheck.Case c, HadamardOp cand, HadamardOp cand2, HadamardOp ref, ModeTier mt) {
            CaseEval ev = new CaseEval(c.name(), toleranceOf(c, mt));
            ev.compare("y", cand.apply(c.x().copy()), ref.apply(c.x().copy()));
            return ev.result();
        }
    }
}
