package org.dsv32.conformance;

import java.util.Arrays;

/**
 * Decision-aware comparison of top-k choices (indexer keys, expert groups, experts), which are discontinuous:
 * an arithmetic difference far below any tolerance can swap two nearly tied candidates.
 *
 * <p>Given the reference's scores of all candidates and k, a candidate's selection is ADMISSIBLE when it has
 * exactly k distinct, in-range indices, each has a reference score of at least s_k - τ (s_k the reference's k-th
 * best score), and no index left out scores more than τ above the worst chosen one: it could have been chosen by
 * a tie-break within the score tolerance τ. Admissible and equal
 * to the reference's set: {@link Decision#AGREE}; admissible but different: {@link Decision#NEAR_TIE}; otherwise
 * {@link Decision#VIOLATION}. Downstream outputs are then compared with the reference replaying the candidate's
 * choice. Stateless.
 */
public final class SelectionCheck {
    private SelectionCheck() {}

    /**
     * The result of one decision, with a human-readable reason when it is not AGREE, and its {@link Margin} ratio: the
     * score deficit over τ (at most 1 for an admissible choice, 0 for AGREE), +∞ for a malformed choice (wrong count,
     * duplicate or out-of-range index, none).
     */
    public record Outcome(Decision decision, String reason, double margin) {
        /** An outcome without a measured deficit: 0 unless it is a violation (+∞, a malformed choice). */
        public Outcome(Decision decision, String reason) { this(decision, reason, decision == Decision.VIOLATION ? Margin.EXACT : 0); }
    }

    /**
     * @param referenceScores the reference's score of every candidate index (−∞ allowed: masked candidates)
     * @param referenceSelection the reference's choice (compared as a set)
     * @param candidateSelection the candidate's choice (compared as a set)
     * @param k the required count
     * @param tolerance τ, absolute, >= 0
     */
    public static Outcome check(double[] referenceScores, int[] referenceSelection, int[] candidateSelection, int k, double tolerance) {
        if (candidateSelection == null) return new Outcome(Decision.VIOLATION, "no selection");
        if (candidateSelection.length != k) {
            return new Outcome(Decision.VIOLATION, "selected " + candidateSelection.length + " indices, expected " + k);
        }
        boolean[] seen = new boolean[referenceScores.length];
        for (int i : candidateSelection) {
            if (i < 0 || i >= referenceScores.length) return new Outcome(Decision.VIOLATION, "index " + i + " out of range [0, " + referenceScores.length + ")");
            if (seen[i]) return new Outcome(Decision.VIOLATION, "index " + i + " selected twice");
            seen[i] = true;
        }
        if (sameSet(referenceSelection, candidateSelection)) return new Outcome(Decision.AGREE, "");
        double kth = kthLargest(referenceScores, k);
        double threshold = kth - tolerance;
        for (int i : candidateSelection) {
            double s = referenceScores[i];
            boolean ok = s >= threshold || (s == kth); // s == kth covers kth = -inf (any masked one ties with it)
            if (!ok || Double.isNaN(s)) {
                return new Outcome(Decision.VIOLATION, String.format(java.util.Locale.ROOT,
                        "index %d scores %.6g, below the k-th best %.6g by %.3g > tolerance %.3g", i, s, kth, kth - s, tolerance),
                        Margin.decision(kth - s, tolerance));
            }
        }
        // and nothing left out may beat a chosen one by more than the tolerance: with ties at the k-th best, "every
        // chosen index scores at least s_k - tau" alone would accept dropping a clearly better one (scores 3, 2, 0, 0
        // with k = 3: {3, 0, 0} leaves out the 2)
        int worst = -1, best = -1;
        for (int i : candidateSelection) if (worst < 0 || referenceScores[i] < referenceScores[worst]) worst = i;
        for (int i = 0; i < referenceScores.length; i++) {
            if (!seen[i] && !Double.isNaN(referenceScores[i]) && (best < 0 || referenceScores[i] > referenceScores[best])) best = i;
        }
        if (best >= 0 && referenceScores[worst] < referenceScores[best] - tolerance) {
            return new Outcome(Decision.VIOLATION, String.format(java.util.Locale.ROOT,
                    "index %d (score %.6g) left out while index %d (score %.6g) was chosen: %.3g beyond tolerance %.3g",
                    best, referenceScores[best], worst, referenceScores[worst], referenceScores[best] - referenceScores[worst], tolerance),
                    Margin.decision(referenceScores[best] - referenceScores[worst], tolerance));
        }
        double deficit = Math.max(kth - referenceScores[worst], best < 0 ? 0 : referenceScores[best] - referenceScores[worst]);
        return new Outcome(Decision.NEAR_TIE, String.format(java.util.Locale.ROOT, "differs from the reference within tolerance %.3g of the k-th best %.6g", tolerance, kth),
                Math.min(1, Margin.decision(deficit, tolerance)));
    }

    /** The k-th largest value (k >= 1), NaN treated as smallest; −∞ when k exceeds the count of finite values and −∞ fills. */
    public static double kthLargest(double[] scores, int k) {
        if (k < 1 || k > scores.length) throw new IllegalArgumentException("k = " + k + " for " + scores.length + " scores");
        double[] s = scores.clone();
        for (int i = 0; i < s.length; i++) if (Double.isNaN(s[i])) s[i] = Double.NEGATIVE_INFINITY;
        Arrays.sort(s);
        return s[s.length - k];
    }

    static boolean sameSet(int[] a, int[] b) {
        if (a == null || b == null || a.length != b.length) return false;
        int[] x = a.clone(), y = b.clone();
        Arrays.sort(x);
        Arrays.sort(y);
        return Arrays.equals(x, y);
    }
}
