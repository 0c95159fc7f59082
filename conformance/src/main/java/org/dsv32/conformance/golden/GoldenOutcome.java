package org.dsv32.conformance.golden;

import org.dsv32.conformance.CaseResult;
import org.dsv32.spec.tolerance.Tolerance;

/**
 * The outcome of one golden case against one backend.
 *
 * @param name        the case name (file name without extension), or the file for a file that is not a case
 * @param operation   the operation label, "-" when the file could not be read that far
 * @param mode        the precision mode label, "-" when unknown
 * @param scaleFormat the config's scale format label, "-" when unknown
 * @param tier        tight, loose or custom ("-" when unknown)
 * @param status      the verdict
 * @param detail      one line: the worst metrics against the gate (PASS), the failed gates (FAIL), or why not run
 * @param result      the harness's case result (null when the candidate did not run)
 * @param tolerance   the gates applied (null when the candidate did not run)
 * @param seconds     wall time (reports only)
 */
public record GoldenOutcome(String name, String operation, String mode, String scaleFormat, String tier, GoldenStatus status,
                            String detail, CaseResult result, Tolerance tolerance, double seconds) {
    static GoldenOutcome notRun(String name, String operation, String mode, String scaleFormat, String tier, GoldenStatus s, String detail) {
        return new GoldenOutcome(name, operation, mode, scaleFormat, tier, s, detail, null, null, 0);
    }
}
