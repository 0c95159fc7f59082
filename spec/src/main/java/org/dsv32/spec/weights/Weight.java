package org.dsv32.spec.weights;

/**
 * A 2-D (or 1-D, as one row) weight as stored in a checkpoint: either FP8 e4m3 codes with 128x128 block
 * scales, or a dense bf16 / fp16 / fp32 / fp64 tensor. Storage is a {@link java.lang.foreign.MemorySegment}
 * (memory-mapped from the safetensors file, or on the heap), never copied on construction.
 */
public sealed interface Weight permits Fp8BlockWeight, DenseWeight {
    /** The tensor name in the checkpoint (for error messages and reports). */
    String name();

    int rows();

    int cols();

    /** The dequantised value W[r][c] in float64 (exact: an e4m3 value times an fp32 scale is exact in float64). */
    double get(int r, int c);

    /** Element {@code i} of a 1-D weight (a single row). */
    default double get(int i) { return get(0, i); }

    /** The dequantised matrix, row-major, as a new array (tests and the float64 reference only: it copies). */
    default double[] toDoubleArray() {
        double[] out = new double[Math.multiplyExact(rows(), cols())];
        for (int r = 0, k = 0; r < rows(); r++) for (int c = 0; c < cols(); c++) out[k++] = get(r, c);
        return out;
    }

    /** Row {@code r} dequantised into a new array. */
    default double[] row(int r) {
        double[] out = new double[cols()];
        for (int c = 0; c < out.length; c++) out[c] = get(r, c);
        return out;
    }
}
