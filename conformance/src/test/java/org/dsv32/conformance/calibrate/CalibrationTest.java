package org.dsv32.conformance.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.spec.backend.Backends;
import org.dsv32.spec.tolerance.Accumulator;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.junit.jupiter.api.Test;

/**
 * A small, fast calibration run (the harness's shapes, two seeds each): every measured percentile of the simd backend
 * and of the tensor-core emulation sits under its predictive gate, and the gate under the rigorous bound.
 */
class CalibrationTest {
    @Test
    void simdAndTheTensorCoreEmulationSitUnderThePredictiveGates() {
        List<Calibration.Row> rows = Calibration.run(Backends.byName("simd"), Backends.byName("reference"), new Calibration.Plan(false, 2), s -> {});
        assertEquals(Calibration.plan(new Calibration.Plan(false, 2)).size(), rows.size());
        for (Calibration.Row r : rows) {
            String what = r.operation() + " " + r.shape() + " " + r.comparison() + " " + r.metric();
            assertEquals(2, r.samples(), what);
            assertTrue(r.p50() <= r.p99() && r.p99() <= r.max(), what);
            assertTrue(r.within(), what + ": max " + r.max() + " above the gate " + r.gate());
            // a row in units of its predicted RMS (mtp_loss) has no single rigorous bound: each comparison caps its own
            assertTrue(Double.isNaN(r.rigorous()) || r.gate() <= r.rigorous() * (1 + 1e-12), what + ": gate " + r.gate() + " above the rigorous " + r.rigorous());
        }
        assertTrue(Calibration.markdown(rows).lines().count() == rows.size() + 2);
    }

    /**
     * The emulated 14-bit truncating accumulator errs far more than fp32 (so the tier is needed) and still sits under
     * the tier's per-element gate; a plain fp32 sum of the same products sits under the fp32 GEMM bound.
     */
    @Test
    void tensorCoreEmulationNeedsItsTier() {
        SplittableRandom rng = new SplittableRandom(5);
        int k = 1024;
        double worstTc = 0, worst32 = 0;
        for (int n = 0; n < 64; n++) {
            double[] a = new double[k], w = new double[k];
            for (int i = 0; i < k; i++) {
                a[i] = org.dsv32.spec.format.E4M3.round(RandomInputs.gauss(rng) * 64) / 64;
                w[i] = org.dsv32.spec.format.E4M3.round(RandomInputs.gauss(rng) * 64) / 64;
            }
            TensorCoreGemm.Element tc = TensorCoreGemm.dot(a, w, 128, Accumulator.TENSOR_CORE_FP8);
            TensorCoreGemm.Element f = TensorCoreGemm.dot(a, w, 128, Accumulator.FP32);
            assertEquals(tc.exact(), f.exact(), 0);
            worstTc = Math.max(worstTc, Math.abs(tc.value() - tc.exact()) / tc.absSum());
            worst32 = Math.max(worst32, Math.abs(f.value() - f.exact()) / f.absSum());
        }
        assertTrue(worstTc <= KernelTolerances.tensorCore(k, 128), "tensor core " + worstTc);
        assertTrue(worstTc > KernelTolerances.fp8GemmBlocked(k, 128), "the 14-bit accumulator must exceed the fp32 bound: " + worstTc);
        assertTrue(worst32 <= KernelTolerances.fp8GemmBlocked(k, 128), "fp32 " + worst32);
    }
}
