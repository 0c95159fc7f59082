package org.dsv32.conformance;

import java.util.Objects;

/**
 * How a run is configured.
 *
 * @param seed  the base seed; every case derives its own from it, so a run is reproducible
 * @param quick fewer and smaller cases (a couple of minutes on 2 cores for every backend)
 * @param dims  the shapes of the cases: the harness's small configurations or the 671B model's
 */
public record CheckOptions(long seed, boolean quick, Dims dims) {
    public static final long DEFAULT_SEED = 20251117L;

    public CheckOptions {
        Objects.requireNonNull(dims, "dims");
    }

    /** Small shapes, the default of every run before {@code --dims} existed. */
    public CheckOptions(long seed, boolean quick) { this(seed, quick, Dims.SMALL); }

    public static CheckOptions defaults() { return new CheckOptions(DEFAULT_SEED, false); }

    public static CheckOptions quickDefaults() { return new CheckOptions(DEFAULT_SEED, true); }

    /** Whether the cases are at the published model's shapes. */
    public boolean realDims() { return dims == Dims.REAL; }

    /** A seed for case {@code i} of check {@code name}, independent across checks. */
    public long seedFor(String name, int i) {
        long h = seed * 0x9E3779B97F4A7C15L + name.hashCode() * 0xC2B2AE3D27D4EB4FL + i * 0x165667B19E3779F9L;
        h ^= h >>> 31;
        return h * 0xBF58476D1CE4E5B9L;
    }
}
