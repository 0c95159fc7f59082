package org.dsv32.conformance.checks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.ModeTier;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.tolerance.Tolerance;
import org.junit.jupiter.api.Test;

/**
 * The rows whose decisions borrow another operation's score tolerance (moe: the router's; mla_attention: the
 * indexer's) state that operation's rigorous score tolerance beside the gate, as report.json's {@code rigorous}
 * object and the JUnit message show it, instead of leaving it empty.
 */
class RigorousScoreToleranceTest {
    @Test
    void moeRowsCarryTheRoutersRigorousScoreTolerance() {
        MoeCheck check = new MoeCheck();
        for (MoeCheck.Case c : check.cases(CheckOptions.quickDefaults())) {
            for (ModeTier mt : check.comparisons()) assertStated(check.toleranceOf(c, mt), mt, c.name());
        }
    }

    /**
     * The moe check's router reads the case's input, identical on both sides in every mode, so the bf16 row judges
     * its routing with the router's own fp32 score tolerance, not the bf16 widening (which is for inputs that
     * carry flipped stores).
     */
    @Test
    void moeBf16RowJudgesRoutingWithTheRoutersOwnScoreTolerance() {
        MoeCheck check = new MoeCheck();
        for (MoeCheck.Case c : check.cases(CheckOptions.quickDefaults())) {
            double router = org.dsv32.spec.tolerance.Tolerances.moeGate(c.config()).scoreRel();
            assertEquals(router, check.toleranceOf(c, ModeTier.BF16_TIGHT).scoreRel(), 0.0, c.name());
            assertEquals(router, check.toleranceOf(c, ModeTier.FP8_TIGHT).scoreRel(), 0.0, c.name());
        }
    }

    @Test
    void mlaAttentionRowsCarryTheIndexersRigorousScoreTolerance() {
        MlaAttentionCheck check = new MlaAttentionCheck();
        for (MlaAttentionCheck.Case c : check.cases(CheckOptions.quickDefaults())) {
            for (ModeTier mt : check.comparisons()) assertStated(check.toleranceOf(c, mt), mt, c.name());
        }
    }

    /** A predictive gate names its rigorous score bound, finite and no tighter than the gate; bf16 states its context bound. */
    private static void assertStated(Tolerance t, ModeTier mt, String name) {
        String at = mt.label() + ", " + name;
        assertTrue(t.hasDecisions(), at);
        assertTrue(t.predictive(), at);
        if (mt.candidateMode() == PrecisionMode.BF16) {
            // the bf16 tier states its worst-saturation context bound (TOLERANCES.md §5b)
            assertTrue(t.rigorous().calcDiff() >= t.calcDiff(), at);
            return;
        }
        double r = t.rigorous().scoreRel();
        assertTrue(Double.isFinite(r) && r >= t.scoreRel(), at + ": rigorous score tolerance " + r + " beside the gate " + t.scoreRel());
    }
}
