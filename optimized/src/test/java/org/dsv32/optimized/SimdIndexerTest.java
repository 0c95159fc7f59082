package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.IndexerWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * SimdIndexer against the reference indexer on the tiny checkpoint's layer-1 indexer, T new tokens over a cache.
 *
 * <p>Tolerances, relative to the largest |score| of the query's row (the scale every score of the row is made of):
 * {@link KernelTolerances#scoreRow} (their reasons are stated there; exact mode observed worst about 3e-7). In fp8
 * mode a flip is allowed, but at least 3/4 of the scores must still meet the exact-mode bound (a q flip touches one
 * query's row, a k flip one key's column). The k codes
 * themselves are compared with the reference's cache: identical or one step apart, and rarely so.
 */
class SimdIndexerTest {
    static final double EXACT_TOL = KernelTolerances.scoreRow(PrecisionMode.EXACT);
    static final double FP8_TOL = KernelTolerances.scoreRow(PrecisionMode.FP8);

    static IndexerWeights weights() { return SimdLayerFixtures.tiny().weights().layers().get(1).attention().indexer(); }

    record Run(IndexerResult result, LayerCache cache) {}

    static Run run(org.dsv32.spec.backend.Backend b, PrecisionMode mode, TensorF64 x, TensorF64 cq, int startPos, long cacheSeed) {
        LayerCache cache = startPos == 0 ? new LayerCache() : SimdLayerFixtures.randomCache(cacheSeed, startPos, mode.hasFp8RoundingPoints());
        IndexerResult r = b.require(IndexerOp.class, SimdLayerFixtures.context(mode)).select(x, cq, startPos, weights(), cache);
        return new Run(r, cache);
    }

    static void compare(Run simd, Run ref, double relTol, String what) {
        TensorF64 s = simd.result().scores(), r = ref.result().scores();
        assertArrayEquals(r.shape(), s.shape(), what + ": scores shape");
        double[] tol = new double[r.rows()];
        double worst = 0;
        int finite = 0, tight = 0;
        for (int t = 0; t < r.rows(); t++) {
            tol[t] = relTol * SimdLayerFixtures.rowScale(r, t);
            for (int k = 0; k < r.cols(); k++) {
                double a = s.at(t, k), e = r.at(t, k);
                if (e == Double.NEGATIVE_INFINITY) {
                    assertEquals(e, a, what + ": future key " + k + " of query " + t + " must score -inf");
                    continue;
                }
                assertTrue(Math.abs(a - e) <= tol[t], what + ": score (" + t + ", " + k + ") = " + a + ", reference " + e + ", tolerance " + tol[t]);
                worst = Math.max(worst, Math.abs(a - e) / (tol[t] / relTol));
                finite++;
                if (Math.abs(a - e) <= EXACT_TOL * tol[t] / relTol) tight++;
            }
        }
        // flips are rare: most scores must still meet the float32 bound (a small systematic error would not)
        assertTrue(tight >= 0.75 * finite, what + ": only " + tight + " of " + finite + " scores within " + EXACT_TOL + " of the row scale");
        double[] selTol = tol.clone();
        for (int t = 0; t < selTol.length; t++) selTol[t] *= 2;
        SimdLayerFixtures.assertSelectionsAgree(simd.result().selected(), ref.result().selected(), r, selTol, what);
        System.out.printf("%s: worst score error %.2e of the row scale%n", what, worst);
    }

    @ParameterizedTest
    @EnumSource(PrecisionMode.class)
    void prefillFromAnEmptyCacheMatchesTheReference(PrecisionMode mode) {
        Random rnd = new Random(3);
        ModelConfig c = SimdLayerFixtures.config();
        int tokens = 14; // longer than index_topk (8): the selection really restricts
        TensorF64 x = SimdLayerFixtures.activation(rnd, tokens, c.hiddenSize());
        TensorF64 cq = SimdLayerFixtures.activation(rnd, tokens, c.qLoraRank());
        Run simd = run(SimdLayerFixtures.SIMD, mode, x, cq, 0, 0), ref = run(SimdLayerFixtures.REFERENCE, mode, x, cq, 0, 0);
        compare(simd, ref, mode.hasFp8RoundingPoints() ? FP8_TOL : EXACT_TOL, "prefill " + mode);
        compareKeys(simd.cache(), ref.cache(), mode);
        for (int t = 0; t < tokens; t++) assertEquals(Math.min(c.indexTopk(), t + 1), simd.result().selected()[t].length, "selection size of query " + t);
    }

    @ParameterizedTest
    @EnumSource(PrecisionMode.class)
    void tokensOverAPrefilledCacheMatchTheReference(PrecisionMode mode) {
        Random rnd = new Random(5);
        ModelConfig c = SimdLayerFixtures.config();
        for (int tokens : new int[] {1, 3}) {
            TensorF64 x = SimdLayerFixtures.activation(rnd, tokens, c.hiddenSize());
            TensorF64 cq = SimdLayerFixtures.activation(rnd, tokens, c.qLoraRank());
            Run simd = run(SimdLayerFixtures.SIMD, mode, x, cq, 30, 77), ref = run(SimdLayerFixtures.REFERENCE, mode, x, cq, 30, 77);
            compare(simd, ref, mode.hasFp8RoundingPoints() ? FP8_TOL : EXACT_TOL, tokens + " tokens after 30, " + mode);
            assertEquals(30 + tokens, simd.cache().indexLength());
        }
    }

    /** The new keys in the cache: exact mode within the float32 tolerance, fp8 mode codes equal or one step apart. */
    static void compareKeys(LayerCache simd, LayerCache ref, PrecisionMode mode) {
        assertEquals(ref.indexLength(), simd.indexLength(), "cached keys");
        int codes = 0, differing = 0;
        for (int s = 0; s < ref.indexLength(); s++) {
            if (mode.hasFp8RoundingPoints()) {
                byte[] a = simd.indexKeyCodes(s), e = ref.indexKeyCodes(s);
                assertEquals(ref.indexKeyScale(s), simd.indexKeyScale(s), "scale of key " + s);
                for (int j = 0; j < e.length; j++) {
                    codes++;
                    if (a[j] != e[j]) {
                        differing++;
                        assertTrue(adjacent(a[j], e[j]), "key " + s + " code " + j + ": " + a[j] + " vs reference " + e[j]);
                    }
                }
            } else {
                double[] a = simd.indexKey(s), e = ref.indexKey(s);
                double scale = 0;
                for (double v : e) scale = Math.max(scale, Math.abs(v));
                for (int j = 0; j < e.length; j++) assertEquals(e[j], a[j], EXACT_TOL * scale, "key " + s + " value " + j);
            }
        }
        assertTrue(differing <= codes / 200, differing + " of " + codes + " key codes differ from the reference's");
    }

    /** Whether two e4m3 codes are neighbours on the grid (or equal). */
    static boolean adjacent(byte a, byte b) {
        double x = E4M3.decode(a), y = E4M3.decode(b);
        if (x == y) return true;
        double lo = Math.min(x, y), hi = Math.max(x, y);
        for (int c = 0; c < 256; c++) {
            double v = E4M3.decode((byte) c);
            if (v > lo && v < hi) return false;
        }
        return true;
    }

    @Test
    void scoresAndSelectionsDoNotDependOnTheThreadCount() {
        Random rnd = new Random(9);
        ModelConfig c = SimdLayerFixtures.config();
        TensorF64 x = SimdLayerFixtures.activation(rnd, 2, c.hiddenSize());
        TensorF64 cq = SimdLayerFixtures.activation(rnd, 2, c.qLoraRank());
        int start = 3 * SimdIndexer.KEYS_PER_UNIT; // several key blocks per query
        for (PrecisionMode mode : PrecisionMode.values()) {
            Run one = SimdThreads.withThreads(1, () -> run(SimdLayerFixtures.SIMD, mode, x, cq, start, 11));
            Run two = SimdThreads.withThreads(2, () -> run(SimdLayerFixtures.SIMD, mode, x, cq, start, 11));
            assertArrayEquals(one.result().scores().toArray(), two.result().scores().toArray(), mode + " scores");
            for (int t = 0; t < 2; t++) assertArrayEquals(one.result().selected()[t], two.result().selected()[t], mode + " selection " + t);
        }
    }

    /**
     * fp8 mode: the scores and selections are the same bits at every vector width (they were, through exact float64
     * code sums; now through the float32 kernel whose lanes run across keys, each doing the scalar sequence). Not
     * exact mode: the k LayerNorm's sums fold their lanes in the width's tree order, so its float keys already differ
     * in the last bits before scoring (in fp8 mode the codes absorb that, midpoints aside).
     */
    @Test
    void fp8ScoresAndSelectionsDoNotDependOnTheVectorWidth() {
        Random rnd = new Random(13);
        ModelConfig c = SimdLayerFixtures.config();
        TensorF64 x = SimdLayerFixtures.activation(rnd, 3, c.hiddenSize());
        TensorF64 cq = SimdLayerFixtures.activation(rnd, 3, c.qLoraRank());
        int start = SimdIndexer.KEYS_PER_UNIT + 37; // a partial key block and a partial pass
        for (PrecisionMode mode : new PrecisionMode[] {PrecisionMode.FP8, PrecisionMode.BF16}) {
            Run first = null;
            for (int bits : SimdSpecies.supportedBits()) {
                Run r = SimdSpecies.withBits(bits, () -> run(SimdLayerFixtures.SIMD, mode, x, cq, start, 21));
                if (first == null) {
                    first = r;
                    continue;
                }
                assertArrayEquals(first.result().scores().toArray(), r.result().scores().toArray(), mode + " scores, width " + bits);
                for (int t = 0; t < 3; t++) assertArrayEquals(first.result().selected()[t], r.result().selected()[t], mode + " selection " + t + ", width " + bits);
            }
        }
    }

    /**
     * The mirror's key tiles across capacity growth (a cache read whole, then one key and then several appended, past
     * two doublings): every key's code values at its tile position, zeros past the length, the tiles aligned to a
     * cache line (the score kernel's loads then never straddle two lines).
     */
    @Test
    void keyTilesHoldEveryKeyAlignedAcrossGrowth() {
        int dim = SimdLayerFixtures.config().indexHeadDim();
        LayerCache cache = SimdLayerFixtures.randomCache(5, 40, true);
        SimdCacheMirror mirror = SimdCacheMirror.of(cache);
        mirror.syncIndexKeys(cache, dim, true);
        Random rnd = new Random(6);
        for (int step : new int[] {1, 30, 1, 60}) {
            byte[] codes = new byte[step * dim];
            float[] scales = new float[step];
            for (int i = 0; i < codes.length; i++) codes[i] = E4M3.encode(rnd.nextGaussian() * 50);
            java.util.Arrays.fill(scales, 0.25f);
            mirror.appendIndexKeys(cache, codes, scales, step);
            java.lang.foreign.MemorySegment tiles = mirror.keyTiles();
            assertEquals(0, tiles.address() % SimdCacheMirror.TILE_ALIGN, "key tiles aligned");
            assertEquals(cache.indexLength(), mirror.indexLength());
            for (int s = 0; s < cache.indexLength(); s++) {
                for (int d = 0; d < dim; d++) {
                    float got = tiles.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, SimdAttentionKernels.tiled(s, d, dim));
                    assertEquals((float) E4M3.decode(cache.indexKeyCodes(s)[d]), got, 0f, "key " + s + ", dim " + d);
                }
            }
            long capacity = tiles.byteSize() / Float.BYTES / dim;
            for (long s = cache.indexLength(); s < capacity; s++) {
                for (int d = 0; d < dim; d++) assertEquals(0f, tiles.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, SimdAttentionKernels.tiled((int) s, d, dim)), 0f, "padding key " + s);
            }
        }
    }

    /**
     * A cache read whole (a full multiple of the padding, so that no padding is spare) is appended to for a quarter
     * of its length, one decode step at a time, without growing the mirror's key tiles again (each growth copies
     * every key into fresh memory: milliseconds at the real sizes), and a long decode grows them a few times only.
     */
    @Test
    void keyTilesReadWholeDoNotGrowOnTheNextDecodeSteps() {
        int dim = SimdLayerFixtures.config().indexHeadDim(), n = 4 * SimdCacheMirror.KEY_PAD;
        LayerCache cache = SimdLayerFixtures.randomCache(7, n, true);
        SimdCacheMirror mirror = SimdCacheMirror.of(cache);
        mirror.syncIndexKeys(cache, dim, true);
        assertEquals(1, mirror.indexGrowths());
        byte[] codes = new byte[dim];
        for (int i = 0; i < n / 4; i++) {
            codes[i % dim] = E4M3.encode(i % 7);
            mirror.appendIndexKeys(cache, codes, new float[] {0.5f}, 1);
        }
        assertEquals(1, mirror.indexGrowths(), "growths after " + n / 4 + " decode steps");
        for (int i = 0; i < 10 * n; i++) mirror.appendIndexKeys(cache, codes, new float[] {0.5f}, 1);
        assertTrue(mirror.indexGrowths() <= 5, "growths over " + 10 * n + " more steps: " + mirror.indexGrowths());
        assertEquals(cache.indexLength(), mirror.indexLength());
    }

    @Test
    void theContextsIndexerIsTheSimdOne() {
        OpContext ctx = SimdLayerFixtures.context(PrecisionMode.FP8);
        assertTrue(SimdLayerFixtures.SIMD.require(IndexerOp.class, ctx) instanceof SimdIndexer);
    }
}
