package org.dsv32.spec.backend;

/** Whether a backend can run on this machine, and if not, why. */
public record Availability(boolean available, String reason) {
    public static Availability yes() { return new Availability(true, ""); }
    public static Availability no(String reason) { return new Availability(false, reason); }

    @Override public String toString() { return available ? "available" : "unavailable: " + reason; }
}
