package org.dsv32.optimized;

import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Weight;

/** Embedding lookup as float32: row {@code tokens[t]} of the [vocab][D] table (exact for a bf16 or fp32 table). */
final class SimdEmbedding {
    private SimdEmbedding() {}

    /** [T][D] rows of the table; an id outside the vocabulary is an error naming the table. */
    static float[] lookup(Weight table, int[] tokens) {
        int dim = table.cols();
        float[] out = new float[tokens.length * dim];
        for (int t = 0; t < tokens.length; t++) {
            int id = tokens[t];
            if (id < 0 || id >= table.rows()) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + table.rows() + ") of " + table.name());
            }
            if (table instanceof DenseWeight d) {
                long base = (long) id * dim;
                for (int c = 0; c < dim; c++) out[t * dim + c] = d.getFloat(base + c);
            } else {
                for (int c = 0; c < dim; c++) out[t * dim + c] = (float) table.get(id, c);
            }
        }
        return out;
    }
}
