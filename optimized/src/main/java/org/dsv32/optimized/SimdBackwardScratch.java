package org.dsv32.optimized;

/** Per-thread work arrays of the backward GEMMs and their quantisers, grown on demand and reused across calls. */
final class SimdBackwardScratch {
    private static final ThreadLocal<SimdBackwardScratch> LOCAL = ThreadLocal.withInitial(SimdBackwardScratch::new);

    private float[] panel = new float[0], tile = new float[0], colScales = new float[0], runs = new float[0], values = new float[0];
    private byte[] codes = new byte[0];

    static SimdBackwardScratch get() { return LOCAL.get(); }

    /** B's decoded block panel. */
    float[] panel(int size) {
        if (panel.length < size) panel = new float[size];
        return panel;
    }

    /** The output tile (its contents left over from the last use). */
    float[] tile(int size) {
        if (tile.length < size) tile = new float[size];
        return tile;
    }

    /** The product of B's scales of a block, per column. */
    float[] colScales(int size) {
        if (colScales.length < size) colScales = new float[size];
        return colScales;
    }

    /** Tiles gathered contiguous for a quantiser. */
    float[] runs(int size) {
        if (runs.length < size) runs = new float[size];
        return runs;
    }

    /** A quantiser's decoded values. */
    float[] values(int size) {
        if (values.length < size) values = new float[size];
        return values;
    }

    /** A quantiser's codes. */
    byte[] codes(int size) {
        if (codes.length < size) codes = new byte[size];
        return codes;
    }
}
