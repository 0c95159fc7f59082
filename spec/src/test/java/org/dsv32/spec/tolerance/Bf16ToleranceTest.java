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
}
