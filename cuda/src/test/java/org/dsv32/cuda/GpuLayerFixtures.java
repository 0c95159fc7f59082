package org.dsv32.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.checkpoint.CheckpointLoader;
import org.dsv32.spec.checkpoint.TinyCheckpointWriter;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ModelWeights;

/**
 * For the GPU tests of the composite operations (indexer, MLA, MoE, model): the tiny checkpoint (FP8 ue8m0, bf16
 * router and head, written once per test JVM into a temporary folder, only when a GPU test gets that far), the
 * float64 reference backend to compare with, and the decision-aware check of top-k selections.
 */
final class GpuLayerFixtures {
    private GpuLayerFixtures() {}

    static final Backend REFERENCE = new ReferenceBackend();
    private static CheckpointLoader tiny;

    /** The tiny checkpoint's weights (seed 1234, ue8m0 scales). */
    static synchronized ModelWeights tiny() {
        if (tiny == null) {
            try {
                Path dir = Files.createTempDirectory("dsv32-cuda-tiny");
                TinyCheckpointWriter.write(dir, ModelPresets.tiny(), 1234, TinyCheckpointWriter.Variant.UE8M0);
                tiny = CheckpointLoader.open(dir);
                dir.toFile().deleteOnExit();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return tiny.weights();
    }

    static ModelConfig config() { return tiny().config(); }

    static OpContext context(PrecisionMode mode) { return new OpContext(config(), mode); }

    static OpContext context(ModelConfig c, PrecisionMode mode) { return new OpContext(c, mode); }

    /** A [rows][cols] activation of fp32-exact values, Gaussian with a spread of magnitudes. */
    static TensorF64 activation(Random rnd, int rows, int cols) { return GpuTestSupport.floats(rnd, rows, cols, 1.0); }

    /**
     * A cache of {@code n} tokens filled "elsewhere" (not by the operation under test): fp32-exact Gaussian latents
     * and k_pe, and indexer keys as random finite e4m3 codes with power-of-two scales (fp8) or fp32-exact values.
     * The same seed gives the same cache, so two backends can start from equal ones.
     */
    static LayerCache randomCache(long seed, int n, boolean fp8) {
        ModelConfig c = config();
        Random rnd = new Random(seed);
        LayerCache cache = new LayerCache();
        for (int s = 0; s < n; s++) {
            double[] latent = new double[c.kvLoraRank()], pe = new double[c.qkRopeHeadDim()];
            for (int j = 0; j < latent.length; j++) latent[j] = (float) rnd.nextGaussian();
            for (int j = 0; j < pe.length; j++) pe[j] = (float) rnd.nextGaussian();
            cache.appendLatent(latent, pe);
            if (fp8) {
                byte[] codes = new byte[c.indexHeadDim()];
                for (int j = 0; j < codes.length; j++) {
                    int v = rnd.nextInt(256);
                    codes[j] = (byte) ((v & 0x7F) == 0x7F ? 0x7E : v);
                }
                cache.appendIndexKey(codes, (float) Math.scalb(1.0, -8 - rnd.nextInt(3)));
            } else {
                double[] key = new double[c.indexHeadDim()];
                for (int j = 0; j < key.length; j++) key[j] = (float) (0.3 * rnd.nextGaussian());
                cache.appendIndexKey(key);
            }
        }
        return cache;
    }

    /** The largest finite |score| of row t (the scale every score of the row is made of), at least the smallest normal double. */
    static double rowScale(TensorF64 scores, int t) {
        double m = Double.MIN_NORMAL;
        for (int s = 0; s < scores.cols(); s++) {
            double v = scores.at(t, s);
            if (Double.isFinite(v)) m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /**
     * Decision-aware comparison of selections: each GPU row has the reference's length, distinct visible keys, its
     * own scores in non-increasing order, and is either the reference's set or made only of keys whose reference
     * score is within {@code tolerance[t]} of the reference's k-th best (a tie-break the arithmetic could flip).
     * Counts the near-ties; most rows must agree exactly.
     */
    static void assertSelectionsAgree(int[][] gpu, int[][] ref, TensorF64 refScores, TensorF64 gpuScores, double[] tolerance,
                                      int startPos, String what) {
        assertEquals(ref.length, gpu.length, what + ": rows");
        int nearTies = 0;
        for (int t = 0; t < ref.length; t++) {
            int[] g = gpu[t], r = ref[t];
            assertEquals(r.length, g.length, what + ": selection size of query " + t);
            boolean[] seen = new boolean[refScores.cols()];
            for (int i = 0; i < g.length; i++) {
                int s = g[i];
                assertTrue(s >= 0 && s <= startPos + t, what + ": query " + t + " selects key " + s + ", not visible");
                assertTrue(!seen[s], what + ": query " + t + " selects key " + s + " twice");
                seen[s] = true;
                if (i > 0) {
                    int p = g[i - 1];
                    int c = Double.compare(gpuScores.at(t, p), gpuScores.at(t, s));
                    assertTrue(c > 0 || (c == 0 && p < s), what + ": query " + t + " selection not in descending order at " + i);
                }
            }
            int[] gs = g.clone(), rs = r.clone();
            Arrays.sort(gs);
            Arrays.sort(rs);
            if (Arrays.equals(gs, rs)) continue;
            nearTies++;
            double[] row = refScores.rowArray(t);
            double[] sorted = Arrays.copyOf(row, startPos + t + 1);
            Arrays.sort(sorted);
            double kth = sorted[sorted.length - r.length];
            for (int s : g) {
                assertTrue(row[s] >= kth - tolerance[t], what + ": query " + t + " selects key " + s + " scoring " + row[s]
                        + " in the reference, below its k-th best " + kth + " by more than " + tolerance[t]);
            }
        }
        assertTrue(nearTies <= Math.max(1, ref.length / 4), what + ": " + nearTies + " of " + ref.length + " selections differ from the reference");
    }
}
