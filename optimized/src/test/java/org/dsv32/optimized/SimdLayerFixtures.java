package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.checkpoint.CheckpointLoader;
import org.dsv32.spec.checkpoint.TinyCheckpointWriter;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.tensor.TensorF64;

/**
 * Shared fixtures of the layer tests: the tiny checkpoint (written once per JVM into a temporary directory, seed 1,
 * ue8m0 scales, so every weight is stored as the real checkpoint stores it), fp32-valued random activations, random
 * layer caches, and the selection comparison with a near-tie allowance.
 */
final class SimdLayerFixtures {
    private SimdLayerFixtures() {}

    static final Backend SIMD = new SimdBackend();
    static final Backend REFERENCE = new ReferenceBackend();

    private static CheckpointLoader tiny;

    /** The tiny checkpoint (ModelPresets.tiny(), seed 1, ue8m0), opened once and kept for the JVM's lifetime. */
    static synchronized CheckpointLoader tiny() {
        if (tiny == null) {
            try {
                Path dir = Files.createTempDirectory("dsv32-simd-tiny");
                TinyCheckpointWriter.write(dir, ModelPresets.tiny(), 1, TinyCheckpointWriter.Variant.UE8M0);
                tiny = CheckpointLoader.open(dir);
                CheckpointLoader open = tiny;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    open.close();
                    try (Stream<Path> files = Files.walk(dir)) {
                        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                    } catch (IOException ignored) {
                        // a temporary directory left behind is harmless
                    }
                }));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return tiny;
    }

    static ModelConfig config() { return tiny().config(); }

    static OpContext context(PrecisionMode mode) { return new OpContext(config(), mode); }

    /** [rows][cols] N(0, 1) values rounded to fp32 (so both backends see the same input). */
    static TensorF64 activation(Random rnd, int rows, int cols) {
        TensorF64 x = TensorF64.zeros(rows, cols);
        for (int i = 0; i < x.size(); i++) x.setFlat(i, (float) rnd.nextGaussian());
        return x;
    }

    /**
     * A cache of {@code tokens} random entries for the tiny config: latents and k_pe N(0, 1) (fp8 mode: latents
     * dequantised from e4m3 codes with a power-of-two scale per 128-tile, as the FP8 round trip leaves them), indexer
     * keys N(0, 1) (fp8 mode: e4m3 codes and a power-of-two scale). The same seed gives an identical cache.
     */
    static LayerCache randomCache(long seed, int tokens, boolean fp8) {
        ModelConfig c = config();
        Random rnd = new Random(seed);
        LayerCache cache = new LayerCache();
        int rank = c.kvLoraRank(), rope = c.qkRopeHeadDim(), dim = c.indexHeadDim();
        for (int s = 0; s < tokens; s++) {
            double[] latent = new double[rank], pe = new double[rope];
            for (int j = 0; j < rank; j++) latent[j] = (float) rnd.nextGaussian();
            if (fp8) {
                for (int t0 = 0; t0 < rank; t0 += 128) {
                    double scale = Math.scalb(1.0, -8);
                    for (int j = t0; j < t0 + 128; j++) latent[j] = E4M3.decode(E4M3.encode(latent[j] / scale)) * scale;
                }
            }
            for (int j = 0; j < rope; j++) pe[j] = (float) rnd.nextGaussian();
            cache.appendLatent(latent, pe);
            if (fp8) {
                byte[] codes = new byte[dim];
                for (int j = 0; j < dim; j++) codes[j] = E4M3.encode(rnd.nextGaussian() * 100);
                cache.appendIndexKey(codes, (float) Math.scalb(1.0, -7 - rnd.nextInt(3)));
            } else {
                double[] key = new double[dim];
                for (int j = 0; j < dim; j++) key[j] = (float) rnd.nextGaussian();
                cache.appendIndexKey(key);
            }
        }
        return cache;
    }

    /**
     * The selections agree up to near ties: same sizes; every key selected by only one side has a reference score
     * within {@code tol} of the reference's boundary (its k-th) score; and the candidate's order is descending in
     * the reference scores up to {@code tol}. Returns the number of queries whose selections differ as sets.
     */
    static int assertSelectionsAgree(int[][] candidate, int[][] reference, TensorF64 referenceScores, double[] tol, String what) {
        assertEquals(reference.length, candidate.length, what + ": queries");
        int differing = 0;
        for (int t = 0; t < reference.length; t++) {
            int[] r = reference[t], c = candidate[t];
            assertEquals(r.length, c.length, what + ": selection size of query " + t);
            double boundary = referenceScores.at(t, r[r.length - 1]);
            Set<Integer> rs = new HashSet<>(), cs = new HashSet<>();
            for (int s : r) rs.add(s);
            for (int s : c) cs.add(s);
            if (!rs.equals(cs)) differing++;
            for (int s : c) {
                if (!rs.contains(s)) {
                    assertTrue(Math.abs(referenceScores.at(t, s) - boundary) <= tol[t], what + ": query " + t + " selected key " + s
                            + " with reference score " + referenceScores.at(t, s) + ", boundary " + boundary + ", tolerance " + tol[t]);
                }
            }
            for (int s : r) {
                if (!cs.contains(s)) {
                    assertTrue(Math.abs(referenceScores.at(t, s) - boundary) <= tol[t], what + ": query " + t + " dropped key " + s
                            + " with reference score " + referenceScores.at(t, s) + ", boundary " + boundary + ", tolerance " + tol[t]);
                }
            }
            for (int i = 1; i < c.length; i++) {
                assertTrue(referenceScores.at(t, c[i]) <= referenceScores.at(t, c[i - 1]) + tol[t], what + ": query " + t
                        + " order at rank " + i);
            }
        }
        return differing;
    }

    /** max |x| over a row of a [T][S] tensor, finite values only. */
    static double rowScale(TensorF64 scores, int t) {
        double m = 0;
        for (int s = 0; s < scores.cols(); s++) {
            double v = scores.at(t, s);
            if (Double.isFinite(v)) m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
