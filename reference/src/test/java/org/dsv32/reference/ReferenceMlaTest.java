package org.dsv32.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.ops.AttentionResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.AttentionWeights;
import org.junit.jupiter.api.Test;

/** MLA with DSA in the reference: the two algebraic forms, dense equivalence, causality, decode = prefill, fp8 caching. */
class ReferenceMlaTest {
    private static final double TIGHT = MlaFixture.MLA_TOL;

    private static ModelConfig config(int heads, int topk) { return MlaFixture.config(heads, topk); }

    /** Fills a cache with the first {@code prefix} rows of x (one prefill) and returns it. */
    private static LayerCache prefilled(OpContext ctx, AttentionWeights w, TensorF64 x, int prefix) {
        LayerCache cache = new LayerCache();
        if (prefix > 0) MlaFixture.mla(ctx).forward(MlaFixture.rows(x, 0, prefix), 0, w, cache, null);
        return cache;
    }

    /** Absorbed MLA equals naive MLA (exact mode; and fp8 mode, where the second act_quant of the latent is lossless). */
    @Property(tries = 16, seed = "4242")
    void absorbedEqualsNaive(@ForAll @IntRange(min = 0, max = 1 << 20) int seed, @ForAll @IntRange(min = 0, max = 4) int prefix,
                             @ForAll @IntRange(min = 1, max = 4) int tokens, @ForAll boolean fp8) {
        ModelConfig c = config(seed % 2 == 0 ? 2 : 4, 3); // H * v must fill 128-wide tiles for o_proj
        OpContext ctx = fp8 ? MlaFixture.fp8(c) : MlaFixture.exact(c);
        AttentionWeights w = MlaFixture.weights(c, seed);
        TensorF64 x = MlaFixture.input(prefix + tokens, seed * 31L);
        TensorF64 next = MlaFixture.rows(x, prefix, prefix + tokens);
        AttentionResult naive = MlaFixture.mla(ctx).forward(next, prefix, w, prefilled(ctx, w, x, prefix), null, ReferenceMla.Form.NAIVE);
        AttentionResult absorbed = MlaFixture.mla(ctx).forward(next, prefix, w, prefilled(ctx, w, x, prefix), null, ReferenceMla.Form.ABSORBED);
        assertTrue(MlaFixture.relativeError(absorbed.output(), naive.output()) < TIGHT,
                "absorbed vs naive: " + MlaFixture.relativeError(absorbed.output(), naive.output()));
        assertArrayEquals(naive.indexer().selected(), absorbed.indexer().selected());
    }

    /** With top-k at least the number of keys, DSA is dense causal MLA (independent implementation, manual scale). */
    @Property(tries = 6, seed = "99")
    void topkCoveringAllKeysIsDenseCausalAttention(@ForAll @IntRange(min = 0, max = 1 << 20) int seed, @ForAll @IntRange(min = 1, max = 7) int tokens) {
        ModelConfig c = config(4, 8);
        AttentionWeights w = MlaFixture.weights(c, seed);
        TensorF64 x = MlaFixture.input(tokens, seed + 5L);
        TensorF64 out = MlaFixture.mla(MlaFixture.exact(c)).forward(x, 0, w, new LayerCache(), null).output();
        double[][] dense = AttentionOracle.denseCausalMla(c, w, AttentionOracle.toArray(x), AttentionOracle.manualScale(c));
        assertTrue(MlaFixture.relativeError(out, TensorF64.wrap(flatten(dense), tokens, c.hiddenSize())) < TIGHT);
    }

    /** With a small top-k on a longer sequence, DSA is not dense attention (the selection matters). */
    @Test
    void smallTopkDiffersFromDenseAttention() {
        ModelConfig c = config(2, 2);
        AttentionWeights w = MlaFixture.weights(c, 12);
        TensorF64 x = MlaFixture.input(12, 13);
        TensorF64 out = MlaFixture.mla(MlaFixture.exact(c)).forward(x, 0, w, new LayerCache(), null).output();
        double[][] dense = AttentionOracle.denseCausalMla(c, w, AttentionOracle.toArray(x), AttentionOracle.manualScale(c));
        TensorF64 d = TensorF64.wrap(flatten(dense), 12, c.hiddenSize());
        assertTrue(MlaFixture.relativeError(MlaFixture.rows(out, 0, 2), MlaFixture.rows(d, 0, 2)) < TIGHT, "the first two queries see all their keys");
        assertTrue(MlaFixture.relativeError(out, d) > TIGHT, "top-2 of 12 keys must differ from dense attention");
    }

    /** The softmax scale carries mscale^2: invisible at position 0 (one key), visible after. */
    @Test
    void softmaxScaleIncludesMscaleSquared() {
        ModelConfig c = config(2, 8);
        AttentionWeights w = MlaFixture.weights(c, 21);
        TensorF64 x = MlaFixture.input(4, 22);
        double[][] xs = AttentionOracle.toArray(x);
        double m = AttentionOracle.manualMscale(c.ropeScaling());
        assertTrue(m > 1.3, "the fixture uses YaRN factor 40");
        TensorF64 out = MlaFixture.mla(MlaFixture.exact(c)).forward(x, 0, w, new LayerCache(), null).output();
        TensorF64 with = TensorF64.wrap(flatten(AttentionOracle.denseCausalMla(c, w, xs, AttentionOracle.manualScale(c))), 4, 128);
        TensorF64 without = TensorF64.wrap(flatten(AttentionOracle.denseCausalMla(c, w, xs, AttentionOracle.manualScale(c) / (m * m))), 4, 128);
        assertTrue(MlaFixture.relativeError(out, with) < TIGHT);
        assertTrue(MlaFixture.relativeError(MlaFixture.rows(out, 0, 1), MlaFixture.rows(without, 0, 1)) < TIGHT, "position 0 cannot see the scale");
        assertTrue(MlaFixture.relativeError(MlaFixture.rows(out, 1, 4), MlaFixture.rows(without, 1, 4)) > TIGHT, "positions > 0 must see mscale^2");
    }

    /** Changing a future token changes no earlier output and no earlier indexer score; future scores are -inf. */
    @Property(tries = 8, seed = "5150")
    void causality(@ForAll @IntRange(min = 0, max = 1 << 20) int seed, @ForAll @IntRange(min = 1, max = 6) int changed, @ForAll boolean fp8) {
        ModelConfig c = config(2, 3);
        OpContext ctx = fp8 ? MlaFixture.fp8(c) : MlaFixture.exact(c);
        AttentionWeights w = MlaFixture.weights(c, seed);
        TensorF64 x = MlaFixture.input(7, seed + 3L);
        TensorF64 y = x.copy();
        for (int col = 0; col < 128; col++) y.put(changed, col, -3 * x.at(changed, col) + 1);
        AttentionResult a = MlaFixture.mla(ctx).forward(x, 0, w, new LayerCache(), null);
        AttentionResult b = MlaFixture.mla(ctx).forward(y, 0, w, new LayerCache(), null);
        for (int t = 0; t < changed; t++) {
            assertArrayEquals(a.output().rowArray(t), b.output().rowArray(t), 0.0, "output of token " + t);
            assertArrayEquals(a.indexer().scores().rowArray(t), b.indexer().scores().rowArray(t), 0.0, "indexer scores of token " + t);
        }
        assertTrue(MlaFixture.relativeError(MlaFixture.rows(a.output(), changed, 7), MlaFixture.rows(b.output(), changed, 7)) > TIGHT,
                "the change must be visible from its own position on");
        for (int t = 0; t < 7; t++) for (int s = t + 1; s < 7; s++) assertEquals(Double.NEGATIVE_INFINITY, a.indexer().scores().at(t, s));
    }

    /** A prefill of T tokens equals T one-token decode steps: same outputs (naive vs absorbed), same cache contents. */
    @Property(tries = 8, seed = "2718")
    void prefillEqualsDecodeSteps(@ForAll @IntRange(min = 0, max = 1 << 20) int seed, @ForAll boolean fp8) {
        ModelConfig c = config(2, 3);
        OpContext ctx = fp8 ? MlaFixture.fp8(c) : MlaFixture.exact(c);
        AttentionWeights w = MlaFixture.weights(c, seed);
        int tokens = 8;
        TensorF64 x = MlaFixture.input(tokens, seed + 11L);
        LayerCache prefillCache = new LayerCache();
        AttentionResult prefill = MlaFixture.mla(ctx).forward(x, 0, w, prefillCache, null);
        LayerCache decodeCache = new LayerCache();
        for (int t = 0; t < tokens; t++) {
            AttentionResult step = MlaFixture.mla(ctx).forward(MlaFixture.rows(x, t, t + 1), t, w, decodeCache, null);
            assertTrue(MlaFixture.relativeError(step.output(), MlaFixture.rows(prefill.output(), t, t + 1)) < TIGHT, "output of step " + t);
            assertArrayEquals(prefill.indexer().selected()[t], step.indexer().selected()[0], "selection of step " + t);
            double scale = 0;
            for (int s = 0; s <= t; s++) scale = Math.max(scale, Math.abs(prefill.indexer().scores().at(t, s)));
            for (int s = 0; s <= t; s++) {
                assertEquals(prefill.indexer().scores().at(t, s), step.indexer().scores().at(0, s), MlaFixture.INDEXER_TOL * scale, "score " + s + " of step " + t);
            }
        }
        assertEquals(tokens, decodeCache.length());
        assertEquals(tokens, decodeCache.indexLength());
        for (int s = 0; s < tokens; s++) {
            assertArrayEquals(prefillCache.latent(s), decodeCache.latent(s), 0.0, "latent " + s);
            assertArrayEquals(prefillCache.keyRope(s), decodeCache.keyRope(s), 0.0, "k_pe " + s);
            assertArrayEquals(prefillCache.indexKey(s), decodeCache.indexKey(s), 0.0, "indexer key " + s);
            assertArrayEquals(prefillCache.indexKeyCodes(s), decodeCache.indexKeyCodes(s), "indexer codes " + s);
            assertEquals(prefillCache.indexKeyScale(s), decodeCache.indexKeyScale(s), "indexer scale " + s);
        }
    }

    /**
     * fp8 mode: the cached c_kv is the dequantised ue8m0 act_quant of the normed latent (computed here from the
     * primitives and an independent act_quant), and differs from the unrounded latent.
     */
    @Test
    void fp8CachedLatentIsTheRoundTrippedNormedLatent() {
        ModelConfig c = config(2, 4);
        OpContext ctx = MlaFixture.fp8(c);
        AttentionWeights w = MlaFixture.weights(c, 61);
        TensorF64 x = MlaFixture.input(5, 62);
        LayerCache cache = new LayerCache();
        MlaFixture.mla(ctx).forward(x, 0, w, cache, null);
        var ref = MlaFixture.REFERENCE;
        TensorF64 kv = ref.require(LinearOp.class, ctx).apply(x, w.kvA());
        TensorF64 latent = TensorF64.zeros(5, 128);
        for (int t = 0; t < 5; t++) for (int i = 0; i < 128; i++) latent.put(t, i, kv.at(t, i));
        TensorF64 normed = ref.require(RmsNormOp.class, ctx).apply(latent, w.kvANorm(), c.rmsNormEps());
        for (int t = 0; t < 5; t++) {
            float[] scale = new float[1];
            double[] codes = AttentionOracle.actQuantUe8m0(normed.rowArray(t), scale);
            double maxDiff = 0;
            for (int i = 0; i < 128; i++) {
                assertEquals(codes[i] * scale[0], cache.latent(t)[i], 0.0, "latent " + t + " dim " + i);
                assertEquals(E4M3.round(cache.latent(t)[i] / scale[0]) * scale[0], cache.latent(t)[i], 0.0, "on the e4m3 grid");
                maxDiff = Math.max(maxDiff, Math.abs(cache.latent(t)[i] - normed.at(t, i)));
            }
            assertTrue(maxDiff > 0, "the FP8 round trip must change the latent of token " + t);
        }
    }

    /** A forced selection replaces the indexer's; future keys in it are ignored; the indexer still caches its keys. */
    @Test
    void forcedSelectionIsUsed() {
        ModelConfig c = config(2, 2);
        OpContext ctx = MlaFixture.exact(c);
        AttentionWeights w = MlaFixture.weights(c, 71);
        TensorF64 x = MlaFixture.input(5, 72);
        AttentionResult own = MlaFixture.mla(ctx).forward(x, 0, w, new LayerCache(), null);
        LayerCache cache = new LayerCache();
        AttentionResult replay = MlaFixture.mla(ctx).forward(x, 0, w, cache, own.indexer().selected());
        assertArrayEquals(own.output().toArray(), replay.output().toArray(), 0.0);
        assertEquals(5, cache.indexLength());

        int[][] all = {{0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4, 4}};
        TensorF64 forcedAll = MlaFixture.mla(ctx).forward(x, 0, w, new LayerCache(), all).output();
        double[][] dense = AttentionOracle.denseCausalMla(c, w, AttentionOracle.toArray(x), AttentionOracle.manualScale(c));
        assertTrue(MlaFixture.relativeError(forcedAll, TensorF64.wrap(flatten(dense), 5, 128)) < TIGHT, "all keys forced = dense causal");
        assertTrue(MlaFixture.relativeError(forcedAll, own.output()) > TIGHT, "top-2 differs from all keys");

        LayerCache untouched = new LayerCache();
        assertThrows(IllegalArgumentException.class, () -> MlaFixture.mla(ctx).forward(x, 0, w, untouched, new int[][] {{0}, {0}, {0}, {0}, {5}}));
        assertEquals(0, untouched.length(), "a rejected selection leaves the cache alone");
        assertThrows(IllegalArgumentException.class, () -> MlaFixture.mla(ctx).forward(x, 0, w, new LayerCache(), new int[][] {{0}, {2}, {0}, {0}, {0}}),
                "query 1 has no key it may attend");
    }

    /** MLA takes its indexer from the backend: a mutant indexer registered in a subclass changes the attention. */
    @Test
    void mlaUsesTheBackendsIndexer() {
        ModelConfig c = config(2, 2);
        var sumBeforeRelu = new ReferenceBackend() {{
            register(org.dsv32.spec.ops.IndexerOp.class, (ctx, self) -> new ReferenceIndexer(ctx, self) {
                @Override protected double combineHeads(double[] dots, double[] weights) {
                    double sum = 0;
                    for (int h = 0; h < dots.length; h++) sum += weights[h] * dots[h];
                    return Math.max(sum, 0);
                }
            });
        }};
        AttentionWeights w = MlaFixture.weights(c, 81);
        TensorF64 x = MlaFixture.input(8, 82);
        TensorF64 good = MlaFixture.mla(MlaFixture.exact(c)).forward(x, 0, w, new LayerCache(), null).output();
        TensorF64 bad = sumBeforeRelu.require(org.dsv32.spec.ops.MlaAttentionOp.class, MlaFixture.exact(c)).forward(x, 0, w, new LayerCache(), null).output();
        assertTrue(MlaFixture.relativeError(bad, good) > TIGHT, "summing the heads before the ReLU selects other keys");
    }

    private static double[] flatten(double[][] a) {
        double[] out = new double[a.length * a[0].length];
        for (int i = 0; i < a.length; i++) System.arraycopy(a[i], 0, out, i * a[0].length, a[0].length);
        return out;
    }
}
