package org.dsv32.conformance;

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

    public static LayerCache fill(ModelConfig c, int length, long seed) {
        LayerCache cache = new LayerCache();
        SplittableRandom rng = new SplittableRandom(seed);
        for (int s = 0; s < length; s++) {
            double[] ckv = new double[c.kvLoraRank()];
            for (int i = 0; i < ckv.length; i++) ckv[i] = RandomInputs.gauss(rng);
            roundTripTiles(ckv);
            double[] kpe = new double[c.qkRopeHeadDim()];
            for (int i = 0; i < kpe.length; i++) kpe[i] = (float) RandomInputs.gauss(rng);
            cache.appendLatent(ckv, kpe);
            double[] key = new double[c.indexHeadDim()];
            double amax = 1e-4;
            for (int i = 0; i < key.length; i++) { key[i] = RandomInputs.gauss(rng); amax = Math.max(amax, Math.abs(key[i])); }
            float scale = UE8M0.roundUp((float) amax * (float) (1 / E4M3.MAX));
            byte[] codes = new byte[key.length];
            for (int i = 0; i < key.length; i++) codes[i] = E4M3.encode(key[i] / scale);
            cache.appendIndexKey(codes, scale);
        }
        return cache;
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
