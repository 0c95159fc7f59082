package org.dsv32.spec.tolerance;

import java.util.Locale;

/**
 * Which question a comparison answers (spec/TOLERANCES.md).
 *
 * <ul>
 *   <li>{@link #TIGHT}: candidate and reference in the SAME precision mode. In fp8 mode both round at the same
 *       points, so only the candidate's arithmetic (fp32 accumulation) separates them.</li>
 *   <li>{@link #LOOSE}: candidate in fp8 mode against the reference in exact mode: the cost of the FP8 rounding
 *       itself, about one E4M3 unit roundoff per quantised operand.</li>
 * </ul>
 */
public enum Tier {
    TIGHT, LOOSE;

    public String label() { return name().toLowerCase(Locale.ROOT); }
}
