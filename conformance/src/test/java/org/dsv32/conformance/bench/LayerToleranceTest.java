package org.dsv32.conformance.bench;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LayerToleranceTest {
    @Test
    void normwiseErrorIsTheRelativeTwoNorm() {
        double[] y = {3, 4}, x = {3, 4.5};
        assertEquals(0.5 / 5, LayerTolerance.normwise(x, y), 1e-15);
        assertEquals(0, LayerTolerance.normwise(y, y));
    }

    @Test
    void roundingSizedDifferencesPassAndFormulaErrorsFail() {
        double[] ref = new double[256], close = new double[256], flipped = new double[256], nan = new double[256];
        for (int i = 0; i < ref.length; i++) {
            ref[i] = Math.sin(i + 1);
            close[i] = ref[i] * (1 + 0x1p-12 * Math.cos(i));
            flipped[i] = i == 7 ? -ref[i] : ref[i];
            nan[i] = i == 3 ? Double.NaN : ref[i];
        }
        assertDoesNotThrow(() -> LayerTolerance.check("t", "simd", close, ref));
        assertThrows(IllegalStateException.class, () -> LayerTolerance.check("t", "simd", flipped, ref));
        assertThrows(IllegalStateException.class, () -> LayerTolerance.check("t", "simd", nan, ref));
        double[] scaled = ref.clone();
        for (int i = 0; i < scaled.length; i++) scaled[i] *= 1.1; // a wrong scale factor
        assertThrows(IllegalStateException.class, () -> LayerTolerance.check("t", "simd", scaled, ref));
    }
}
