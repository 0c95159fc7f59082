package org.dsv32.conformance.generate;

import java.util.SplittableRandom;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.format.UE8M0;
import org.dsv32.spec.ops.LayerCache;

/**
 * A seeded cache prefix of {@code length} tokens, written straight into a {@link LayerCache}, so that a check can
 * place its new tokens beyond original_max_position_embeddings without a prefill of thousands of tokens. Each
 * entry is already on the fp8 grid (kv latent round-tripped through E4M3 with ue8m0 128-tile scales, indexer keys
 * as codes plus one scale), so the same prefix is valid in both precision modes; {@link #fill} called twice with
 * the same seed gives identical caches (for candidate, second candidate run, reference and replay).
 */
public final class SyntheticCache {
    private SyntheticCache() {}

    /** The generated entries of one prefix, kept so that the four caches of a case are filled without regenerating. */
    private record Prefix(double[][] latents, double[][] ropes, byte[][] codes, float[] scales) {}

    private record Key(int kvLora, int rope, int indexDim, int length, long seed) {}

    private static final java.util.Map<Key, Prefix> MEMO = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(8, 0.75f, true) {
                @Override protected boolean removeEldestEntry(java.util.Map.Entry<Key, Prefix> e) { return size() > 4; }
            });

    public static LayerCache fill(ModelConfig c, int length, long seed) {
        Prefix p = MEMO.computeIfAbsent(new Key(c.kvLoraRank(), c.qkRopeHeadDim(), c.indexHeadDim(), length, seed), k -> generate(c, length, seed));
        LayerCache cache = new LayerCache();
        for (int s = 0; s < length; s++) {
            cache.appendLatent(p.latents()[s], p.ropes()[s]);
            cache.appendIndexKey(p.codes()[s], p.scales()[s]);
        }
        return cache;
    }

    private static Prefix generate(ModelConfig c, int length, long seed) {
        Prefix p = new Prefix(new double[length][], new double[length][], new byte[length][], new float[length]);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int s = 0; s < length; s++) {
            double[] ckv = new double[c.kvLoraRank()];
            for (int i = 0; i < ckv.length; i++) ckv[i] = 2 * rng.nextDouble() - 1; // uniform: cheaper than Gaussian for thousands of tokens
            roundTripTiles(ckv);
            double[] kpe = new double[c.qkRopeHeadDim()];
            for (int i = 0; i < kpe.length; i++) kpe[i] = (float) (2 * rng.nextDouble() - 1);
            p.latents()[s] = ckv;
            p.ropes()[s] = kpe;
            double[] key = new double[c.indexHeadDim()];
            double amax = 1e-4;
            for (int i = 0; i < key.length; i++) { key[i] = 2 * rng.nextDouble() - 1; amax = Math.max(amax, Math.abs(key[i])); }
            float scale = UE8M0.roundUp((float) amax * (float) (1 / E4M3.MAX));
            byte[] codes = new byte[key.length];
            for (int i = 0; i < key.length; i++) codes[i] = E4M3.encode(key[i] / scale);
            p.codes()[s] = codes;
            p.scales()[s] = scale;
        }
        return p;
    }

    /** In place: each 128-tile rounded to E4M3 with a ue8m0 scale, as the deployed FP8 kv cache holds it. */
    static void roundTripTiles(double[] v) {
        for (int t = 0; t < v.length; t += 128) {
            int end = Math.min(v.length, t + 128);
            double amax = 1e-4;
            for (int i = t; i < end; i++) amax = Math.max(amax, Math.abs(v[i]));
            float scale = UE8M0.roundUp((float) amax * (float) (1 / E4M3.MAX));
            for (int i = t; i < end; i++) v[i] = E4M3.round(v[i] / scale) * scale;
        }
    }
}
