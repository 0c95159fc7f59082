package org.dsv32.conformance.mutants;

import java.util.List;
import java.util.Locale;

/**
 * What the checks did to one mutant.
 *
 * @param mutant   the mutant
 * @param killed   whether a check failed
 * @param killer   the first failing check as "operation mode/tier" (e.g. "indexer exact/tight"); empty when it survived
 * @param caseName the first failing case of that check; empty when it survived
 * @param reason   the first reason that case failed; empty when it survived
 * @param checksRun the operation checks run, in order, up to and including the killing one
 * @param seconds  wall time (reports only)
 */
public record MutantResult(Mutant mutant, boolean killed, String killer, String caseName, String reason,
                           List<String> checksRun, double seconds) {
    public MutantResult {
        checksRun = List.copyOf(checksRun);
    }

    /** The operation label of the killing check ("indexer"), empty when it survived. */
    public String killerOperation() { return killed ? killer.split(" ")[0] : ""; }

    /** Whether the check that killed it is the one the catalogue expects. */
    public boolean killedAsExpected() { return killed && killerOperation().equals(mutant.expectedKillerLabel()); }

    /** The line {@code ./dsv32 mutants} prints. */
    public String line() {
        String head = String.format(Locale.ROOT, "%-30s", mutant.id());
        if (!killed) return head + " SURVIVED (checks run: " + String.join(", ", checksRun) + ")";
        return head + " killed by " + killer + " — case '" + caseName + "': " + reason;
    }
}
