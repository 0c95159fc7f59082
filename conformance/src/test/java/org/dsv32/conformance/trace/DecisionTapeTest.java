package org.dsv32.conformance.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.junit.jupiter.api.Test;

/** The candidate's selections recorded, forced on the reference in order, and judged against the reference's scores. */
class DecisionTapeTest {
    private static final double SCORE_REL = 0.01;

    /** One query at position 3 (keys 0..3 visible, key 4 not): scores 4, 3, 2.995, 1 and −inf; top-2. */
    private static IndexerResult reference() {
        TensorF64 s = TensorF64.zeros(1, 5);
        double[] v = {4, 3, 2.995, 1, Double.NEGATIVE_INFINITY};
        for (int i = 0; i < v.length; i++) s.put(0, i, v[i]);
        return new IndexerResult(s, new int[][] {{0, 1}});
    }

    private static CaseEval eval() { return new CaseEval("c", new Tolerance(1, Double.NaN, SCORE_REL, "test")); }

    private static IndexerResult replay(DecisionTape tape, CaseEval ev, int[] candidateChoice) {
        tape.arm(ev, "step 0", ConformanceConfigs.small(), SCORE_REL, Tolerances.moeGate(ConformanceConfigs.small()));
        tape.recorder().indexer(3, new IndexerResult(reference().scores(), new int[][] {candidateChoice}), 3, 2);
        tape.disarm();
        tape.recorder().indexer(3, new IndexerResult(reference().scores(), new int[][] {{3, 2}}), 3, 2); // a second run: not recorded
        IndexerResult forced = tape.replayer().indexer(3, reference(), 3, 2);
        tape.finish();
        return forced;
    }

    @Test
    void aNearTieIsForcedOnTheReference() {
        DecisionTape tape = new DecisionTape();
        CaseEval ev = eval();
        // 2.995 is within τ = 0.01 x 4 of the 2nd best 3: admissible, and the reference goes on with the candidate's choice
        IndexerResult forced = replay(tape, ev, new int[] {0, 2});
        assertArrayEquals(new int[] {0, 2}, forced.selected()[0]);
        CaseResult r = ev.result();
        assertTrue(r.passed(), r.failures().toString());
        assertEquals(1, r.decisions().nearTie());
        assertEquals(1, tape.replayedSelections());
    }

    @Test
    void aChoiceBeyondTheScoreToleranceFailsWithItsDeficitOverTau() {
        CaseEval ev = eval();
        replay(new DecisionTape(), ev, new int[] {0, 3});
        CaseResult r = ev.result();
        assertFalse(r.passed());
        assertEquals(1, r.decisions().violation());
        assertEquals((3.0 - 1.0) / (SCORE_REL * 4), r.margin(), 1e-9); // deficit 2 over τ = 0.04
    }

    @Test
    void aKeyTheQueryCannotSeeIsNotForcedAndADecisionTheReferenceDidNotMakeFails() {
        CaseEval ev = eval();
        IndexerResult forced = replay(new DecisionTape(), ev, new int[] {0, 4});
        assertArrayEquals(new int[] {0, 1}, forced.selected()[0], "an invisible key is not forced: the reference's own choice stays");
        assertFalse(ev.result().passed());

        DecisionTape tape = new DecisionTape();
        CaseEval extra = eval();
        tape.arm(extra, "step 0", ConformanceConfigs.small(), SCORE_REL, Tolerances.moeGate(ConformanceConfigs.small()));
        tape.recorder().indexer(3, reference(), 3, 2);
        tape.disarm();
        tape.finish(); // the reference never asked
        assertFalse(extra.result().passed());
        assertEquals(Double.POSITIVE_INFINITY, extra.result().margin());
    }
}
