package org.dsv32.conformance.checks;

import static org.junit.jupiter.api.Assertions.assertFalse;
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

    @Test
    void mlaAttentionRowsCarryTheIndexersRigorousScoreTolerance() {
        MlaAttentionCheck check = new MlaAttentionCheck();
        for (MlaAttentionCheck.Case c : check.cases(CheckOptions.quickDefaults())) {
            for (ModeTier mt : check.comparisons()) assertStated(check.toleranceOf(c, mt), mt, c.name());
        }
    }

    /** A predictive gate names its rigorous score bound, finite and no tighter than the gate; bf16 is statistical only. */
    private static void assertStated(Tolerance t, ModeTier mt, String name) {
        String at = mt.label() + ", " + name;
        assertTrue(t.hasDecisions(), at);
        if (mt.candidateMode() == PrecisionMode.BF16) {
            assertFalse(t.predictive(), at + ": the bf16 gate has no rigorous bound to state");
            return;
        }
        assertTrue(t.predictive(), at);
        double r = t.rigorous().scoreRel();
        assertTrue(Double.isFinite(r) && r >= t.scoreRel(), at + ": rigorous score tolerance " + r + " beside the gate " + t.scoreRel());
    }
}
