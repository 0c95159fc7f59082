package org.dsv32.conformance.golden;

/** The verdict on one golden case. Only PASS is a pass; NOT_IMPLEMENTED is listed but did not run. */
public enum GoldenStatus {
    PASS, FAIL,
    /** The backend lacks the operation (or a part it needs). */
    NOT_IMPLEMENTED,
    /** The file is not a readable, complete golden case. */
    CORRUPTED,
    /** The file reads fine but is not what was sealed (seal, manifest or weights checksum mismatch). */
    TAMPERED;

    /** The word printed per case. */
    public String display() { return name().replace('_', ' '); }

    /** Whether this outcome makes a run fail. */
    public boolean failsRun() { return this == FAIL || this == CORRUPTED || this == TAMPERED; }

    static GoldenStatus of(GoldenException.Kind k) { return k == GoldenException.Kind.TAMPERED ? TAMPERED : CORRUPTED; }
}
