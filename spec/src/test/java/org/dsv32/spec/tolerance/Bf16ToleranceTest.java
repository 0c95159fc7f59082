package org.dsv32.spec.tolerance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.spec.backend.PrecisionMode;
import org.junit.jupiter.api.Test;

/** The bf16 tier's flip model (spec/TOLERANCES.md §5b). */
class Bf16ToleranceTest {
    private static final double U = 0x1p-8;

    @Test
    void onePointAddsTwoUEpsInQuadrature() {
        double e0 = 1e-6;
        assertEquals(Math.sqrt(e0 * e0 + 2 * U * e0), Bf16Tolerance.normwise(e0, 1), 1e-18);
        assertEquals(e0, Bf16Tolerance.normwise(e0, 0), 0.0);
    }

    @Property(tries = 200)
    void growsWithEveryPointButNeverPastSaturation(@ForAll @DoubleRange(min = 0, max = 0.01) double e0, @ForAll @IntRange(min = 0, max = 400) int r) {
        double e = Bf16Tolerance.normwise(e0, r), next = Bf16Tolerance.normwise(e0, r + 1);
        assertTrue(next >= e, "monotone in the points");
        // each point adds at most the variance of two independent bf16 roundings, 2u²/3
        double cap = e0 * e0 + r * 2 * U * U / 3;
        assertTrue(e * e <= cap * (1 + 1e-12), "saturation: " + e);
        assertTrue(Bf16Tolerance.normwise(e0, r, 1) >= e, "an act_quant after bf16 points only adds");
    }

    @Test
    void widensOnlyBf16AndKeepsTheFp8FloorAndDecisions() {
        Tolerance fp8 = new Tolerance(1e-9, 1e-6, 1e-3, "fp8");
        assertSame(fp8, Bf16Tolerance.of(fp8, PrecisionMode.FP8, 256, 3, 1, 1.0));
        assertSame(fp8, Bf16Tolerance.of(fp8, PrecisionMode.EXACT, 256, 3, 1, 1.0));
        Tolerance one = Bf16Tolerance.of(fp8, PrecisionMode.BF16, 256, 1, 0, 1.0);
        assertEquals(1e-6 + 2 * U, one.maxErrInf(), 1e-15, "one point: the ∞-norm widened by one bf16 step");
        assertTrue(one.calcDiff() >= fp8.calcDiff() && one.scoreRel() >= fp8.scoreRel());
        Tolerance many = Bf16Tolerance.of(fp8, PrecisionMode.BF16, 256, 12, 4, Bf16Tolerance.softmaxAmplification());
        assertTrue(Double.isNaN(many.maxErrInf()), "behind several points the ∞-norm is not gated");
        assertTrue(many.calcDiff() > one.calcDiff());
        assertTrue(many.derivation().contains("§5b"), many.derivation());
    }

    /**
     * The predictive gate (§5b, §10's model): the stores' RMS grows like sqrt(points) once saturated (each adds
     * STORE_VAR), the gate is the fp8 gate plus §10's calc_diff of that var, and it never exceeds the worst-saturation
     * context bound, which is reported as the rigorous one.
     */
    @Property(tries = 200)
    void predictiveGateGrowsLikeSqrtOfThePointsAndStaysUnderTheContextBound(@ForAll @IntRange(min = 1, max = 60) int r,
            @ForAll @IntRange(min = 0, max = 8) int fp8Points, @ForAll @DoubleRange(min = 0, max = 1e-3) @net.jqwik.api.constraints.Scale(8) double fp8Cd) {
        int k = 7168;
        double v = Bf16Tolerance.predictedVar(k, r, 1.0), v2 = Bf16Tolerance.predictedVar(k, 2 * r, 1.0);
        assertTrue(v <= Predictive.dotVar(k) + r * Bf16Tolerance.STORE_VAR * (1 + 1e-12), "each store adds at most STORE_VAR: " + v);
        assertTrue(v2 <= v + r * Bf16Tolerance.STORE_VAR * (1 + 1e-12), "sqrt growth: r more stores add at most r STORE_VAR");
        Tolerance fp8 = new Tolerance(fp8Cd, Double.NaN, 1e-3, "fp8");
        Tolerance t = Bf16Tolerance.of(fp8, PrecisionMode.BF16, k, r, fp8Points, Bf16Tolerance.softmaxAmplification());
        assertTrue(t.predictive(), "the worst-saturation bound is stated beside the gate");
        assertTrue(t.calcDiff() <= t.rigorous().calcDiff(), "capped by the context bound");
        assertTrue(t.calcDiff() >= fp8Cd, "never tighter than the fp8 gate of the same operation");
        double predicted = fp8Cd + Predictive.calcDiff(Bf16Tolerance.predictedVar(k, r, Bf16Tolerance.softmaxAmplification()));
        assertEquals(Math.min(t.rigorous().calcDiff(), Math.max(Bf16Tolerance.FEW_FLIPS_CALC_DIFF, predicted)), t.calcDiff(), 1e-15);
    }

    @Test
    void saturatedStoresGiveTheChiSquareGateOfTheirCount() {
        // past the first few stores every store adds STORE_VAR: u²/(4 ln 2), the mean square of two independent roundings' difference
        assertEquals(U * U / (4 * Math.log(2)), Bf16Tolerance.STORE_VAR, 1e-20);
        double v18 = Bf16Tolerance.predictedVar(7168, 18, 1.0), v19 = Bf16Tolerance.predictedVar(7168, 19, 1.0);
        assertEquals(Bf16Tolerance.STORE_VAR, v19 - v18, 1e-12);
        // the real block (18 stores, softmax x2.83): about 0.3x the old worst-saturation gate's ε (0.133 in calc_diff)
        Tolerance t = Bf16Tolerance.of(new Tolerance(1.4e-3, Double.NaN, 1e-3, "fp8"), PrecisionMode.BF16, 7168, 18, 6,
                Bf16Tolerance.softmaxAmplification());
        assertTrue(t.calcDiff() < 0.012 && t.rigorous().calcDiff() > 0.1, t.derivation());
    }
}
