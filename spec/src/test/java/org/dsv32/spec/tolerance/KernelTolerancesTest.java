package org.dsv32.spec.tolerance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dsv32.spec.backend.PrecisionMode;
import org.junit.jupiter.api.Test;

/** The unit-test bounds: their formulas, and that a backend without a stated GEMM bound gets an error, not a GPU's. */
class KernelTolerancesTest {
    private static final double U = Tolerances.U_FP32;

    @Test
    void gemmBoundsByVariant() {
        assertEquals((128 + 56 + 3) * U, KernelTolerances.gemm("simd", 7168, 128), 0);
        assertEquals((7168 + 2) * U, KernelTolerances.gemm("ejml", 7168, 128), 0);
        assertEquals(KernelTolerances.tensorCore(7168, 128), KernelTolerances.gemm("cuda", 7168, 128), 0);
        assertEquals((128 + 1 + 3) * U, KernelTolerances.fp8GemmBlocked(100, 128), 0, "a partial block counts as one");
    }

    @Test
    void anUnknownBackendHasNoGemmBound() {
        for (String name : new String[] {"reference", "gpu", "mutant:fp8-gemm-no-promotion", "CUDA"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> KernelTolerances.gemm(name, 7168, 128), name);
            assertTrue(e.getMessage().contains("'" + name + "'") && e.getMessage().contains("simd, ejml, cuda"), e.getMessage());
        }
    }

    @Test
    void roundingsAreGammaOfTheFormat() {
        assertEquals(Tolerances.gamma(160, U), KernelTolerances.fp32(160), 0);
        assertEquals(2 * Tolerances.gamma(512, 0x1p-53), KernelTolerances.float64Reordered(512), 0);
        assertEquals(KernelTolerances.float64Reordered(128) * Math.sqrt(128) + KernelTolerances.float64Reordered(4),
                KernelTolerances.float64Chain(128), 0);
    }

    /** The layer margins keep their order: exact-mode bounds far below the fp8 flip allowance, scores tighter than outputs. */
    @Test
    void layerBoundsByMode() {
        assertEquals(KernelTolerances.fp32(160), KernelTolerances.scoreRow(PrecisionMode.EXACT), 0);
        assertEquals(2 * KernelTolerances.scoreRow(PrecisionMode.EXACT), KernelTolerances.outputRow(PrecisionMode.EXACT), 0);
        assertEquals(KernelTolerances.FP8_FLIP_ROW, KernelTolerances.outputRow(PrecisionMode.FP8), 0);
        assertTrue(KernelTolerances.rowCalcDiff(PrecisionMode.EXACT) < KernelTolerances.rowCalcDiff(PrecisionMode.FP8));
        assertTrue(Tolerances.calcDiffOf(KernelTolerances.outputRowExact()) < KernelTolerances.EXACT_ROW_CALC_DIFF);
    }
}
