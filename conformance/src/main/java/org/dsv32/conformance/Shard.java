package org.dsv32.conformance;

import java.util.function.IntPredicate;

/**
 * Part {@code index} of {@code count} of a run ({@code --shard I/N}): the run's units of work, listed in their
 * canonical order, are dealt round-robin, unit at position p to shard {@code p mod count + 1}. The parts are
 * therefore disjoint, their union is the whole run, and their sizes differ by at most one unit per list dealt.
 * Positions depend only on the run's options and the program version (never on timing or the machine), so every
 * machine of a CI matrix computes the same split.
 *
 * <p>A conformance run deals each suite's units for each backend as a list of its own, starting at an offset
 * ({@link #units}): every backend's checks are spread over all the shards, whatever the number of backends (an
 * earlier interleaving of the backends put all of one backend on one shard when their number divided N), and the
 * offsets rotate where each list starts so that the remainders of the lists do not all fall on shard 1.
 *
 * @param index 1-based, 1 ≤ index ≤ count
 * @param count how many parts, ≥ 1
 */
public record Shard(int index, int count) {
    /** The whole run: one part. */
    public static final Shard WHOLE = new Shard(1, 1);

    public Shard {
        if (count < 1 || index < 1 || index > count) {
            throw new IllegalArgumentException("shard " + index + "/" + count + ": need 1 <= I <= N");
        }
    }

    /** Parses {@code I/N}; anything else is an IllegalArgumentException quoting the text. */
    public static Shard parse(String text) {
        String t = text == null ? "" : text.trim();
        int slash = t.indexOf('/');
        try {
            if (slash > 0) return new Shard(Integer.parseInt(t.substring(0, slash)), Integer.parseInt(t.substring(slash + 1)));
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("--shard must be I/N with 1 <= I <= N (e.g. 2/4), got '" + text + "'");
    }

    /** Whether this is the whole run. */
    public boolean whole() { return count == 1; }

    /** Whether the unit at {@code position} (≥ 0) of a dealt list belongs to this shard. */
    public boolean owns(long position) {
        if (position < 0) throw new IllegalArgumentException("negative position " + position);
        return position % count == index - 1;
    }

    /**
     * Which units of one suite, for one backend, this shard runs: unit {@code u} (0-based, in the suite's order) is
     * at position {@code suiteOrdinal * backends + backend + u}.
     */
    public IntPredicate units(int suiteOrdinal, int backend, int backends) {
        if (backend < 0 || backend >= backends || suiteOrdinal < 0) {
            throw new IllegalArgumentException("backend " + backend + " of " + backends + ", suite " + suiteOrdinal);
        }
        long offset = (long) suiteOrdinal * backends + backend;
        return u -> owns(offset + u);
    }

    /** "I/N". */
    public String label() { return index + "/" + count; }

    @Override
    public String toString() { return label(); }
}
