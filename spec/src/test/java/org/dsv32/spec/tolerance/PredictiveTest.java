package org.dsv32.spec.tolerance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import org.dsv32.spec.backend.PrecisionMode;
import org.junit.jupiter.api.Test;

/** The predictive model's constants, its accumulators, and that a gate is never looser than the rigorous bound. */
class PredictiveTest {
    private static final double U = Tolerances.U_FP32;

    /** The tail quantiles against independently known values (χ² and Gaussian tables). */
    @Test
    void quantilesAreThoseOfTheDistributions() {
        assertEquals(1.959964, Predictive.Stats.normalUpper(0.025), 1e-5);
        assertEquals(4.753424, Predictive.Stats.normalUpper(1e-6), 1e-5);
        assertEquals(8.120136, Predictive.Stats.normalUpper(1e-6 / 2 / 0x1p31), 1e-4);
        assertEquals(3.841459, Predictive.Stats.chiSquareUpper(1, 0.05), 1e-5);
        assertEquals(2.1142455834 * 64, Predictive.Stats.chiSquareUpper(64, 5e-7), 1e-3);
        assertEquals(0.3589230703 * 64, Predictive.Stats.chiSquareLower(64, 5e-7), 1e-3);
        assertEquals(Math.log(24), Predictive.Stats.logGamma(5), 1e-12);
        assertEquals(0.5 * Math.log(Math.PI), Predictive.Stats.logGamma(0.5), 1e-12);
    }

    @Test
    void gateFactorsFollowFromTheConfidence() {
        assertEquals(4 * 2.1142455834 / 0.3589230703, Predictive.calcDiffFactor(), 1e-6);
        assertEquals(2 * 8.120136, Predictive.elementFactor(), 1e-3);
        assertEquals(2 * 4 * Predictive.maxErr(1e-12), Predictive.scoreRel(1e-12), 0);
    }

    /** The random-walk growth: a sum's predicted RMS grows like sqrt(K) u, far below the worst case's K^1.5 u norm-wise. */
    @Test
    void sumsGrowLikeTheSquareRootOfTheirLength() {
        assertEquals(U * U / 3 * 7169 / 2.0, Predictive.sumVar(7168, Accumulator.FP32), 0);
        assertTrue(Math.sqrt(Predictive.dotVar(7168)) < 40 * U);
        assertTrue(Math.sqrt(Predictive.promotedVar(7168, Accumulator.FP32)) < Math.sqrt(Predictive.dotVar(7168)) / 4);
        // the tensor-core accumulator dominates the promoted GEMM: 2^-13 units instead of 2^-24
        assertTrue(Predictive.promotedVar(7168, Accumulator.TENSOR_CORE_FP8) > 1e6 * Predictive.promotedVar(7168, Accumulator.FP32));
    }

    /** The gates are capped by the rigorous bounds and, at the 671B shapes, far below them. */
    @Test
    void gatesAreCappedByTheRigorousBounds() {
        for (PrecisionMode m : PrecisionMode.values()) {
            for (Tier t : Tier.values()) {
                Tolerance lin = Tolerances.linear(7168, true, m, t);
                assertTrue(lin.predictive());
                assertTrue(lin.calcDiff() <= lin.rigorous().calcDiff());
            }
        }
        Tolerance exact = Tolerances.linear(7168, true, PrecisionMode.EXACT, Tier.TIGHT);
        assertTrue(exact.calcDiff() < 1e-6 * exact.rigorous().calcDiff(), exact.derivation());
        Tolerance norm = Tolerances.rmsNorm(7168, false);
        assertTrue(norm.maxErrInf() < norm.rigorous().maxErrInf() / 10);
        Tolerance gate = Tolerances.moeGate(org.dsv32.spec.config.ModelConfig.deepseekV32());
        assertTrue(gate.scoreRel() < gate.rigorous().scoreRel() / 100);
        // decisions: predictive without code flips; a chain with flips (fp8 TIGHT past a shared rounding point) keeps the rigorous tau
        var c = org.dsv32.spec.config.ModelConfig.deepseekV32();
        Tolerance idxExact = Tolerances.indexer(c, PrecisionMode.EXACT, Tier.TIGHT, 4096);
        assertTrue(idxExact.scoreRel() < idxExact.rigorous().scoreRel() / 5, idxExact.derivation());
        Tolerance idxFp8 = Tolerances.indexer(c, PrecisionMode.FP8, Tier.TIGHT, 4096);
        assertEquals(idxFp8.rigorous().scoreRel(), idxFp8.scoreRel(), 0);
        assertTrue(idxFp8.calcDiff() < idxFp8.rigorous().calcDiff() / 10);
        // no predictive model: the gate is the rigorous bound
        assertEquals(null, Tolerances.balanceLossGradient(256).rigorous());
    }

    /** A tensor too small to concentrate is gated by the rigorous calc_diff. */
    @Test
    void smallTensorsFallBackToTheRigorousCalcDiff() {
        Tolerance t = Tolerances.linear(7168, true, PrecisionMode.EXACT, Tier.TIGHT);
        assertEquals(t.calcDiff(), t.calcDiffFor(Predictive.MIN_ELEMENTS), 0);
        assertEquals(t.rigorous().calcDiff(), t.calcDiffFor(Predictive.MIN_ELEMENTS - 1), 0);
        Tolerance plain = new Tolerance(1e-3, Double.NaN, Double.NaN, "rigorous only");
        assertEquals(1e-3, plain.calcDiffFor(1), 0);
    }

    /** The accumulator in the scope is the one the budgets use; fp32 reproduces the plain promoted bound. */
    @Test
    void theScopedAccumulatorReachesTheBudgets() {
        assertEquals(Tolerances.promotedDotWorst(7168, U), Tolerances.promotedDotWorst(7168, Accumulator.FP32), 0);
        Tolerance fp32 = Tolerances.linear(7168, true, PrecisionMode.FP8, Tier.TIGHT);
        Tolerance tc = ScopedValue.where(Accumulator.FP8_GEMM, Accumulator.TENSOR_CORE_FP8)
                .call(() -> Tolerances.linear(7168, true, PrecisionMode.FP8, Tier.TIGHT));
        assertTrue(tc.calcDiff() > 1e5 * fp32.calcDiff(), tc.derivation());
        assertTrue(tc.derivation().contains("tensor core"), tc.derivation());
        assertEquals(Accumulator.FP32, Accumulator.current());
        // exact mode has no FP8 GEMM: the accumulator does not matter
        assertEquals(Tolerances.linear(7168, true, PrecisionMode.EXACT, Tier.TIGHT).calcDiff(), ScopedValue.where(Accumulator.FP8_GEMM,
                Accumulator.TENSOR_CORE_FP8).call(() -> Tolerances.linear(7168, true, PrecisionMode.EXACT, Tier.TIGHT)).calcDiff(), 0);
    }

    /** The tensor-core tier sits between the fp32 GEMM's bound and the measured Hopper ceiling, and shrinks with K relative to T. */
    @Test
    void tensorCoreTier() {
        assertEquals(KernelTolerances.tensorCore(7168, 128), KernelTolerances.gemm("cuda", 7168, 128), 0);
        for (int k : new int[] {128, 384, 7168}) {
            assertTrue(KernelTolerances.tensorCore(k, 128) < KernelTolerances.TENSOR_CORE_SUM, "K=" + k);
            assertTrue(KernelTolerances.tensorCore(k, 128) > 10 * KernelTolerances.fp8GemmBlocked(k, 128), "K=" + k);
        }
        assertTrue(KernelTolerances.tensorCore(7168, 128) < KernelTolerances.tensorCore(128, 128));
        assertEquals(128 * 0x1p-13 + 57 * U, KernelTolerances.fp8GemmBlocked(7168, 128, Accumulator.TENSOR_CORE_FP8), 1e-18);
    }

    /** With 24 bits and round to nearest the accumulator is fp32's rounding. */
    @Property(tries = 300, seed = "17")
    void fp32AccumulatorRoundsLikeFloat(@ForAll @DoubleRange(min = -1e30, max = 1e30) double v) {
        if (Math.abs(v) < 1e-30) return;
        assertEquals((double) (float) v, Accumulator.FP32.round(v), 0);
    }

    /** Truncation drops towards zero, within one unit in the last place; nearest within half of it. */
    @Property(tries = 300, seed = "18")
    void roundingStaysWithinItsUnit(@ForAll @DoubleRange(min = -1e6, max = 1e6) double v) {
        if (v == 0) return;
        double t = Accumulator.TENSOR_CORE_FP8.round(v);
        assertTrue(Math.abs(t) <= Math.abs(v) && Math.signum(t) * Math.signum(v) >= 0);
        assertTrue(Math.abs(v - t) <= Accumulator.TENSOR_CORE_FP8.unitRoundoff() * Math.abs(v));
        Accumulator nearest = new Accumulator("14-bit nearest", 14, false);
        assertTrue(Math.abs(v - nearest.round(v)) <= nearest.unitRoundoff() * Math.abs(v));
        assertEquals(t, Accumulator.TENSOR_CORE_FP8.round(t), 0, "idempotent");
    }
}
