package org.dsv32.conformance.bench;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dsv32.optimized.SimdLinear;
import org.dsv32.optimized.SimdWeightProbe;
import org.junit.jupiter.api.Test;

/** The fp8_gemv_first_use row times GEMVs on weights the simd path has never seen, and never on repacked codes. */
class FirstUseGemvTest {
    static final Fp8GemmWorkload.Shape SHAPE = new Fp8GemmWorkload.Shape(256, 512);

    @Test
    void theRowsCallsNeverFindRepackedCodesWhileTheSameWeightUsedTwiceIsRepacked() {
        try (Fp8GemmWorkload w = Fp8GemmWorkload.create(1, SHAPE, 21)) {
            FirstUseGemv f = new FirstUseGemv(w);
            assertDoesNotThrow(f::check);
            for (int i = 0; i < 3 * w.weightCopies(); i++) {
                f.before();
                f.run();
            }
            assertDoesNotThrow(f::verifyNothingRepacked);
            // the probe can see a repack: the simd row's path (a weight used again) repacks on its second GEMV
            SimdLinear simd = new SimdLinear(w.context);
            float[] y = new float[w.n];
            var again = w.weightCopy(1);
            simd.multiply(w.x, 1, again, y);
            simd.multiply(w.x, 1, again, y);
            assertTrue(SimdWeightProbe.repacked(again), "a weight's second GEMV repacks its codes (within the default budget)");
        }
    }

    @Test
    void theScanBeforeTimingCountsNoUseTowardRepacking() {
        try (Fp8GemmWorkload w = Fp8GemmWorkload.create(1, SHAPE, 22)) {
            var c = w.weightCopy(0);
            var fresh = new org.dsv32.spec.weights.Fp8BlockWeight("probe", c.codes(), c.scales(), c.rows(), c.cols(), c.blockRows(), c.blockCols());
            SimdWeightProbe.scan(fresh);
            SimdWeightProbe.scan(fresh);
            new SimdLinear(w.context).multiply(w.x, 1, fresh, new float[w.n]);
            assertFalse(SimdWeightProbe.repacked(fresh), "scans and one GEMV: still the first use");
        }
    }

    @Test
    void onlyAGemv() {
        try (Fp8GemmWorkload w = Fp8GemmWorkload.create(2, SHAPE, 23)) {
            assertThrows(IllegalArgumentException.class, () -> new FirstUseGemv(w));
        }
    }
}
