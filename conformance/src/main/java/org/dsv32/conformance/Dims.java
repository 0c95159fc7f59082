package org.dsv32.conformance;

import java.util.Locale;

/**
 * The shapes a conformance run generates its cases at.
 *
 * <ul>
 *   <li>{@link #SMALL}: the harness's small configurations ({@code ConformanceConfigs.small()} and its variants),
 *       where every edge case fits in seconds.</li>
 *   <li>{@link #REAL}: the published 671B configuration's shapes (hidden 7168, 128 heads, 256 experts of width 2048,
 *       64 index heads, top-2048 over thousands of cached keys), where a port is judged at the sizes it runs at.</li>
 * </ul>
 */
public enum Dims {
    SMALL, REAL;

    /** The lower-case name used on the command line and in reports. */
    public String label() { return name().toLowerCase(Locale.ROOT); }

    public static Dims parse(String s) {
        for (Dims d : values()) if (d.label().equalsIgnoreCase(s)) return d;
        throw new IllegalArgumentException("unknown --dims '" + s + "' (expected small or real)");
    }
}
