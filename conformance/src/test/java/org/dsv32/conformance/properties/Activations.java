package org.dsv32.conformance.properties;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import org.dsv32.spec.tensor.TensorF64;

/**
 * jqwik arbitraries of activation tensors for the element-wise and row-wise operations: the row count shrinks toward
 * the smallest allowed and every value toward 0, so a failing case shrinks to the fewest rows and non-zero values
 * that still fail. Values are fp32-representable (what every backend's input is) and include jqwik's edge cases
 * (0, ±magnitude), so all-zero rows and tiles come up on their own.
 */
final class Activations {
    private Activations() {}

    /** Matrices of {@code rows} rows (drawn from the arbitrary) and {@code cols} columns with values in [-magnitude, magnitude]. */
    static Arbitrary<TensorF64> matrices(Arbitrary<Integer> rows, int cols, double magnitude) {
        return rows.flatMap(r -> values(magnitude).array(double[].class).ofSize(r * cols).map(a -> TensorF64.wrap(a, r, cols)));
    }

    /** Matrices of 1 to {@code maxRows} rows. */
    static Arbitrary<TensorF64> matrices(int maxRows, int cols, double magnitude) {
        return matrices(Arbitraries.integers().between(1, maxRows), cols, magnitude);
    }

    /** fp32 values in [-magnitude, magnitude]. */
    static Arbitrary<Double> values(double magnitude) {
        return Arbitraries.doubles().between(-magnitude, magnitude).map(v -> (double) v.floatValue());
    }

    /** {@code x} times {@code scale}, rounded to fp32 (a copy): a float32 backend's input must be the reference's exactly. */
    static TensorF64 scaled(TensorF64 x, double scale) {
        TensorF64 y = x.copy();
        for (int i = 0; i < y.size(); i++) y.setFlat(i, (float) (y.getFlat(i) * scale));
        return y;
    }
}
