package org.dsv32.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Admissibility of top-k choices with synthetic scores. */
class SelectionCheckTest {
    // k = 3: the best three are 0 (9.0), 1 (8.0), 2 (7.0); index 3 (6.99) is within 0.02 of the 3rd best
    static final double[] SCORES = {9.0, 8.0, 7.0, 6.99, 5.0, Double.NEGATIVE_INFINITY};
    static final int[] REF = {0, 1, 2};

    @Test
    void sameSetAgreesWhateverTheOrder() {
        assertEquals(Decision.AGREE, SelectionCheck.check(SCORES, REF, new int[] {2, 0, 1}, 3, 0.0).decision());
    }

    @Test
    void nearTieWithinToleranceIsAdmissible() {
        assertEquals(Decision.NEAR_TIE, SelectionCheck.check(SCORES, REF, new int[] {0, 1, 3}, 3, 0.02).decision());
    }

    @Test
    void justBeyondToleranceIsAViolation() {
        // 7.0 - 6.99 = 0.01 (to double rounding): a tolerance just below it rejects index 3
        assertEquals(Decision.VIOLATION, SelectionCheck.check(SCORES, REF, new int[] {0, 1, 3}, 3, 0.0099).decision());
        assertEquals(Decision.VIOLATION, SelectionCheck.check(SCORES, REF, new int[] {0, 1, 4}, 3, 1.99).decision());
        assertEquals(Decision.NEAR_TIE, SelectionCheck.check(SCORES, REF, new int[] {0, 1, 4}, 3, 2.0).decision());
    }

    @Test
    void wrongCountIsAViolation() {
        assertEquals(Decision.VIOLATION, SelectionCheck.check(SCORES, REF, new int[] {0, 1}, 3, 10).decision());
        assertEquals(Decision.VIOLATION, SelectionCheck.check(SCORES, REF, new int[] {0, 1, 2, 3}, 3, 10).decision());
    }

    @Test
    void duplicatesOutOfRangeAndMissingAreViolations() {
        assertEquals(Decision.VIOLATION, SelectionCheck.check(SCORES, REF, new int[] {0, 0, 1}, 3, 10).decision());
        assertEquals(Decision.VIOLATION, SelectionCheck.check(SCORES, REF, new int[] {0, 1, 6}, 3, 10).decision());
        assertEquals(Decision.VIOLATION, SelectionCheck.check(SCORES, REF, null, 3, 10).decision());
    }

    @Test
    void tiesAtTheKthDoNotExcuseDroppingABetterOne() {
        double[] s = {3.0, 0.0, 0.0, 0.0, 2.0, 0.0};
        // the best three: 0 (3.0), 4 (2.0) and any one of the zeros
        assertEquals(Decision.NEAR_TIE, SelectionCheck.check(s, new int[] {0, 4, 1}, new int[] {0, 4, 5}, 3, 0).decision());
        SelectionCheck.Outcome dropped = SelectionCheck.check(s, new int[] {0, 4, 1}, new int[] {0, 1, 2}, 3, 0.5);
        assertEquals(Decision.VIOLATION, dropped.decision(), dropped.reason());
        assertEquals(true, dropped.reason().contains("index 4"), dropped.reason());
    }

    @Test
    void maskedCandidatesTieOnlyWhenTheKthIsMasked() {
        double[] s = {1.0, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY};
        // k = 2 over one visible key: the k-th best is -inf, so either masked key is admissible
        assertEquals(Decision.NEAR_TIE, SelectionCheck.check(s, new int[] {0, 1}, new int[] {0, 2}, 2, 0).decision());
        // k = 1: a masked key is never within a finite tolerance of a finite k-th best
        assertEquals(Decision.VIOLATION, SelectionCheck.check(s, new int[] {0}, new int[] {1}, 1, 1e300).decision());
    }

    @Test
    void kthLargest() {
        assertEquals(7.0, SelectionCheck.kthLargest(SCORES, 3));
        assertEquals(Double.NEGATIVE_INFINITY, SelectionCheck.kthLargest(new double[] {Double.NaN, 1}, 2));
    }
}
