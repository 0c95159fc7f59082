package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.metrics.Metrics;
import org.dsv32.spec.ops.AttentionResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.MlaAttentionOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.AttentionWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * SimdMla against the reference MLA on the tiny checkpoint's layer-1 attention. The outputs are compared with the
 * reference REPLAYING simd's own selection (forcedSelection), so that a near-tie flip of the indexer cannot hide or
 * fake an attention error; the selections themselves are compared with a near-tie allowance (SimdIndexerTest's
 * tolerances).
 *
 * <p>Output tolerance, per row, relative to the row's largest |value|, and the row's calc_diff:
 * {@link KernelTolerances#outputRow} and {@link KernelTolerances#rowCalcDiff} (exact mode observed about 1e-6 of the
 * row scale; in fp8 mode a value straddling an e4m3 midpoint in one of the act_quant steps, the o_proj input or the
 * latent round trip, moves an output row by a few tenths of a percent).
 */
class SimdMlaTest {
    static final double EXACT_TOL = KernelTolerances.outputRow(PrecisionMode.EXACT);
    static final double FP8_TOL = KernelTolerances.outputRow(PrecisionMode.FP8);

    static AttentionWeights weights() { return SimdLayerFixtures.tiny().weights().layers().get(1).attention(); }

    static MlaAttentionOp op(Backend b, PrecisionMode mode) { return b.require(MlaAttentionOp.class, SimdLayerFixtures.context(mode)); }

    static void compareOutputs(TensorF64 simd, TensorF64 ref, PrecisionMode mode, String what) {
        assertArrayEquals(ref.shape(), simd.shape(), what + ": shape");
        double tol = mode.hasFp8RoundingPoints() ? FP8_TOL : EXACT_TOL, worst = 0;
        for (int t = 0; t < ref.rows(); t++) {
            double[] a = simd.rowArray(t), e = ref.rowArray(t);
            double scale = 0;
            for (double v : e) scale = Math.max(scale, Math.abs(v));
            for (int j = 0; j < e.length; j++) {
                assertTrue(Math.abs(a[j] - e[j]) <= tol * scale, what + ": row " + t + " element " + j + ": " + a[j] + " vs reference " + e[j]);
                worst = Math.max(worst, Math.abs(a[j] - e[j]) / scale);
            }
            double cd = Metrics.calcDiff(a, e);
            assertTrue(cd <= KernelTolerances.rowCalcDiff(mode), what + ": row " + t + " calc_diff " + cd);
        }
        System.out.printf("%s: worst error %.2e of the row scale%n", what, worst);
    }

    /** simd on its cache, then the reference on its own copy replaying simd's selection; outputs and caches compared. */
    static void replay(PrecisionMode mode, int startPos, long cacheSeed, int[] chunks, long inputSeed) {
        ModelConfig c = SimdLayerFixtures.config();
        boolean fp8 = mode.hasFp8RoundingPoints();
        LayerCache simdCache = startPos == 0 ? new LayerCache() : SimdLayerFixtures.randomCache(cacheSeed, startPos, fp8);
        LayerCache refCache = startPos == 0 ? new LayerCache() : SimdLayerFixtures.randomCache(cacheSeed, startPos, fp8);
        Random rnd = new Random(inputSeed);
        int pos = startPos;
        for (int tokens : chunks) {
            TensorF64 x = SimdLayerFixtures.activation(rnd, tokens, c.hiddenSize());
            AttentionResult s = op(SimdLayerFixtures.SIMD, mode).forward(x, pos, weights(), simdCache, null);
            AttentionResult r = op(SimdLayerFixtures.REFERENCE, mode).forward(x, pos, weights(), refCache, s.indexer().selected());
            String what = mode + " " + tokens + " tokens at " + pos;
            compareOutputs(s.output(), r.output(), mode, what);
            double[] tol = new double[tokens];
            for (int t = 0; t < tokens; t++) tol[t] = 2 * (fp8 ? SimdIndexerTest.FP8_TOL : SimdIndexerTest.EXACT_TOL) * SimdLayerFixtures.rowScale(r.indexer().scores(), t);
            // the reference's own selection (what it would have chosen without the replay), from its scores
            int[][] refOwn = ownSelection(r, pos, c.indexTopk());
            SimdLayerFixtures.assertSelectionsAgree(s.indexer().selected(), refOwn, r.indexer().scores(), tol, what);
            pos += tokens;
        }
        compareLatents(simdCache, refCache, startPos, mode);
        SimdIndexerTest.compareKeys(simdCache, refCache, mode);
    }

    /** The reference indexer's selection recomputed from its scores (its rule: top-k of s &lt;= p, ties to the lower index). */
    static int[][] ownSelection(AttentionResult r, int startPos, int topk) {
        TensorF64 sc = r.indexer().scores();
        int[][] out = new int[sc.rows()][];
        for (int t = 0; t < sc.rows(); t++) {
            double[] row = sc.rowArray(t);
            out[t] = SimdTopK.select(row, startPos + t + 1, topk, SimdTopK.Order.TOTAL);
        }
        return out;
    }

    /** The latents and k_pe the two backends appended: within float32 tolerance (fp8: codes one step apart at most, rarely). */
    static void compareLatents(LayerCache simd, LayerCache ref, int from, PrecisionMode mode) {
        assertEquals(ref.length(), simd.length(), "cache length");
        int values = 0, far = 0;
        for (int s = from; s < ref.length(); s++) {
            double[] a = simd.latent(s), e = ref.latent(s);
            for (int j = 0; j < e.length; j++) {
                values++;
                if (Math.abs(a[j] - e[j]) > KernelTolerances.scoreRowExact() * Math.max(1, Math.abs(e[j]))) far++;
            }
            double[] pa = simd.keyRope(s), pe = ref.keyRope(s);
            for (int j = 0; j < pe.length; j++) assertEquals(pe[j], pa[j], KernelTolerances.scoreRowExact() * Math.max(1, Math.abs(pe[j])), "k_pe " + s + "," + j);
        }
        // exact mode: none; fp8 mode: only the rare neighbouring codes of the latent's round trip
        assertTrue(mode.hasFp8RoundingPoints() ? far <= values / 200 : far == 0, far + " of " + values + " latent values differ");
    }

    @ParameterizedTest
    @EnumSource(PrecisionMode.class)
    void prefillThenDecodeMatchesTheReferenceReplayingTheSelection(PrecisionMode mode) {
        replay(mode, 0, 0, new int[] {12, 1, 1}, 21);
    }

    @ParameterizedTest
    @EnumSource(PrecisionMode.class)
    void tokensOverACacheFilledElsewhereMatchTheReference(PrecisionMode mode) {
        replay(mode, 25, 31, new int[] {1, 3}, 23); // the mirror catches up with entries it did not write
    }

    @ParameterizedTest
    @EnumSource(value = PrecisionMode.class, names = {"EXACT", "FP8"}) // bf16 mode: each form has its own rounding points
    void absorbedEqualsNaive(PrecisionMode mode) {
        Random rnd = new Random(29);
        ModelConfig c = SimdLayerFixtures.config();
        TensorF64 x = SimdLayerFixtures.activation(rnd, 4, c.hiddenSize());
        SimdMla mla = (SimdMla) op(SimdLayerFixtures.SIMD, mode);
        LayerCache a = SimdLayerFixtures.randomCache(37, 20, mode.hasFp8RoundingPoints()), b = SimdLayerFixtures.randomCache(37, 20, mode.hasFp8RoundingPoints());
        AttentionResult naive = mla.forward(x, 20, weights(), a, null, SimdMla.Form.NAIVE);
        AttentionResult absorbed = mla.forward(x, 20, weights(), b, naive.indexer().selected(), SimdMla.Form.ABSORBED);
        compareOutputs(absorbed.output(), naive.output(), mode, "absorbed vs naive " + mode);
    }

    @Test
    void outputsDoNotDependOnTheThreadCount() {
        // a forced selection of every key, so that the heads (absorbed) and (token, head) pairs (naive) are enough
        // work to run on the pool (SimdThreads.MIN_PARALLEL_WORK)
        ModelConfig c = SimdLayerFixtures.config();
        int start = 300;
        for (PrecisionMode mode : PrecisionMode.values()) {
            for (int tokens : new int[] {1, 5}) {
                TensorF64 x = SimdLayerFixtures.activation(new Random(41), tokens, c.hiddenSize());
                int[][] all = new int[tokens][start + tokens];
                for (int[] row : all) for (int s = 0; s < row.length; s++) row[s] = s;
                AttentionResult one = SimdThreads.withThreads(1, () -> op(SimdLayerFixtures.SIMD, mode).forward(x, start, weights(),
                        SimdLayerFixtures.randomCache(43, start, mode.hasFp8RoundingPoints()), all));
                AttentionResult two = SimdThreads.withThreads(2, () -> op(SimdLayerFixtures.SIMD, mode).forward(x, start, weights(),
                        SimdLayerFixtures.randomCache(43, start, mode.hasFp8RoundingPoints()), all));
                assertArrayEquals(one.output().toArray(), two.output().toArray(), mode + ", " + tokens + " tokens");
            }
        }
    }

    @Test
    void fewKeysGiveTheSameBitsWhateverTheCopyOfKvBAndTheThreadCount() {
        // a decode over few attended keys (the tiny model's eight): the scores of a few key lanes, the o~ sums read in
        // place, kv_b's small copy (bf16 pairs for this ue8m0 checkpoint) against its codes and its plain float32 copy,
        // at one and two threads; fewer keys than a vector's lanes and a whole key block; at every width
        ModelConfig c = SimdLayerFixtures.config();
        int start = 90;
        for (int bits : SimdSpecies.supportedBits()) {
            for (PrecisionMode mode : PrecisionMode.values()) {
                for (int keys : new int[] {5, SimdMla.KEY_BLOCK}) {
                    for (int tokens : new int[] {1, 3}) {
                        Random rnd = new Random(59L * keys + tokens);
                        TensorF64 x = SimdLayerFixtures.activation(rnd, tokens, c.hiddenSize());
                        int[][] sel = new int[tokens][];
                        for (int t = 0; t < tokens; t++) sel[t] = rnd.ints(0, start + t + 1).distinct().limit(keys).sorted().toArray();
                        String what = bits + " bits, " + mode + ", " + keys + " keys, " + tokens + " tokens";
                        double[] codes = SimdSpecies.withBits(bits, () -> absorbed(x, start, sel, mode, SimdMla.KvBCopy.CODES, 1));
                        for (SimdMla.KvBCopy copy : new SimdMla.KvBCopy[] {SimdMla.KvBCopy.FLOATS, SimdMla.KvBCopy.SMALL, null}) {
                            for (int threads = 1; threads <= 2; threads++) {
                                int th = threads;
                                assertArrayEquals(codes, SimdSpecies.withBits(bits, () -> absorbed(x, start, sel, mode, copy, th)),
                                        what + ", " + (copy == null ? "by shape" : copy) + ", " + threads + " threads");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void headLanesGiveTheBitsOfTheKeyLanePath() {
        // the real model's absorbed core (heads in vector lanes: four heads padded to a group here) against the
        // key-lane path the tiny model takes, fp32 and fp8 modes, at every width and one and two threads: fewer keys
        // than a vector, more than a scores unit and a sums pass, and every key
        ModelConfig c = SimdLayerFixtures.config();
        int start = SimdMla.LANE_KEYS + 70;
        for (int bits : SimdSpecies.supportedBits()) {
            for (PrecisionMode mode : new PrecisionMode[] {PrecisionMode.EXACT, PrecisionMode.FP8}) {
                for (int keys : new int[] {5, SimdMla.LANE_KEYS + 11, start}) {
                    for (int tokens : new int[] {1, 3}) {
                        Random rnd = new Random(71L * keys + tokens);
                        TensorF64 x = SimdLayerFixtures.activation(rnd, tokens, c.hiddenSize());
                        int[][] sel = new int[tokens][];
                        for (int t = 0; t < tokens; t++) sel[t] = rnd.ints(0, start + t + 1).distinct().limit(keys).sorted().toArray();
                        String what = bits + " bits, " + mode + ", " + keys + " keys, " + tokens + " tokens";
                        double[] keyLanes = SimdSpecies.withBits(bits, () -> absorbedPath(x, start, sel, mode, false, 1));
                        for (int threads = 1; threads <= 2; threads++) {
                            int th = threads;
                            assertArrayEquals(keyLanes, SimdSpecies.withBits(bits, () -> absorbedPath(x, start, sel, mode, true, th)), what + ", " + threads + " threads");
                        }
                    }
                }
            }
        }
    }

    /** The absorbed form's output over a fresh random cache of {@code start} tokens, its core with the heads in lanes or not. */
    private static double[] absorbedPath(TensorF64 x, int start, int[][] selection, PrecisionMode mode, boolean headLanes, int threads) {
        SimdMla.forcedHeadLanes = headLanes;
        try {
            return SimdThreads.withThreads(threads, () -> ((SimdMla) op(SimdLayerFixtures.SIMD, mode)).forward(x, start, weights(),
                    SimdLayerFixtures.randomCache(61, start, mode.hasFp8RoundingPoints()), selection, SimdMla.Form.ABSORBED).output().toArray());
        } finally {
            SimdMla.forcedHeadLanes = null;
        }
    }

    /** The absorbed form's output over a fresh random cache of {@code start} tokens, reading the given copy of kv_b (null: by shape). */
    private static double[] absorbed(TensorF64 x, int start, int[][] selection, PrecisionMode mode, SimdMla.KvBCopy copy, int threads) {
        SimdMla.forcedKvB = copy;
        try {
            return SimdThreads.withThreads(threads, () -> ((SimdMla) op(SimdLayerFixtures.SIMD, mode)).forward(x, start, weights(),
                    SimdLayerFixtures.randomCache(61, start, mode.hasFp8RoundingPoints()), selection, SimdMla.Form.ABSORBED).output().toArray());
        } finally {
            SimdMla.forcedKvB = null;
        }
    }

    @Test
    void absorbedOutputsDoNotDependOnWhichCopyOfKvBIsRead() {
        // the real model's decode reads kv_b's FP8 codes dequantised in registers, the tiny model's a run-ordered
        // float32 copy: the same bits as the plain float32 copy, over more keys than two key blocks (the scores'
        // units) and with every key attended
        ModelConfig c = SimdLayerFixtures.config();
        int start = 2 * SimdMla.KEY_BLOCK + 40;
        for (PrecisionMode mode : PrecisionMode.values()) {
            for (int tokens : new int[] {1, 5}) {
                TensorF64 x = SimdLayerFixtures.activation(new Random(47), tokens, c.hiddenSize());
                int[][] all = new int[tokens][start + tokens];
                for (int[] row : all) for (int s = 0; s < row.length; s++) row[s] = s;
                SimdMla.KvBCopy[] copies = SimdMla.KvBCopy.values();
                double[][] outs = new double[copies.length][];
                for (int i = 0; i < copies.length; i++) {
                    SimdMla.forcedKvB = copies[i];
                    try {
                        SimdMla mla = (SimdMla) op(SimdLayerFixtures.SIMD, mode);
                        outs[i] = mla.forward(x, start, weights(), SimdLayerFixtures.randomCache(53, start, mode.hasFp8RoundingPoints()), all,
                                SimdMla.Form.ABSORBED).output().toArray();
                    } finally {
                        SimdMla.forcedKvB = null;
                    }
                }
                for (int i = 1; i < copies.length; i++) assertArrayEquals(outs[0], outs[i], mode + ", " + tokens + " tokens, " + copies[i] + " vs " + copies[0]);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(PrecisionMode.class)
    void backendsCanTakeTurnsOnOneCache(PrecisionMode mode) {
        // reference and simd appending to the same cache in turns (simd's mirror catching up each time) give what
        // simd alone gives, within the float32 tolerance; every key is attended so that no selection can differ
        ModelConfig c = SimdLayerFixtures.config();
        Random rnd = new Random(67);
        TensorF64[] xs = {SimdLayerFixtures.activation(rnd, 6, c.hiddenSize()), SimdLayerFixtures.activation(rnd, 1, c.hiddenSize()),
                SimdLayerFixtures.activation(rnd, 1, c.hiddenSize()), SimdLayerFixtures.activation(rnd, 1, c.hiddenSize())};
        LayerCache mixed = new LayerCache(), alone = new LayerCache();
        int pos = 0;
        TensorF64 lastMixed = null, lastAlone = null;
        for (int i = 0; i < xs.length; i++) {
            int n = xs[i].rows();
            int[][] all = new int[n][pos + n];
            for (int[] row : all) for (int s = 0; s < row.length; s++) row[s] = s;
            Backend turn = i % 2 == 0 ? SimdLayerFixtures.REFERENCE : SimdLayerFixtures.SIMD;
            lastMixed = op(turn, mode).forward(xs[i], pos, weights(), mixed, all).output();
            lastAlone = op(SimdLayerFixtures.SIMD, mode).forward(xs[i], pos, weights(), alone, all).output();
            pos += n;
        }
        compareOutputs(lastMixed, lastAlone, mode, "turns " + mode);
        compareLatents(mixed, alone, 0, mode);
        SimdIndexerTest.compareKeys(mixed, alone, mode);
    }

    @Test
    void unselectedKeysDoNotMatter() {
        // two caches that differ only in key 5's latent and k_pe; a selection without key 5 gives identical bits
        ModelConfig c = SimdLayerFixtures.config();
        TensorF64 x = SimdLayerFixtures.activation(new Random(47), 1, c.hiddenSize());
        LayerCache a = SimdLayerFixtures.randomCache(53, 12, false), b = new LayerCache();
        for (int s = 0; s < 12; s++) {
            double[] latent = a.latent(s).clone(), pe = a.keyRope(s).clone();
            if (s == 5) {
                java.util.Arrays.fill(latent, 1e3);
                java.util.Arrays.fill(pe, -1e3);
            }
            b.appendLatent(latent, pe);
            b.appendIndexKey(a.indexKey(s));
        }
        int[][] sel = {{0, 3, 7, 12, 9}};
        MlaAttentionOp mla = op(SimdLayerFixtures.SIMD, PrecisionMode.EXACT);
        TensorF64 ya = mla.forward(x, 12, weights(), a, sel).output(), yb = mla.forward(x, 12, weights(), b, sel).output();
        assertArrayEquals(ya.toArray(), yb.toArray());
        int[][] with5 = {{0, 3, 5, 7, 12, 9}};
        LayerCache a2 = SimdLayerFixtures.randomCache(53, 12, false);
        assertTrue(Metrics.calcDiff(mla.forward(x, 12, weights(), a2, with5).output().toArray(), ya.toArray()) > KernelTolerances.EXACT_ROW_CALC_DIFF,
                "a selected key must change the output beyond the exact-mode bound");
    }

    @Test
    void forcedSelectionIsASetOfVisibleKeys() {
        ModelConfig c = SimdLayerFixtures.config();
        TensorF64 x = SimdLayerFixtures.activation(new Random(59), 2, c.hiddenSize());
        MlaAttentionOp mla = op(SimdLayerFixtures.SIMD, PrecisionMode.EXACT);
        // duplicates count once; key 11 is after query 0 (position 10) and is ignored there
        int[][] messy = {{3, 3, 11, 0, 11}, {11, 2, 2}};
        int[][] clean = {{0, 3}, {2, 11}};
        AttentionResult m = mla.forward(x, 10, weights(), SimdLayerFixtures.randomCache(61, 10, false), messy);
        AttentionResult k = mla.forward(x, 10, weights(), SimdLayerFixtures.randomCache(61, 10, false), clean);
        assertArrayEquals(k.output().toArray(), m.output().toArray());
        assertArrayEquals(messy[0], m.indexer().selected()[0], "the result reports the selection used");
        LayerCache cache = SimdLayerFixtures.randomCache(61, 10, false);
        assertThrows(IllegalArgumentException.class, () -> mla.forward(x, 10, weights(), cache, new int[][] {{11}, {1}}),
                "query 0 left without a key");
        LayerCache untouched = SimdLayerFixtures.randomCache(61, 10, false);
        assertThrows(IllegalArgumentException.class, () -> mla.forward(x, 10, weights(), untouched, new int[][] {{1}}));
        assertThrows(IllegalArgumentException.class, () -> mla.forward(x, 10, weights(), untouched, new int[][] {{1}, {12}}));
        assertEquals(10, untouched.length(), "a malformed forced selection is refused before the cache changes");
        assertEquals(10, untouched.indexLength());
    }
}
