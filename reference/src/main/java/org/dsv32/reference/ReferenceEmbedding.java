package org.dsv32.reference;

import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Weight;

/** Embedding lookup: row {@code tokens[t]} of the [vocab][D] table, in float64. */
final class ReferenceEmbedding {
    private ReferenceEmbedding() {}

    static TensorF64 lookup(Weight table, int[] tokens) {
        TensorF64 out = TensorF64.zeros(tokens.length, table.cols());
        for (int t = 0; t < tokens.length; t++) {
            int id = tokens[t];
            if (id < 0 || id >= table.rows()) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + table.rows() + ") of " + table.name());
            }
            for (int c = 0; c < table.cols(); c++) out.put(t, c, table.get(id, c));
        }
        return out;
    }
}
