package org.dsv32.conformance.mutants;

import java.util.List;
import java.util.Locale;
import org.dsv32.conformance.Margin;

/**
 * What the checks did to one mutant.
 *
 * @param mutant       the mutant
 * @param killed       whether a check failed
 * @param killer       the first failing check as "operation mode/tier" (e.g. "indexer exact/tight"); empty when it survived
 * @param caseName     the first failing case of that check; empty when it survived
 * @param reason       the first reason that case failed; empty when it survived
 * @param checksRun    the operation checks run, in order, up to and including the killing one
 * @param seconds      wall time (reports only)
 * @param margin       the kill's {@link Margin}: the largest measure / bound over the killing check's failed cases
 *                     (+∞ for an exact contract broken); NaN when it was not killed or the killer measured none
 * @param notReachable why the mutant cannot act at these shapes (its check has no cases at {@code --dims real}, a
 *                     logits run never calls its operation); null when it was judged. Such a mutant is neither
 *                     killed nor SURVIVED.
 */
public record MutantResult(Mutant mutant, boolean killed, String killer, String caseName, String reason,
                           List<String> checksRun, double seconds, double margin, String notReachable) {
    public MutantResult {
        checksRun = List.copyOf(checksRun);
        if (notReachable != null && killed) throw new IllegalArgumentException(mutant.id() + ": killed but not reachable");
    }

    /** A judged mutant without a measured margin. */
    public MutantResult(Mutant mutant, boolean killed, String killer, String caseName, String reason, List<String> checksRun, double seconds) {
        this(mutant, killed, killer, caseName, reason, checksRun, seconds, Double.NaN, null);
    }

    /** A mutant that cannot act at these shapes, and why. */
    public static MutantResult notReachable(Mutant m, String why, List<String> checksRun, double seconds) {
        return new MutantResult(m, false, "", "", "", checksRun, seconds, Double.NaN, why);
    }

    /** Whether it was judged (killed or SURVIVED), not set aside as unable to act at these shapes. */
    public boolean reachable() { return notReachable == null; }

    /** Whether a check judged it and none failed. */
    public boolean survived() { return reachable() && !killed; }

    /** The JSON status: killed, survived or not_reachable. */
    public String status() { return killed ? "killed" : reachable() ? "survived" : "not_reachable"; }

    /** Whether the kill is narrower than {@link Margin#TARGET} gates (a measured margin below the target). */
    public boolean belowTarget() { return killed && !Double.isNaN(margin) && margin < Margin.TARGET; }

    /** The operation label of the killing check ("indexer"), empty when it survived. */
    public String killerOperation() { return killed ? killer.split(" ")[0] : ""; }

    /** Whether the check that killed it is the one the catalogue expects. */
    public boolean killedAsExpected() { return killed && killerOperation().equals(mutant.expectedKillerLabel()); }

    /** The line {@code ./dsv32 mutants} prints. */
    public String line() {
        String head = String.format(Locale.ROOT, "%-30s", mutant.id());
        if (!reachable()) return head + " not reachable: " + notReachable;
        if (!killed) return head + " SURVIVED (checks run: " + String.join(", ", checksRun) + ")";
        return head + " killed by " + killer + ", margin " + Margin.format(margin) + " — case '" + caseName + "': " + reason;
    }
}
