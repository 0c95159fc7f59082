package org.dsv32.spec.format;

/** Round-to-nearest-even onto the grid of a small binary floating-point format. */
final class FloatRounding {
    private FloatRounding() {}

    /**
     * Rounds the non-negative finite {@code a} to the nearest value with {@code mantissaBits} fraction bits,
     * ties to even, with subnormal spacing below {@code 2^minNormalExp}. No overflow handling: callers clamp.
     * Exact, because dividing and multiplying by a power of two is exact in float64 and {@link Math#rint}
     * rounds half to even.
     */
    static double roundToGrid(double a, int mantissaBits, int minNormalExp) {
        if (a == 0) return 0;
        int e = Math.max(Math.getExponent(a), minNormalExp);
        double quantum = Math.scalb(1.0, e - mantissaBits);
        return Math.rint(a / quantum) * quantum;
    }
}
