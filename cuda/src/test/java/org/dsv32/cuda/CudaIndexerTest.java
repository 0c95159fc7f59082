package org.dsv32.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.IndexerWeights;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The GPU indexer (indexer.cu and CudaIndexer) against the float64 reference indexer on the tiny checkpoint's
 * layer-1 weights, and its two kernels against their definitions. Needs a GPU (skipped with the backend's reason).
 *
 * <p>Tolerances, relative to the largest |score| of the query's row: {@link KernelTolerances#scoreRow} (the reasons
 * are stated there). fp8 flips are rare, so at least 3/4 of the scores must still meet the exact-mode bound. Selections are judged
 * decision-aware: equal to the reference's set, or within twice the score tolerance of its k-th best.
 */
class CudaIndexerTest {
    static final double EXACT_TOL = KernelTolerances.scoreRow(PrecisionMode.EXACT);
    static final double FP8_TOL = KernelTolerances.scoreRow(PrecisionMode.FP8);

    @BeforeEach void gpu() { GpuTestSupport.assumeGpu(); }

    static IndexerWeights weights() { return GpuLayerFixtures.tiny().layers().get(1).attention().indexer(); }

    record Run(IndexerResult result, LayerCache cache) {}

    /** Feeds the steps (token counts) one after another into a fresh cache; returns every step's result. */
    static Run[] feed(Backend b, ModelConfig c, PrecisionMode mode, TensorF64 x, TensorF64 cq, int[] steps) {
        LayerCache cache = new LayerCache();
        IndexerOp op = b.require(IndexerOp.class, GpuLayerFixtures.context(c, mode));
        Run[] runs = new Run[steps.length];
        int pos = 0;
        for (int i = 0; i < steps.length; i++) {
            TensorF64 xs = rows(x, pos, steps[i]), qs = rows(cq, pos, steps[i]);
            runs[i] = new Run(op.select(xs, qs, pos, weights(), cache), cache);
            pos += steps[i];
        }
        return runs;
    }

    static TensorF64 rows(TensorF64 x, int from, int n) {
        double[] d = new double[n * x.cols()];
        for (int r = 0; r < n; r++) System.arraycopy(x.rowArray(from + r), 0, d, r * x.cols(), x.cols());
        return TensorF64.wrap(d, n, x.cols());
    }

    static void compare(IndexerResult gpu, IndexerResult ref, int startPos, double relTol, String what) {
        TensorF64 s = gpu.scores(), r = ref.scores();
        assertArrayEquals(r.shape(), s.shape(), what + ": scores shape");
        double[] tol = new double[r.rows()];
        int finite = 0, tight = 0;
        for (int t = 0; t < r.rows(); t++) {
            double scale = GpuLayerFixtures.rowScale(r, t);
            tol[t] = relTol * scale;
            for (int k = 0; k < r.cols(); k++) {
                double a = s.at(t, k), e = r.at(t, k);
                if (e == Double.NEGATIVE_INFINITY) {
                    assertEquals(e, a, what + ": future key " + k + " of query " + t + " must score -inf");
                    continue;
                }
                assertTrue(Math.abs(a - e) <= tol[t], what + ": score (" + t + ", " + k + ") = " + a + ", reference " + e + ", tolerance " + tol[t]);
                finite++;
                if (Math.abs(a - e) <= EXACT_TOL * scale) tight++;
            }
        }
        assertTrue(tight >= 0.75 * finite, what + ": only " + tight + " of " + finite + " scores within " + EXACT_TOL + " of the row scale");
        double[] selTol = tol.clone();
        for (int t = 0; t < selTol.length; t++) selTol[t] *= 2;
        GpuLayerFixtures.assertSelectionsAgree(gpu.selected(), ref.selected(), r, s, selTol, startPos, what);
    }

    static void compareKeys(LayerCache gpu, LayerCache ref, PrecisionMode mode) {
        assertEquals(ref.indexLength(), gpu.indexLength(), "cached keys");
        int codes = 0, differing = 0;
        for (int s = 0; s < ref.indexLength(); s++) {
            if (mode == PrecisionMode.FP8) {
                byte[] a = gpu.indexKeyCodes(s), e = ref.indexKeyCodes(s);
                assertEquals(ref.indexKeyScale(s), gpu.indexKeyScale(s), "scale of key " + s);
                for (int j = 0; j < e.length; j++) {
                    codes++;
                    if (a[j] != e[j]) {
                        differing++;
                        // one e4m3 step: 2 u8 of the value, or the subnormal spacing 2^(min normal exponent - mantissa bits)
                        double step = 2 * Tolerances.U_E4M3 * Math.abs(E4M3.decode(e[j])) + Math.scalb(1.0, E4M3.MIN_NORMAL_EXP - E4M3.MANTISSA_BITS);
                        assertTrue(Math.abs(E4M3.decode(a[j]) - E4M3.decode(e[j])) <= step,
                                "key " + s + " code " + j + ": " + a[j] + " vs reference " + e[j]);
                    }
                }
            } else {
                double[] a = gpu.indexKey(s), e = ref.indexKey(s);
                double scale = 0;
                for (double v : e) scale = Math.max(scale, Math.abs(v));
                for (int j = 0; j < e.length; j++) assertEquals(e[j], a[j], EXACT_TOL * scale, "key " + s + " value " + j);
            }
        }
        assertTrue(differing <= codes / 200, differing + " of " + codes + " key codes differ from the reference's");
    }

    @ParameterizedTest
    @EnumSource(PrecisionMode.class)
    void prefillThenDecodeMatchTheReference(PrecisionMode mode) {
        ModelConfig c = GpuLayerFixtures.config();
        Random rnd = new Random(3);
        int[] steps = {14, 1, 1};   // 14 > index_topk (8): the selection really restricts
        TensorF64 x = GpuLayerFixtures.activation(rnd, 16, c.hiddenSize()), cq = GpuLayerFixtures.activation(rnd, 16, c.qLoraRank());
        Run[] gpu = feed(GpuTestSupport.BACKEND, c, mode, x, cq, steps), ref = feed(GpuLayerFixtures.REFERENCE, c, mode, x, cq, steps);
        int pos = 0;
        for (int i = 0; i < steps.length; i++) {
            compare(gpu[i].result(), ref[i].result(), pos, mode == PrecisionMode.FP8 ? FP8_TOL : EXACT_TOL, "step " + i + " " + mode);
            pos += steps[i];
        }
        compareKeys(gpu[0].cache(), ref[0].cache(), mode);
    }

    /** 300 keys: two key blocks of the score kernel and many tiles; top-40 so the selection kernel sorts 40. */
    @ParameterizedTest
    @EnumSource(PrecisionMode.class)
    void manyKeysAcrossBlocksMatchTheReference(PrecisionMode mode) {
        ModelConfig c = GpuLayerFixtures.config().withIndexTopk(40);
        Random rnd = new Random(5);
        int[] steps = {299, 1};
        TensorF64 x = GpuLayerFixtures.activation(rnd, 300, c.hiddenSize()), cq = GpuLayerFixtures.activation(rnd, 300, c.qLoraRank());
        Run[] gpu = feed(GpuTestSupport.BACKEND, c, mode, x, cq, steps), ref = feed(GpuLayerFixtures.REFERENCE, c, mode, x, cq, steps);
        compare(gpu[0].result(), ref[0].result(), 0, mode == PrecisionMode.FP8 ? FP8_TOL : EXACT_TOL, "prefill 299 " + mode);
        compare(gpu[1].result(), ref[1].result(), 299, mode == PrecisionMode.FP8 ? FP8_TOL : EXACT_TOL, "decode at 299 " + mode);
    }

    /**
     * The fp8 score kernel on random codes (extremes and subnormals included) against the definition computed
     * exactly: integer code dot products (every e4m3 value is a multiple of 2^-9), ReLU, the head sum and the key
     * scale in float64. Only the order of the float64 head sum may differ: two orders of a sum of H terms.
     */
    @Test
    void fp8ScoresAreExactCodeDotProducts() {
        Random rnd = new Random(11);
        int tokens = 3, keys = 600, heads = 64, dim = 128, start = keys - tokens;
        byte[] q = codes(rnd, tokens * heads * dim), k = codes(rnd, keys * dim);
        float[] w = new float[tokens * heads], ks = new float[keys];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < keys; i++) ks[i] = (float) Math.scalb(1 + rnd.nextDouble(), -10 + rnd.nextInt(8));
        CudaContext gpu = CudaContext.shared();
        double[] got;
        try (DeviceBuffer dq = gpu.upload(q); DeviceBuffer dw = gpu.upload(w); DeviceBuffer dk = gpu.upload(k);
             DeviceBuffer dks = gpu.upload(ks); DeviceBuffer out = gpu.alloc(8L * tokens * keys)) {
            CudaIndexer.launchScores(gpu, true, dq, dw, dk, dks, out, tokens, keys, heads, dim, start);
            got = gpu.downloadDoubles(out, tokens * keys);
        }
        for (int t = 0; t < tokens; t++) {
            for (int s = 0; s < keys; s++) {
                double g = got[t * keys + s];
                if (s > start + t) {
                    assertEquals(Double.NEGATIVE_INFINITY, g, "future key " + s + " of query " + t);
                    continue;
                }
                double sum = 0, abs = 0;
                for (int h = 0; h < heads; h++) {
                    long dot = 0;
                    for (int d = 0; d < dim; d++) {
                        dot += (long) Math.scalb(E4M3.decode(q[(t * heads + h) * dim + d]), 9) * (long) Math.scalb(E4M3.decode(k[s * dim + d]), 9);
                    }
                    double term = (double) w[t * heads + h] * Math.max(Math.scalb((double) dot, -18), 0.0);
                    sum += term;
                    abs += Math.abs(term);
                }
                assertEquals(sum * ks[s], g, KernelTolerances.float64Reordered(heads + 1) * abs * ks[s] + Double.MIN_VALUE, "score (" + t + ", " + s + ")");
            }
        }
    }

    static byte[] codes(Random rnd, int n) {
        byte[] c = new byte[n];
        for (int i = 0; i < n; i++) {
            int v = switch (rnd.nextInt(8)) {
                case 0 -> 0x7E;                 // 448
                case 1 -> 0xFE;                 // -448
                case 2 -> rnd.nextInt(8);       // subnormals and zero
                default -> rnd.nextInt(256);
            };
            if ((v & 0x7F) == 0x7F) v = 0x7E;  // no NaN
            c[i] = (byte) v;
        }
        return c;
    }

    /**
     * The selection kernel against the CPU selection (itself checked against its definition in CudaTopKTest): many
     * exact ties straddling the k-th place, NaN, +-0 and +-inf, rows longer than one 1024-key chunk, k from 1 to the
     * kernel's 2048, and causal rows (each query sees one key more).
     */
    @Test
    void topKKernelEqualsTheCpuSelection() {
        Random rnd = new Random(13);
        CudaContext gpu = CudaContext.shared();
        for (int[] shape : new int[][] {{1, 5000, 2048}, {4, 3000, 100}, {3, 2500, 1}, {5, 40, 8}, {2, 2049, 2048}}) {
            int tokens = shape[0], keys = shape[1], topk = shape[2], start = keys - tokens;
            double[] scores = new double[tokens * keys];
            for (int i = 0; i < scores.length; i++) {
                scores[i] = switch (rnd.nextInt(12)) {
                    case 0 -> 0.0;
                    case 1 -> -0.0;
                    case 2 -> Double.NaN;
                    case 3 -> Double.NEGATIVE_INFINITY;
                    case 4 -> Double.POSITIVE_INFINITY;
                    case 5, 6, 7 -> rnd.nextInt(4);   // many exact ties
                    default -> rnd.nextGaussian();
                };
            }
            int[][] got;
            try (DeviceBuffer ds = gpu.upload(scores)) {
                got = CudaIndexer.selectRows(gpu, ds, scores, tokens, keys, start, topk);
            }
            for (int t = 0; t < tokens; t++) {
                assertArrayEquals(CudaTopK.select(scores, t * keys, start + t + 1, topk), got[t],
                        "row " + t + " of " + keys + " keys, top-" + topk);
            }
        }
    }
}
