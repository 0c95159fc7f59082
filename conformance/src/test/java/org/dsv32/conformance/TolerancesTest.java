package org.dsv32.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.metrics.Metrics;
import org.dsv32.spec.tolerance.ErrorBudget;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.ScaleFormat;
import org.junit.jupiter.api.Test;

/** The tolerance formulas, and that the bounds they give hold for real fp32 and E4M3 arithmetic. */
class TolerancesTest {
    @Test
    void unitRoundoffsAreThoseOfTheFormats() {
        assertEquals(Math.scalb(1.0, -4), Tolerances.U_E4M3);
        assertEquals(Math.scalb(1.0, -8), Tolerances.U_BF16);
        assertEquals(Math.ulp(1.0f) / 2, Tolerances.U_FP32);
    }

    @Test
    void gammaIsKuOverOneMinusKu() {
        double u = Tolerances.U_FP32;
        assertEquals(7168 * u / (1 - 7168 * u), Tolerances.gamma(7168, u), 0);
        assertEquals(Double.POSITIVE_INFINITY, Tolerances.gamma(1 << 24, u));
        assertTrue(Tolerances.dotTypical(7168, u) < Tolerances.dotWorst(7168, u));
    }

    @Test
    void blockPromotionBoundsTheAccumulation() {
        double u = Tolerances.U_FP32;
        // 128 + 56 roundings instead of 7168
        assertEquals(Tolerances.gamma(128, u) + Tolerances.gamma(56, u), Tolerances.promotedDotWorst(7168, u), 3 * u);
        assertTrue(Tolerances.promotedDotWorst(7168, u) < Tolerances.dotWorst(7168, u) / 30);
        assertTrue(Tolerances.promotedDotWorst(128, u) <= Tolerances.dotWorst(128, u) + 3 * u);
    }

    @Test
    void calcDiffIsHalfTheSquaredRelativeError() {
        SplittableRandom rng = new SplittableRandom(1);
        double[] y = new double[4096], x = new double[y.length];
        double eps = 1e-3, ny = 0, nd = 0;
        for (int i = 0; i < y.length; i++) y[i] = RandomInputs.gauss(rng);
        for (int i = 0; i < y.length; i++) { x[i] = y[i] + eps * RandomInputs.gauss(rng); ny += y[i] * y[i]; nd += (x[i] - y[i]) * (x[i] - y[i]); }
        double rel = Math.sqrt(nd / ny);
        assertEquals(Tolerances.calcDiffOf(rel), Metrics.calcDiff(x, y), 0.01 * Tolerances.calcDiffOf(rel));
        assertEquals(rel, Tolerances.epsOfCalcDiff(Tolerances.calcDiffOf(rel)), 1e-15);
    }

    @Test
    void tightBoundsGrowWithKAndLooseExceedsTight() {
        Tolerance small = Tolerances.linear(128, true, PrecisionMode.FP8, Tier.TIGHT);
        Tolerance large = Tolerances.linear(7168, true, PrecisionMode.FP8, Tier.TIGHT);
        assertTrue(small.calcDiff() < large.calcDiff());
        Tolerance loose = Tolerances.linear(7168, true, PrecisionMode.FP8, Tier.LOOSE);
        assertTrue(loose.calcDiff() > 100 * large.calcDiff());
        // one e4m3 rounding point: eps = u8 plus the fp32 part
        assertTrue(loose.calcDiff() >= Tolerances.calcDiffOf(Tolerances.U_E4M3));
        assertEquals(0, Tolerances.actQuant(Tier.TIGHT, ScaleFormat.UE8M0).calcDiff());
    }

    @Test
    void flipTermIsZeroWithoutUpstreamError() {
        assertEquals(0, Tolerances.flip(0));
        assertEquals(Math.sqrt(2 * Tolerances.U_E4M3 * 1e-6), Tolerances.flip(1e-6), 1e-18);
        // the first act_quant of an fp8 linear sees the exact inputs: no flips, only the accumulation
        ErrorBudget b = ErrorBudget.of(PrecisionMode.FP8, Tier.TIGHT).linear("l", 256, true);
        assertEquals(Tolerances.promotedDotWorst(256, Tolerances.U_FP32) * 16, b.eps(), 1e-18);
    }

    /**
     * A sequential fp32 dot product (the predictive model's worst order) of random-sign data over at least
     * MIN_ELEMENTS outputs stays within the predictive calc_diff gate.
     */
    @Property(tries = 40, seed = "13")
    void sequentialFp32LinearStaysWithinThePredictiveGate(@ForAll @IntRange(min = 1, max = 4096) int k,
                                                          @ForAll @IntRange(min = 64, max = 256) int n, @ForAll long seed) {
        double cd = sequentialFp32LinearCalcDiff(k, n, seed);
        Tolerance t = Tolerances.linear(k, false, PrecisionMode.EXACT, Tier.TIGHT);
        assertTrue(cd <= t.calcDiffFor(n), () -> "calc_diff " + cd + " K=" + k + " gate " + t.calcDiff());
    }

    /** calc_diff of n outputs of a K-long fp32 linear summed sequentially (no FMA) against float64, on random-sign data. */
    private static double sequentialFp32LinearCalcDiff(int k, int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] y = new double[n], x = new double[n];
        double[] a = new double[k];
        for (int i = 0; i < k; i++) a[i] = (float) RandomInputs.gauss(rng);
        for (int r = 0; r < n; r++) {
            float acc = 0;
            double exact = 0;
            for (int i = 0; i < k; i++) {
                float w = (float) (RandomInputs.gauss(rng) / Math.sqrt(k));
                acc += (float) a[i] * w;
                exact += a[i] * (double) w;
            }
            x[r] = acc;
            y[r] = exact;
        }
        double cd = Metrics.calcDiff(x, y);
        return cd;
    }

    /** An fp32 linear of random-sign data stays within the TIGHT exact-mode rigorous bound, for any number of outputs. */
    @Property(tries = 40, seed = "11")
    void fp32LinearStaysWithinTheBound(@ForAll @IntRange(min = 1, max = 2048) int k, @ForAll @IntRange(min = 1, max = 8) int n, @ForAll long seed) {
        double cd = sequentialFp32LinearCalcDiff(k, n, seed);
        assertTrue(cd <= Tolerances.linear(k, false, PrecisionMode.EXACT, Tier.TIGHT).rigorous().calcDiff(), () -> "calc_diff " + cd + " K=" + k);
    }

    /** E4M3 rounding of an activation row stays within the LOOSE act_quant bound (u8 per element). */
    @Property(tries = 50, seed = "12")
    void e4m3RoundingStaysWithinTheLooseBound(@ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] x = RandomInputs.gaussian(rng, 1, 1, 128).toArray();
        double amax = 0;
        for (double v : x) amax = Math.max(amax, Math.abs(v));
        float s = org.dsv32.spec.format.UE8M0.roundUp((float) amax * (float) (1 / E4M3.MAX));
        double[] q = new double[x.length];
        for (int i = 0; i < x.length; i++) q[i] = E4M3.round(x[i] / s) * s;
        Tolerance t = Tolerances.actQuant(Tier.LOOSE, ScaleFormat.UE8M0);
        assertTrue(Metrics.calcDiff(q, x) <= t.calcDiff());
        assertTrue(Metrics.maxAbs(q, x) / amax <= t.maxErrInf());
    }

    /**
     * CaseEval gates a tensor by the predictive calc_diff and names the rigorous bound; a tensor of fewer than
     * MIN_ELEMENTS elements (no concentration) by the rigorous one.
     */
    @Test
    void caseEvalGatesByThePredictiveBoundAndFallsBackForSmallTensors() {
        Tolerance t = Tolerances.linear(7168, true, PrecisionMode.EXACT, Tier.TIGHT);
        double eps = Math.sqrt(2 * Math.sqrt(t.calcDiff() * t.rigorous().calcDiff())); // calc_diff between the two bounds
        for (int n : new int[] {org.dsv32.spec.tolerance.Predictive.MIN_ELEMENTS - 1, 256}) {
            double[] y = new double[n], x = new double[n];
            for (int i = 0; i < n; i++) { y[i] = 1 + i % 3; x[i] = y[i] * (1 + (i % 2 == 0 ? eps : -eps)); }
            CaseEval ev = new CaseEval("c", t);
            ev.compare("y", x, y, t);
            if (n < org.dsv32.spec.tolerance.Predictive.MIN_ELEMENTS) {
                assertTrue(!ev.failed(), "a small tensor is gated by the rigorous bound: " + ev.result().failures());
            } else {
                assertTrue(ev.failed());
                assertTrue(ev.result().failures().get(0).contains("predictive gate; rigorous bound"), ev.result().failures().toString());
            }
        }
    }

    /** spec/TOLERANCES.md §10's measured table carries the bounds the code gives now (regenerated when the model changes). */
    @Test
    void calibrationTableCarriesTheCurrentBounds() throws Exception {
        String text = Files.readString(Path.of("..", "spec", "TOLERANCES.md"));
        var plans = java.util.List.of(new org.dsv32.conformance.calibrate.Calibration.Plan(true, 16), new org.dsv32.conformance.calibrate.Calibration.Plan(false, 16));
        for (var row : plans.stream().flatMap(p -> org.dsv32.conformance.calibrate.Calibration.plan(p).stream()).toList()) {
            String key = org.dsv32.conformance.calibrate.Calibration.boundsKey(row);
            String[] f = key.split(" \\| ");
            String prefix = "| " + f[0] + " | " + f[1] + " | " + f[2] + " | " + f[3] + " | ";
            String line = text.lines().filter(l -> l.startsWith(prefix)).findFirst().orElse(null);
            assertTrue(line != null, "spec/TOLERANCES.md §10 lacks the row " + prefix + "; regenerate it with ./dsv32 calibrate --write spec/TOLERANCES.md");
            String[] cells = line.split(" \\| ");
            assertEquals(f[4], cells[8].trim(), "gate of " + prefix + "(regenerate with ./dsv32 calibrate --write spec/TOLERANCES.md)");
            assertEquals(f[5], cells[10].replace("|", "").trim(), "rigorous bound of " + prefix);
        }
    }

    /** spec/TOLERANCES.md holds the table these formulas give for the published 671B configuration. */
    @Test
    void documentedTableMatchesTheFormulas() throws Exception {
        Path doc = Path.of("..", "spec", "TOLERANCES.md");
        String text = Files.readString(doc);
        String table = Tolerances.markdownTable(ModelConfig.deepseekV32());
        assertTrue(text.contains(table), "spec/TOLERANCES.md is out of date; regenerate its table with Tolerances.markdownTable:\n" + table);
    }

    /**
     * mtp_loss (spec/TOLERANCES.md §10.6): in exact mode the gate is the predictive per-element one, 16.2 predicted RMS
     * of the loss, far below the rigorous bound that is vacuous at the real shapes; a chain with E4M3 code flips (fp8
     * TIGHT) keeps the rigorous gate.
     */
    @Test
    void mtpLossGatesOnItsPredictedRmsInExactModeAndRigorouslyWithFlips() {
        ModelConfig c = org.dsv32.conformance.generate.ConformanceConfigs.realModel().toBuilder().numNextnPredictLayers(2).build();
        double norm = 90, range = 9, loss = 9.2;
        Tolerance exact = Tolerances.mtpLoss(c, PrecisionMode.EXACT, Tier.TIGHT, 4, 4, 1, 2, norm, range, 1, loss);
        assertTrue(exact.predictive(), exact.derivation());
        double rms = Tolerances.mtpLossRms(c.vocabSize(), 2, Tolerances.mtpLossLogitsVar(c, PrecisionMode.EXACT, Tier.TIGHT, 4, 4, 1), 2, norm, range, 1, loss);
        assertEquals(org.dsv32.spec.tolerance.Predictive.elementFactor() * rms / loss, exact.maxErrInf(), 1e-12 * exact.maxErrInf());
        assertTrue(exact.rigorous().maxErrInf() > 1, "the rigorous bound is vacuous at these shapes: " + exact.rigorous().maxErrInf());
        assertTrue(exact.maxErrInf() < 1e-3, "the predictive gate discriminates: " + exact.maxErrInf());
        Tolerance fp8 = Tolerances.mtpLoss(c, PrecisionMode.FP8, Tier.TIGHT, 4, 4, 1, 2, norm, range, 1, loss);
        assertTrue(!fp8.predictive() && fp8.derivation().contains("flips"), fp8.derivation());
    }

    /**
     * mtpLossRms's logits term: the V logit errors spread over the softmax, sqrt(2 var / V) |z|; with λ the RMS of
     * L_MTP is λ times that of the mean of the module losses, plus its own roundings.
     */
    @Property(tries = 50)
    void mtpLossRmsSpreadsTheLogitsErrorOverTheVocabulary(@ForAll @IntRange(min = 64, max = 200_000) int vocab,
                                                         @ForAll @IntRange(min = 1, max = 1000) int normTimes10, @ForAll @IntRange(min = -14, max = -4) int log10Var) {
        double var = Math.pow(10, log10Var), norm = normTimes10 / 10.0;
        double logits = Math.sqrt(2 * var / vocab) * norm;
        double rms = Tolerances.mtpLossRms(vocab, 1, var, 1, norm, 0, 1, 0);
        double arithmetic = Tolerances.mtpLossRms(vocab, 1, 0, 1, norm, 0, 1, 0);
        assertTrue(rms >= logits && rms <= logits + arithmetic * (1 + 1e-12), rms + " vs " + logits + " + " + arithmetic);
        double scaled = Tolerances.mtpLossRms(vocab, 1, var, 1, norm, 0, 0.3, 0);
        assertEquals(0.3 * rms, scaled, 1e-12 * rms);
    }
}
