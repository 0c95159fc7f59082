package org.dsv32.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ScaleFormat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** dsv32_act_quant against the formula of spec/SEMANTICS.md: identical codes and scales, both scale formats. Needs a GPU. */
class CudaActQuantTest {
    @BeforeEach void gpu() { GpuTestSupport.assumeGpu(); }

    @ParameterizedTest
    @EnumSource(ScaleFormat.class)
    void codesAndScalesEqualTheFormula(ScaleFormat format) {
        Random rnd = new Random(11);
        TensorF64 x = GpuTestSupport.floats(rnd, 7, 512, 3.0);
        for (int c = 128; c < 256; c++) x.put(2, c, 0.0);          // an all-zero tile: the 1e-4 floor, no NaN
        for (int c = 256; c < 384; c++) x.put(3, c, (float) (1e-9 * c));    // a tile below the floor
        x.put(4, 5, 1e30);                                         // one huge value: every other code of the tile is 0
        QuantizedActivation q = GpuTestSupport.op(ActQuantOp.class, PrecisionMode.FP8).quantize(x, format);
        GpuTestSupport.Quantized e = GpuTestSupport.actQuant(x, format);
        assertArrayEquals(e.scales(), q.scales(), format + " scales");
        assertArrayEquals(e.codes(), q.codes(), format + " codes");
        assertEquals(128, q.tile());
    }

    @Test
    void ue8m0ScalesArePowersOfTwoAtOrAboveThePlainScale() {
        TensorF64 x = GpuTestSupport.floats(new Random(12), 3, 256, 1.0);
        ActQuantOp op = GpuTestSupport.op(ActQuantOp.class, PrecisionMode.FP8);
        QuantizedActivation plain = op.quantize(x, ScaleFormat.PLAIN), pow2 = op.quantize(x, ScaleFormat.UE8M0);
        for (int i = 0; i < plain.scales().length; i++) {
            float p = plain.scales()[i], u = pow2.scales()[i];
            assertEquals(0, Float.floatToRawIntBits(u) & 0x7FFFFF, "not a power of two: " + u);
            assertEquals(true, u >= p && u < 2 * p, p + " -> " + u);
        }
    }

    @Test
    void columnsNotAMultipleOf128AreRejected() {
        ActQuantOp op = GpuTestSupport.op(ActQuantOp.class, PrecisionMode.FP8);
        assertThrows(IllegalArgumentException.class, () -> op.quantize(TensorF64.zeros(2, 100), ScaleFormat.UE8M0));
    }
}
