package org.dsv32.spec.ops;

import java.util.ArrayList;
import java.util.List;
import org.dsv32.spec.format.E4M3;

/**
 * The per-layer decoding state, in float64 on the heap (the form the conformance harness exchanges):
 * <ul>
 *   <li>the MLA cache: per token the kv latent c_kv (kv_lora_rank numbers, after its RMSNorm and, in fp8 mode,
 *       after the FP8 round trip) and the rotated k_pe (qk_rope_head_dim numbers) — 576 numbers for V3.2;</li>
 *   <li>the indexer key cache: per token the key after LayerNorm, RoPE and the Hadamard transform; in fp8 mode
 *       its e4m3 codes and its one fp32 scale, in exact mode its float64 values.</li>
 * </ul>
 * Operations append to it; entries are never changed afterwards. The one way back is {@link #truncate}, which
 * speculative decoding uses to drop the tokens of a rejected draft; it counts as a new {@link #epoch}, so that a
 * backend's mirror of the cache knows to re-read it.
 */
public final class LayerCache {
    private final List<double[]> kvLatent = new ArrayList<>();
    private final List<double[]> keyRope = new ArrayList<>();
    private final List<double[]> indexKeys = new ArrayList<>();
    private final List<byte[]> indexKeyCodes = new ArrayList<>();
    private final List<Float> indexKeyScales = new ArrayList<>();

    private int epoch;

    /** Number of tokens in the MLA cache. */
    public int length() { return kvLatent.size(); }

    /** Number of tokens in the indexer key cache. */
    public int indexLength() { return indexKeys.size(); }

    /**
     * Keeps the first {@code length} tokens of both parts (a part already shorter keeps all of its own) and drops the
     * rest: the cache becomes what it was after that many tokens. Starts a new {@link #epoch} when it drops anything.
     */
    public void truncate(int length) {
        if (length < 0) throw new IllegalArgumentException("cache length " + length + " < 0");
        boolean dropped = false;
        while (kvLatent.size() > length) {
            kvLatent.removeLast();
            keyRope.removeLast();
            dropped = true;
        }
        while (indexKeys.size() > length) {
            indexKeys.removeLast();
            indexKeyCodes.removeLast();
            indexKeyScales.removeLast();
            dropped = true;
        }
        if (dropped) epoch++;
    }

    /** How many truncations dropped entries: a mirror synced at another epoch must re-read the cache, not extend it. */
    public int epoch() { return epoch; }

    public void appendLatent(double[] cKv, double[] kPe) {
        kvLatent.add(cKv.clone());
        keyRope.add(kPe.clone());
    }

    /** Appends an exact-mode indexer key. */
    public void appendIndexKey(double[] key) {
        indexKeys.add(key.clone());
        indexKeyCodes.add(null);
        indexKeyScales.add(Float.NaN);
    }

    /** Appends an fp8-mode indexer key: its e4m3 codes and scale. */
    public void appendIndexKey(byte[] codes, float scale) {
        double[] v = new double[codes.length];
        for (int i = 0; i < v.length; i++) v[i] = E4M3.decode(codes[i]) * (double) scale;
        indexKeys.add(v);
        indexKeyCodes.add(codes.clone());
        indexKeyScales.add(scale);
    }

    public double[] latent(int s) { return kvLatent.get(s); }

    public double[] keyRope(int s) { return keyRope.get(s); }

    /** The indexer key of token s as values (dequantised in fp8 mode). */
    public double[] indexKey(int s) { return indexKeys.get(s); }

    /** The e4m3 codes of indexer key s, or null when it was cached in exact mode. */
    public byte[] indexKeyCodes(int s) { return indexKeyCodes.get(s); }

    /** The fp32 scale of indexer key s (NaN in exact mode). */
    public float indexKeyScale(int s) { return indexKeyScales.get(s); }
}
