package org.dsv32.conformance;

import java.util.Locale;

/** The verdict of one check (operation x backend x precision mode x tier). */
public enum Status {
    PASS, FAIL,
    /** The backend lacks the operation (or the harness has no check for it yet): never counted as a pass. */
    NOT_IMPLEMENTED,
    /** The backend cannot run on this machine. */
    UNAVAILABLE;

    /** The key used in report.json: pass, fail, not_implemented, unavailable. */
    public String key() { return name().toLowerCase(Locale.ROOT); }

    /** The word shown in the table. */
    public String display() { return name().replace('_', ' '); }
}
