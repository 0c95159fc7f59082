package org.dsv32.spec.ops;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.dsv32.spec.weights.DenseWeight;
import org.junit.jupiter.api.Test;

/** The linear shape rule every backend shares, in one wording for tensor and flat inputs. */
class LinearChecksTest {
    private static final DenseWeight W = DenseWeight.ofFloats("q_a_proj.weight", new float[6 * 4], 6, 4);

    @Test
    void acceptsInputsOfTheWeightsColumnCount() {
        assertDoesNotThrow(() -> LinearChecks.checkInput(W, 3, 4));
        assertDoesNotThrow(() -> LinearChecks.checkInput(W, 0, 4));
        assertDoesNotThrow(() -> LinearChecks.checkFlatInput(W, 3, 12));
    }

    @Test
    void oneMessageForTensorAndFlatInputs() {
        String expected = "linear q_a_proj.weight: input [3][5] does not fit the weight 6x4 (x [M][K] needs K = 4 columns)";
        assertEquals(expected, assertThrows(IllegalArgumentException.class, () -> LinearChecks.checkInput(W, 3, 5)).getMessage());
        assertEquals(expected, assertThrows(IllegalArgumentException.class, () -> LinearChecks.checkFlatInput(W, 3, 15)).getMessage());
        assertEquals("linear q_a_proj.weight: input of 13 values in 3 rows does not fit the weight 6x4 (x [M][K] needs K = 4 columns)",
                assertThrows(IllegalArgumentException.class, () -> LinearChecks.checkFlatInput(W, 3, 13)).getMessage());
    }
}
