package org.dsv32.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.metrics.Metrics;
import org.dsv32.spec.ops.AttentionResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.MlaAttentionOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.AttentionWeights;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The GPU MLA decode (mla_decode.cu and CudaMla) against the float64 reference on the tiny checkpoint's layer-1
 * attention. Outputs are compared with the reference REPLAYING the GPU's own selection (forcedSelection), so that
 * a near-tie flip of the indexer can neither hide nor fake an attention error; the selections themselves are judged
 * decision-aware against the reference's own. Needs a GPU (skipped with the backend's reason).
 *
 * <p>Output tolerance, per row, relative to the row's largest |value|, and the row's calc_diff:
 * {@link KernelTolerances#outputRow} and {@link KernelTolerances#rowCalcDiff} (the reasons are stated there).
 */
class CudaMlaTest {
    static final double EXACT_TOL = KernelTolerances.outputRow(PrecisionMode.EXACT);
    static final double FP8_TOL = KernelTolerances.outputRow(PrecisionMode.FP8);

    @BeforeEach void gpu() { GpuTestSupport.assumeGpu(); }

    static AttentionWeights weights() { return GpuLayerFixtures.tiny().layers().get(1).attention(); }

    static MlaAttentionOp op(Backend b, ModelConfig c, PrecisionMode mode) { return b.require(MlaAttentionOp.class, new OpContext(c, mode)); }

    static void compareOutputs(TensorF64 gpu, TensorF64 ref, PrecisionMode mode, String what) {
        assertArrayEquals(ref.shape(), gpu.shape(), what + ": shape");
        double tol = mode == PrecisionMode.FP8 ? FP8_TOL : EXACT_TOL;
        for (int t = 0; t < ref.rows(); t++) {
            double[] a = gpu.rowArray(t), e = ref.rowArray(t);
            double scale = 0;
            for (double v : e) scale = Math.max(scale, Math.abs(v));
            for (int j = 0; j < e.length; j++) {
                assertTrue(Math.abs(a[j] - e[j]) <= tol * scale, what + ": row " + t + " element " + j + ": " + a[j] + " vs reference " + e[j]);
            }
            double cd = Metrics.calcDiff(a, e);
            assertTrue(cd <= KernelTolerances.rowCalcDiff(mode), what + ": row " + t + " calc_diff " + cd);
        }
    }

    /** Decode steps from equal caches: the GPU with its own selection, the reference replaying it. */
    static void replay(ModelConfig c, PrecisionMode mode, int startPos, int steps, long seed) {
        boolean fp8 = mode == PrecisionMode.FP8;
        LayerCache gpuCache = GpuLayerFixtures.randomCache(seed, startPos, fp8), refCache = GpuLayerFixtures.randomCache(seed, startPos, fp8);
        Random rnd = new Random(seed + 1);
        for (int i = 0, pos = startPos; i < steps; i++, pos++) {
            TensorF64 x = GpuLayerFixtures.activation(rnd, 1, c.hiddenSize());
            AttentionResult g = op(GpuTestSupport.BACKEND, c, mode).forward(x, pos, weights(), gpuCache, null);
            AttentionResult r = op(GpuLayerFixtures.REFERENCE, c, mode).forward(x, pos, weights(), refCache, g.indexer().selected());
            String what = mode + " decode at " + pos;
            compareOutputs(g.output(), r.output(), mode, what);
            TensorF64 refScores = r.indexer().scores();
            int[][] refOwn = {CudaTopK.select(refScores.toArray(), 0, pos + 1, c.indexTopk())};
            double[] tol = {2 * (fp8 ? CudaIndexerTest.FP8_TOL : CudaIndexerTest.EXACT_TOL) * GpuLayerFixtures.rowScale(refScores, 0)};
            GpuLayerFixtures.assertSelectionsAgree(g.indexer().selected(), refOwn, refScores, g.indexer().scores(), tol, pos, what);
        }
        compareLatents(gpuCache, refCache, startPos, mode);
        CudaIndexerTest.compareKeys(gpuCache, refCache, mode);
    }

    /** The latents and k_pe the two appended: fp32-close (fp8: rare neighbouring codes of the latent's round trip). */
    static void compareLatents(LayerCache gpu, LayerCache ref, int from, PrecisionMode mode) {
        assertEquals(ref.length(), gpu.length(), "cache length");
        int values = 0, far = 0;
        for (int s = from; s < ref.length(); s++) {
            double[] a = gpu.latent(s), e = ref.latent(s);
            for (int j = 0; j < e.length; j++) {
                values++;
                if (Math.abs(a[j] - e[j]) > KernelTolerances.scoreRowExact() * Math.max(1, Math.abs(e[j]))) far++;
            }
            double[] pa = gpu.keyRope(s), pe = ref.keyRope(s);
            for (int j = 0; j < pe.length; j++) assertEquals(pe[j], pa[j], KernelTolerances.scoreRowExact() * Math.max(1, Math.abs(pe[j])), "k_pe " + s + "," + j);
        }
        assertTrue(mode == PrecisionMode.FP8 ? far <= values / 100 + 1 : far == 0, far + " of " + values + " latent values differ");
    }

    @ParameterizedTest
    @EnumSource(PrecisionMode.class)
    void decodeStepsMatchTheReferenceReplayingTheSelection(PrecisionMode mode) {
        replay(GpuLayerFixtures.config(), mode, 25, 3, 21);   // the device mirror catches up with a cache filled elsewhere
    }

    /** 600 attended keys of 700: many warps' worth of logits per head, a long softmax. */
    @ParameterizedTest
    @EnumSource(PrecisionMode.class)
    void aLongSelectionMatchesTheReference(PrecisionMode mode) {
        replay(GpuLayerFixtures.config().withIndexTopk(600), mode, 700, 1, 31);
    }

    @Test
    void unselectedKeysDoNotMatter() {
        ModelConfig c = GpuLayerFixtures.config();
        TensorF64 x = GpuLayerFixtures.activation(new Random(47), 1, c.hiddenSize());
        LayerCache a = GpuLayerFixtures.randomCache(53, 12, false), b = new LayerCache();
        for (int s = 0; s < 12; s++) {
            double[] latent = a.latent(s).clone(), pe = a.keyRope(s).clone();
            if (s == 5) {
                java.util.Arrays.fill(latent, 1e3);
                java.util.Arrays.fill(pe, -1e3);
            }
            b.appendLatent(latent, pe);
            b.appendIndexKey(a.indexKey(s));
        }
        MlaAttentionOp mla = op(GpuTestSupport.BACKEND, c, PrecisionMode.EXACT);
        int[][] sel = {{0, 3, 7, 12, 9}};
        double[] ya = mla.forward(x, 12, weights(), a, sel).output().toArray(), yb = mla.forward(x, 12, weights(), b, sel).output().toArray();
        assertArrayEquals(ya, yb);
        LayerCache a2 = GpuLayerFixtures.randomCache(53, 12, false);
        assertTrue(Metrics.calcDiff(mla.forward(x, 12, weights(), a2, new int[][] {{0, 3, 5, 7, 12, 9}}).output().toArray(), ya) > KernelTolerances.EXACT_ROW_CALC_DIFF,
                "a selected key must change the output");
    }

    @Test
    void aForcedSelectionIsASetOfVisibleKeys() {
        ModelConfig c = GpuLayerFixtures.config();
        TensorF64 x = GpuLayerFixtures.activation(new Random(59), 1, c.hiddenSize());
        MlaAttentionOp mla = op(GpuTestSupport.BACKEND, c, PrecisionMode.EXACT);
        int[][] messy = {{3, 3, 10, 0, 3}}, clean = {{0, 3, 10}};
        AttentionResult m = mla.forward(x, 10, weights(), GpuLayerFixtures.randomCache(61, 10, false), messy);
        AttentionResult k = mla.forward(x, 10, weights(), GpuLayerFixtures.randomCache(61, 10, false), clean);
        assertArrayEquals(k.output().toArray(), m.output().toArray());
        assertArrayEquals(messy[0], m.indexer().selected()[0], "the result reports the selection used");
        LayerCache untouched = GpuLayerFixtures.randomCache(61, 10, false);
        assertThrows(IllegalArgumentException.class, () -> mla.forward(x, 10, weights(), untouched, new int[][] {{11}}), "key outside [0, S)");
        assertEquals(10, untouched.length(), "a rejected forced selection leaves the cache as it was");
    }

    /** Prefill goes to simd's MLA composed over this backend. */
    @ParameterizedTest
    @EnumSource(PrecisionMode.class)
    void prefillIsDelegatedAndMatchesTheReference(PrecisionMode mode) {
        ModelConfig c = GpuLayerFixtures.config();
        TensorF64 x = GpuLayerFixtures.activation(new Random(67), 12, c.hiddenSize());
        LayerCache gc = new LayerCache(), rc = new LayerCache();
        AttentionResult g = op(GpuTestSupport.BACKEND, c, mode).forward(x, 0, weights(), gc, null);
        AttentionResult r = op(GpuLayerFixtures.REFERENCE, c, mode).forward(x, 0, weights(), rc, g.indexer().selected());
        compareOutputs(g.output(), r.output(), mode, "prefill " + mode);
        compareLatents(gc, rc, 0, mode);
    }
}
