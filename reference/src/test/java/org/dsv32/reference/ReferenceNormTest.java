package org.dsv32.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.DenseWeight;
import org.junit.jupiter.api.Test;

/** RMSNorm and LayerNorm of the reference backend. */
class ReferenceNormTest {
    /**
     * RMSNorm or LayerNorm over d columns against the test's own float64 closed form, relative to the value: the
     * d-term sums of the mean (and mean of squares), the square root, the quotient and the weight, on each side in its
     * own order.
     */
    private static double tol(int d, double expected) { return KernelTolerances.float64Reordered(d + 4) * Math.abs(expected); }

    private static RmsNormOp rms() { return TestContexts.op(RmsNormOp.class, TestContexts.exact()); }

    private static LayerNormOp ln() { return TestContexts.op(LayerNormOp.class, TestContexts.exact()); }

    private static DenseWeight ones(int n) {
        double[] v = new double[n];
        Arrays.fill(v, 1.0);
        return TestWeights.vector("ones", v);
    }

    @Test
    void rmsNormClosedForm() {
        // x = (3, 4): mean(x^2) = 12.5
        TensorF64 y = rms().apply(TensorF64.wrap(new double[] {3, 4}, 1, 2), TestWeights.vector("w", 2, -0.5), 0.0);
        assertEquals(2 * 3 / Math.sqrt(12.5), y.at(0, 0), tol(2, 2 * 3 / Math.sqrt(12.5)));
        assertEquals(-0.5 * 4 / Math.sqrt(12.5), y.at(0, 1), tol(2, -0.5 * 4 / Math.sqrt(12.5)));
    }

    @Test
    void rmsNormEpsSitsInsideTheSquareRoot() {
        // x = (1e-3, -1e-3): mean(x^2) = 1e-6, the size of eps, so eps = 1e-6 halves the variance term's share
        TensorF64 x = TensorF64.wrap(new double[] {1e-3, -1e-3}, 1, 2);
        TensorF64 y6 = rms().apply(x, TestWeights.vector("w", 2, 2), 1e-6);
        assertEquals(2 * 1e-3 / Math.sqrt(2e-6), y6.at(0, 0), tol(2, 2 * 1e-3 / Math.sqrt(2e-6)));
        assertEquals(-2 * 1e-3 / Math.sqrt(2e-6), y6.at(0, 1), tol(2, 2 * 1e-3 / Math.sqrt(2e-6)));
        TensorF64 y5 = rms().apply(x, TestWeights.vector("w", 2, 2), 1e-5);
        assertEquals(2 * 1e-3 / Math.sqrt(11e-6), y5.at(0, 0), tol(2, 2 * 1e-3 / Math.sqrt(11e-6)));
    }

    @Test
    void rmsNormOfAZeroRowIsZero() {
        TensorF64 y = rms().apply(TensorF64.zeros(2, 64), ones(64), 1e-6);
        for (double v : y.toArray()) assertEquals(0.0, v, 0.0);
    }

    @Property(tries = 30, seed = "6")
    void rmsNormWithoutEpsHasUnitMeanSquareAndIsScaleInvariant(@ForAll long seed,
                                                               @ForAll @DoubleRange(min = 0.01, max = 1000) double a) {
        Random rnd = new Random(seed);
        TensorF64 x = TestWeights.matrix(3, 96, 5.0, rnd);
        TensorF64 y = rms().apply(x, ones(96), 0.0);
        TensorF64 scaled = TensorF64.zeros(3, 96);
        for (int i = 0; i < x.size(); i++) scaled.setFlat(i, a * x.getFlat(i));
        TensorF64 ys = rms().apply(scaled, ones(96), 0.0);
        for (int r = 0; r < 3; r++) {
            double ms = 0;
            for (int c = 0; c < 96; c++) ms += y.at(r, c) * y.at(r, c) / 96;
            assertEquals(1.0, ms, tol(2 * 96, 1.0), "the mean square of y, itself a 96-term sum of products");
            // a x rounds once more per element than x
            for (int c = 0; c < 96; c++) assertEquals(y.at(r, c), ys.at(r, c), tol(96 + 1, y.at(r, c)));
        }
    }

    @Property(tries = 30, seed = "61")
    void rmsNormMultipliesByTheWeightElementwise(@ForAll long seed) {
        Random rnd = new Random(seed);
        TensorF64 x = TestWeights.matrix(2, 64, 1.0, rnd);
        DenseWeight w = TestWeights.dense("w", 1, 64, 3.0, rnd);
        TensorF64 plain = rms().apply(x, ones(64), 1e-6);
        TensorF64 y = rms().apply(x, w, 1e-6);
        for (int r = 0; r < 2; r++) for (int c = 0; c < 64; c++) assertEquals(w.get(c) * plain.at(r, c), y.at(r, c), tol(64, w.get(c) * plain.at(r, c)));
    }

    @Test
    void fusedResidualAddsIntoTheResidualAndNormalisesTheSum() {
        Random rnd = new Random(8);
        TensorF64 x = TestWeights.matrix(2, 32, 1.0, rnd);
        TensorF64 residual = TestWeights.matrix(2, 32, 1.0, rnd);
        DenseWeight w = TestWeights.dense("w", 1, 32, 1.0, rnd);
        double[] x0 = x.toArray(), r0 = residual.toArray();
        TensorF64 y = rms().applyWithResidual(x, residual, w, 1e-6);
        double[] sum = new double[x0.length];
        for (int i = 0; i < sum.length; i++) sum[i] = x0[i] + r0[i];
        assertTrue(Arrays.equals(sum, residual.toArray()), "residual must become residual + x");
        assertTrue(Arrays.equals(x0, x.toArray()), "x must not be modified");
        assertTrue(Arrays.equals(rms().apply(TensorF64.wrap(sum, 2, 32), w, 1e-6).toArray(), y.toArray()));
    }

    @Test
    void rmsNormRejectsAWeightOfTheWrongLength() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> rms().apply(TensorF64.zeros(1, 8), TestWeights.vector("q_a_layernorm.weight", 1, 2, 3), 1e-6));
        assertTrue(e.getMessage().contains("q_a_layernorm"), e.getMessage());
    }

    @Test
    void layerNormClosedFormUsesTheBiasedVariance() {
        // x = (1, 2, 3, 4): mean 2.5, biased variance 5 / 4 (the unbiased one would be 5 / 3)
        TensorF64 x = TensorF64.wrap(new double[] {1, 2, 3, 4}, 1, 4);
        DenseWeight w = TestWeights.vector("w", 1, 2, -1, 0.5);
        DenseWeight b = TestWeights.vector("b", 0, 0.25, 1, -2);
        TensorF64 y = ln().apply(x, w, b, 0.0);
        double sd = Math.sqrt(1.25);
        double[] expected = {-1.5 / sd * 1 + 0, -0.5 / sd * 2 + 0.25, 0.5 / sd * -1 + 1, 1.5 / sd * 0.5 - 2};
        // the bias is added after the scaled value: the bound is relative to that value, not to the sum
        for (int c = 0; c < 4; c++) assertEquals(expected[c], y.at(0, c), tol(4, Math.abs(expected[c] - b.get(c))) + tol(1, expected[c]));
        TensorF64 withEps = ln().apply(x, w, b, 0.75);
        assertEquals(-1.5 / Math.sqrt(2.0), withEps.at(0, 0), tol(4, -1.5 / Math.sqrt(2.0)));
    }

    /** max|x| / std(x) over row r (biased std): the condition of centring the row. */
    private static double condition(TensorF64 x, int r) {
        double mean = 0, max = 0;
        for (int c = 0; c < x.cols(); c++) mean += x.at(r, c) / x.cols();
        double var = 0;
        for (int c = 0; c < x.cols(); c++) {
            var += (x.at(r, c) - mean) * (x.at(r, c) - mean) / x.cols();
            max = Math.max(max, Math.abs(x.at(r, c)));
        }
        return max / Math.sqrt(var);
    }

    @Property(tries = 30, seed = "7")
    void layerNormIsShiftInvariantWithZeroMeanAndUnitVariance(@ForAll long seed,
                                                              @ForAll @DoubleRange(min = -100, max = 100) double shift) {
        Random rnd = new Random(seed);
        TensorF64 x = TestWeights.matrix(2, 128, 4.0, rnd);
        DenseWeight zero = TestWeights.vector("b", new double[128]);
        TensorF64 y = ln().apply(x, ones(128), zero, 0.0);
        TensorF64 shifted = TensorF64.zeros(2, 128);
        for (int i = 0; i < x.size(); i++) shifted.setFlat(i, x.getFlat(i) + shift);
        TensorF64 ys = ln().apply(shifted, ones(128), zero, 0.0);
        for (int r = 0; r < 2; r++) {
            // a row with a large common offset cancels in the centring: errors grow with max|x| / std(x)
            double shiftedTol = KernelTolerances.float64Reordered(128 + 4) * condition(shifted, r);
            double ownTol = KernelTolerances.float64Reordered(2 * 128 + 4) * condition(x, r);
            double mean = 0, ms = 0;
            for (int c = 0; c < 128; c++) {
                mean += y.at(r, c) / 128;
                ms += y.at(r, c) * y.at(r, c) / 128;
                assertEquals(y.at(r, c), ys.at(r, c), shiftedTol);
            }
            assertEquals(0.0, mean, ownTol);
            assertEquals(1.0, ms, ownTol);
        }
        assertTrue(Arrays.equals(x.toArray(), TestWeights.matrix(2, 128, 4.0, new Random(seed)).toArray()), "x unmodified");
    }
}
