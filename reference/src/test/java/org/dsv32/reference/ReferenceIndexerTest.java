package org.dsv32.reference;

import static org.dsv32.reference.AttentionOracle.IndexerVariant;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.AttentionWeights;
import org.dsv32.spec.weights.IndexerWeights;
import org.junit.jupiter.api.Test;

/** The DSA lightning indexer of the reference against an independent implementation of its formula (spec/SEMANTICS.md §8). */
class ReferenceIndexerTest {
    private static final ModelConfig CONFIG = MlaFixture.config(2, 4);

    /** Runs the reference indexer on x from position 0 with an empty cache. */
    private static IndexerResult select(OpContext ctx, AttentionWeights w, TensorF64 x, LayerCache cache) {
        TensorF64 qLatent = TensorF64.wrap(flatten(AttentionOracle.queryLatent(ctx.config(), w, AttentionOracle.toArray(x))), x.rows(), ctx.config().qLoraRank());
        return MlaFixture.indexer(ctx).select(x, qLatent, 0, w.indexer(), cache);
    }

    /**
     * Exact mode: the scores equal sum_h w_h 128^-1/2 ReLU(q_h . k_s) with -inf for future keys, computed
     * independently; and the same input tells apart each known indexer bug (so the equality is a real check).
     */
    @Property(tries = 12, seed = "8120")
    void scoresFollowTheFormulaAndSeparateKnownBugs(@ForAll @IntRange(min = 0, max = 1 << 20) int seed) {
        AttentionWeights w = MlaFixture.weights(CONFIG, seed);
        TensorF64 x = MlaFixture.input(6, seed + 1L);
        IndexerResult r = select(MlaFixture.exact(CONFIG), w, x, new LayerCache());
        double[][] expected = AttentionOracle.indexerScores(CONFIG, w, AttentionOracle.toArray(x), IndexerVariant.CORRECT);
        double scale = maxFinite(expected);
        for (int t = 0; t < 6; t++)
            for (int s = 0; s < 6; s++) {
                if (s > t) assertEquals(Double.NEGATIVE_INFINITY, r.scores().at(t, s), "future key " + s + " of query " + t);
                else assertEquals(expected[t][s], r.scores().at(t, s), MlaFixture.INDEXER_TOL * scale, "score(" + t + ", " + s + ")");
            }
        for (IndexerVariant bug : IndexerVariant.values()) {
            if (bug == IndexerVariant.CORRECT) continue;
            double[][] wrong = AttentionOracle.indexerScores(CONFIG, w, AttentionOracle.toArray(x), bug);
            double diff = 0;
            for (int t = 0; t < 6; t++) for (int s = 0; s <= t; s++) diff = Math.max(diff, Math.abs(wrong[t][s] - r.scores().at(t, s)));
            assertTrue(diff > MlaFixture.INDEXER_TOL * scale, "the input does not separate " + bug + " (diff " + diff + ")");
        }
    }

    /** Exact mode: the key cache holds k after LayerNorm, half-split RoPE and the Hadamard transform, as values. */
    @Test
    void exactCacheHoldsTransformedKeys() {
        AttentionWeights w = MlaFixture.weights(CONFIG, 31);
        TensorF64 x = MlaFixture.input(5, 32);
        LayerCache cache = new LayerCache();
        select(MlaFixture.exact(CONFIG), w, x, cache);
        double[][] k = AttentionOracle.indexerKeys(CONFIG, w.indexer(), AttentionOracle.toArray(x), IndexerVariant.CORRECT);
        assertEquals(5, cache.indexLength());
        for (int s = 0; s < 5; s++) {
            // wk over the hidden size, the LayerNorm and the Hadamard transform over 128, relative to the key's scale
            double scale = java.util.Arrays.stream(k[s]).map(Math::abs).max().orElse(0);
            assertArrayEquals(k[s], cache.indexKey(s), KernelTolerances.float64Chain(MlaFixture.HIDDEN, 128, 128) * scale, "key " + s);
            assertEquals(null, cache.indexKeyCodes(s));
        }
    }

    /** Selection: visible keys only, min(topk, t + 1) of them, by descending score, ties to the lower index. */
    @Property(tries = 12, seed = "77")
    void selectionIsTheTopOfTheVisibleKeys(@ForAll @IntRange(min = 0, max = 1 << 20) int seed, @ForAll @IntRange(min = 1, max = 6) int topk) {
        ModelConfig c = CONFIG.withIndexTopk(topk);
        AttentionWeights w = MlaFixture.weights(c, seed);
        TensorF64 x = MlaFixture.input(9, seed + 7L);
        IndexerResult r = select(MlaFixture.exact(c), w, x, new LayerCache());
        for (int t = 0; t < 9; t++) {
            int[] sel = r.selected()[t];
            assertEquals(Math.min(topk, t + 1), sel.length, "selection size of query " + t);
            boolean[] chosen = new boolean[9];
            for (int i = 0; i < sel.length; i++) {
                assertTrue(sel[i] <= t, "query " + t + " selected future key " + sel[i]);
                chosen[sel[i]] = true;
                if (i > 0) assertTrue(r.scores().at(t, sel[i - 1]) > r.scores().at(t, sel[i])
                        || (r.scores().at(t, sel[i - 1]) == r.scores().at(t, sel[i]) && sel[i - 1] < sel[i]), "order of query " + t);
            }
            double last = r.scores().at(t, sel[sel.length - 1]);
            for (int s = 0; s <= t; s++) {
                if (!chosen[s]) assertTrue(r.scores().at(t, s) < last || (r.scores().at(t, s) == last && s > sel[sel.length - 1]),
                        "query " + t + " left out key " + s + " that beats a selected one");
            }
        }
    }

    /** Equal scores resolve to the lower key index, both in topK and end to end. */
    @Test
    void tiesGoToTheLowerIndex() {
        ReferenceIndexer indexer = MlaFixture.indexer(MlaFixture.exact(CONFIG.withIndexTopk(3)));
        assertArrayEquals(new int[] {1, 2, 4}, indexer.topK(new double[] {1, 3, 3, 2, 3}, 4));
        assertArrayEquals(new int[] {1, 2, 3}, indexer.topK(new double[] {0, 3, 3, 3, 3, 3}, 4), "key 5 is in the future");

        // All keys identical: wk = 0 and a zero LayerNorm weight make k = bias, whose rope dims are zero (so RoPE keeps it).
        ModelConfig c = CONFIG.withIndexTopk(3);
        AttentionWeights base = MlaFixture.weights(c, 5);
        double[] bias = new double[128];
        for (int i = 64; i < 128; i++) bias[i] = Math.sin(i);
        IndexerWeights iw = new IndexerWeights(base.indexer().wqB(), MlaFixture.zeros("wk", 128, 128),
                MlaFixture.vector("k_norm.weight", new double[128]), MlaFixture.vector("k_norm.bias", bias), base.indexer().weightsProj());
        AttentionWeights w = new AttentionWeights(base.qA(), base.qANorm(), base.qB(), base.kvA(), base.kvANorm(), base.kvB(), base.o(), iw);
        IndexerResult r = select(MlaFixture.exact(c), w, MlaFixture.input(7, 6), new LayerCache());
        for (int t = 0; t < 7; t++) {
            for (int s = 1; s <= t; s++) assertEquals(r.scores().at(t, 0), r.scores().at(t, s), "scores of query " + t + " must tie");
            int[] expect = new int[Math.min(3, t + 1)];
            for (int i = 0; i < expect.length; i++) expect[i] = i;
            assertArrayEquals(expect, r.selected()[t], "query " + t);
        }
    }

    /** The RoPE layout and the place of the rope dims change the selection on a long enough sequence. */
    @Test
    void ropeLayoutAndRopeDimsChangeTheSelection() {
        ModelConfig c = CONFIG.withIndexTopk(4);
        var interleaved = new ReferenceBackend() {{
            register(IndexerOp.class, (ctx, self) -> new ReferenceIndexer(ctx, self) {
                @Override protected RopeLayout ropeLayout() { return RopeLayout.INTERLEAVED; }
            });
        }};
        var ropeLast = new ReferenceBackend() {{
            register(IndexerOp.class, (ctx, self) -> new ReferenceIndexer(ctx, self) {
                @Override protected int ropeOffset() { return config.indexHeadDim() - config.qkRopeHeadDim(); }
            });
        }};
        for (long seed = 1; seed <= 3; seed++) {
            AttentionWeights w = MlaFixture.weights(c, seed);
            TensorF64 x = MlaFixture.input(16, 100 + seed);
            int[][] good = MlaFixture.mla(MlaFixture.exact(c)).forward(x, 0, w, new LayerCache(), null).indexer().selected();
            int[][] bad1 = interleaved.require(org.dsv32.spec.ops.MlaAttentionOp.class, MlaFixture.exact(c)).forward(x, 0, w, new LayerCache(), null).indexer().selected();
            int[][] bad2 = ropeLast.require(org.dsv32.spec.ops.MlaAttentionOp.class, MlaFixture.exact(c)).forward(x, 0, w, new LayerCache(), null).indexer().selected();
            assertTrue(!Arrays.deepEquals(good, bad1), "interleaved indexer RoPE selects the same keys, seed " + seed);
            assertTrue(!Arrays.deepEquals(good, bad2), "rope dims last selects the same keys, seed " + seed);
        }
    }

    /**
     * fp8 mode: the key cache holds e4m3 codes and one power-of-two scale per key, equal to the ue8m0 act_quant of
     * the transformed key; the scores use the dequantised q and k.
     */
    @Test
    void fp8CacheHoldsCodesAndScale() {
        OpContext ctx = MlaFixture.fp8(CONFIG);
        AttentionWeights w = MlaFixture.weights(CONFIG, 41);
        TensorF64 x = MlaFixture.input(5, 42);
        var ref = MlaFixture.REFERENCE;
        TensorF64 qLatent = ref.require(RmsNormOp.class, ctx).apply(ref.require(LinearOp.class, ctx).apply(x, w.qA()), w.qANorm(), 1e-6);
        LayerCache cache = new LayerCache();
        IndexerResult r = MlaFixture.indexer(ctx).select(x, qLatent, 0, w.indexer(), cache);

        // The pre-quantisation key and queries from the primitives (fp8 linears), transformed as the formula says.
        int[] pos = {0, 1, 2, 3, 4};
        TensorF64 k = ref.require(LayerNormOp.class, ctx).apply(ref.require(LinearOp.class, ctx).apply(x, w.indexer().wk()),
                w.indexer().kNormWeight(), w.indexer().kNormBias(), 1e-6);
        k = ref.require(HadamardOp.class, ctx).apply(ropeFirst(ctx, k, pos));
        TensorF64 q = ref.require(LinearOp.class, ctx).apply(qLatent, w.indexer().wqB()).reshape(20, 128);
        int[] qPos = new int[20];
        for (int i = 0; i < 20; i++) qPos[i] = i / 4;
        q = ref.require(HadamardOp.class, ctx).apply(ropeFirst(ctx, q, qPos));

        double[][] kHat = new double[5][];
        for (int s = 0; s < 5; s++) {
            float[] scale = new float[1];
            double[] codes = AttentionOracle.actQuantUe8m0(k.rowArray(s), scale);
            assertNotNull(cache.indexKeyCodes(s), "key " + s + " codes");
            assertEquals(scale[0], cache.indexKeyScale(s), "key " + s + " scale");
            assertEquals(scale[0], Math.scalb(1f, Math.getExponent(scale[0])), "ue8m0 scale is a power of two");
            kHat[s] = new double[128];
            for (int i = 0; i < 128; i++) {
                assertEquals(codes[i], E4M3.decode(cache.indexKeyCodes(s)[i]), "key " + s + " code " + i);
                kHat[s][i] = codes[i] * scale[0];
                assertEquals(kHat[s][i], cache.indexKey(s)[i], "key " + s + " value " + i);
            }
        }
        double[][] weights = AttentionOracle.indexerHeadWeights(CONFIG, w.indexer(), AttentionOracle.toArray(x), IndexerVariant.CORRECT);
        double[][][] qHat = new double[5][4][];
        for (int t = 0; t < 5; t++)
            for (int h = 0; h < 4; h++) {
                float[] scale = new float[1];
                double[] codes = AttentionOracle.actQuantUe8m0(q.rowArray(t * 4 + h), scale);
                qHat[t][h] = new double[128];
                for (int i = 0; i < 128; i++) qHat[t][h][i] = codes[i] * scale[0];
            }
        double[][] expected = AttentionOracle.indexerScores(CONFIG, qHat, kHat, weights, IndexerVariant.CORRECT);
        double scale = maxFinite(expected);
        for (int t = 0; t < 5; t++) for (int s = 0; s <= t; s++) assertEquals(expected[t][s], r.scores().at(t, s), MlaFixture.INDEXER_TOL * scale);
    }

    private static TensorF64 ropeFirst(OpContext ctx, TensorF64 rows, int[] pos) {
        TensorF64 pe = TensorF64.zeros(rows.rows(), 64);
        for (int r = 0; r < rows.rows(); r++) for (int i = 0; i < 64; i++) pe.put(r, i, rows.at(r, i));
        pe = MlaFixture.REFERENCE.require(RopeOp.class, ctx).apply(pe, pos, RopeLayout.HALF_SPLIT);
        TensorF64 out = rows.copy().reshape(rows.rows(), rows.cols());
        for (int r = 0; r < rows.rows(); r++) for (int i = 0; i < 64; i++) out.put(r, i, pe.at(r, i));
        return out;
    }

    private static double maxFinite(double[][] a) {
        double m = 0;
        for (double[] row : a) for (double v : row) if (Double.isFinite(v)) m = Math.max(m, Math.abs(v));
        return m;
    }

    private static double[] flatten(double[][] a) {
        double[] out = new double[a.length * a[0].length];
        for (int i = 0; i < a.length; i++) System.arraycopy(a[i], 0, out, i * a[0].length, a[0].length);
        return out;
    }
}
