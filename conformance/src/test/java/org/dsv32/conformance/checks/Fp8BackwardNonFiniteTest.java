package org.dsv32.conformance.checks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.ModeTier;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.reference.ReferenceFp8Backward;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.Backends;
import org.dsv32.spec.ops.Fp8BackwardOp;
import org.dsv32.spec.tolerance.Tier;
import org.junit.jupiter.api.Test;

/**
 * NaN and inf in the backward GEMMs' inputs: Fp8BackwardCheck has such cases for Dgrad and Wgrad (and a dense Dgrad),
 * runs them in the TIGHT comparisons only, the simd backend matches the reference's non-finite positions, and a
 * backend whose quantiser loses the NaN fails them: a clamp written with fmaxf/fminf before the cast (fmaxf(NaN, -448)
 * is -448) and an amax that skips NaN the same way turn a NaN gradient into a finite one.
 */
class Fp8BackwardNonFiniteTest {
    private final Fp8BackwardCheck check = new Fp8BackwardCheck();
    private final List<Fp8BackwardCheck.Case> cases = check.cases(CheckOptions.quickDefaults()).stream().filter(c -> !Fp8BackwardCheck.finite(c)).toList();
    private final Backend reference = Backends.byName("reference");

    @Test
    void dgradAndWgradHaveNonFiniteCasesThatRunTightOnly() {
        assertEquals(5, cases.size(), "NaN/inf cases: Dgrad and Wgrad for ue8m0 and plain scales, and a dense Dgrad");
        for (Fp8BackwardCheck.Case c : cases) {
            for (ModeTier mt : check.modeTiers()) {
                CaseResult r = check.runOne(c, reference, reference, mt);
                if (mt.tier() == Tier.LOOSE) assertNull(r, c.name() + " runs in " + mt.label());
                else assertTrue(r.passed(), c.name() + " " + mt.label() + ": " + r.failures());
            }
        }
    }

    @Test
    void simdPutsTheNonFiniteValuesWhereTheReferenceDoes() {
        Backend simd = Backends.byName("simd");
        for (Fp8BackwardCheck.Case c : cases) {
            for (ModeTier mt : check.modeTiers()) {
                if (mt.tier() != Tier.TIGHT) continue;
                CaseResult r = check.runOne(c, simd, reference, mt);
                assertTrue(r.passed(), c.name() + " " + mt.label() + ": " + r.failures());
            }
        }
    }

    @Test
    void aTileAmaxThatSkipsNaNFailsTheNonFiniteCases() {
        Backend mutant = new ReferenceBackend() {
            {
                register(Fp8BackwardOp.class, (ctx, self) -> new ReferenceFp8Backward(ctx, self) {
                    @Override
                    protected double tileAmax(double[] tile, int len) {
                        double amax = 0;
                        for (int t = 0; t < len; t++) if (!Double.isNaN(tile[t])) amax = Math.max(amax, Math.abs(tile[t]));
                        return amax;
                    }

                    @Override
                    protected double quantize(double x, float s) { return Double.isNaN(x) ? -448 : super.quantize(x, s); }
                });
            }
        };
        boolean failed = false;
        for (Fp8BackwardCheck.Case c : cases) {
            for (ModeTier mt : check.modeTiers()) {
                if (mt.tier() != Tier.TIGHT || !mt.candidateMode().label().equals("fp8")) continue;
                failed |= !check.runOne(c, mutant, reference, mt).passed();
            }
        }
        assertTrue(failed, "a quantiser that turns NaN into -448 went unnoticed");
        assertFalse(cases.isEmpty());
    }
}
