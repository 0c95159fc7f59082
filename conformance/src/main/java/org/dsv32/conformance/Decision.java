package org.dsv32.conformance;

import java.util.Locale;

/** How a candidate's top-k choice relates to the reference's (see {@link SelectionCheck}). */
public enum Decision {
    /** The same set of indices. */
    AGREE,
    /** A different set, but every index chosen scores (by the reference) within tolerance of the k-th best: a tie-break. */
    NEAR_TIE,
    /** A choice the reference's scores cannot justify, or the wrong count, or a duplicate / out-of-range index. */
    VIOLATION;

    public String label() { return name().toLowerCase(Locale.ROOT); }
}
