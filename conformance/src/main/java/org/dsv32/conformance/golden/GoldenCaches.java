package org.dsv32.conformance.golden;

import org.dsv32.spec.io.DType;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.tensor.TensorF64;

/**
 * The layer cache of a case as tensors (spec/GOLDEN_FORMAT.md, "Caches"): {@code kv_latent} [S][kv_lora_rank] and
 * {@code k_pe} [S][qk_rope_head_dim] (the MLA cache, as DeepSeek's {@code kv_cache} and {@code pe_cache} hold it),
 * and the indexer keys, either as values {@code index_k} [S][index_head_dim] or as FP8
 * {@code index_k_codes} F8_E4M3 [S][index_head_dim] with {@code index_k_scales} F32 [S] or [S][1] (DeepSeek's
 * {@code k_cache} and {@code k_scale_cache}). Under the prefix {@code cache.} they are the state before the
 * first call; under {@code expected.} the entries the calls append. Stateless.
 */
public final class GoldenCaches {
    private GoldenCaches() {}

    /** Writes the first {@code n} entries of {@code cache} as {@code cache.*} tensors (F32 values; FP8 codes when cached so). */
    public static void write(GoldenCaseWriter w, LayerCache cache, int n, boolean mla) {
        if (n == 0) return;
        if (mla) {
            w.cache(GoldenFormat.KV_LATENT, rows(cache, 0, n, Entry.LATENT));
            w.cache(GoldenFormat.K_PE, rows(cache, 0, n, Entry.ROPE));
        }
        if (cache.indexKeyCodes(0) != null) {
            int d = cache.indexKeyCodes(0).length;
            byte[] codes = new byte[n * d];
            float[] scales = new float[n];
            for (int s = 0; s < n; s++) {
                System.arraycopy(cache.indexKeyCodes(s), 0, codes, s * d, d);
                scales[s] = cache.indexKeyScale(s);
            }
            w.cacheBytes(GoldenFormat.INDEX_K_CODES, DType.F8_E4M3, codes, n, d);
            w.cacheFloats(GoldenFormat.INDEX_K_SCALES, scales, n);
        } else {
            w.cache(GoldenFormat.INDEX_K, rows(cache, 0, n, Entry.INDEX_KEY));
        }
    }

    /**
     * The cache a case starts from: its {@code cache.*} tensors, or an empty cache when there are none. With
     * {@code mla}, the MLA part is required whenever any cache tensor is present, and both parts must hold the same
     * number of tokens.
     */
    public static LayerCache read(GoldenCase c, boolean mla) throws GoldenException {
        LayerCache cache = new LayerCache();
        String p = GoldenFormat.CACHE;
        boolean values = c.has(p + GoldenFormat.INDEX_K), codes = c.has(p + GoldenFormat.INDEX_K_CODES);
        boolean latent = c.has(p + GoldenFormat.KV_LATENT);
        if (!values && !codes && !latent) return cache;
        if (values && codes) throw GoldenException.corrupted(c.file() + ": give cache.index_k or cache.index_k_codes, not both");
        if (!values && !codes) throw GoldenException.corrupted(c.file() + ": cache.kv_latent without cache.index_k or cache.index_k_codes");
        int dim = c.config().indexHeadDim();
        int n;
        double[][] keys = null;
        byte[] keyCodes = null;
        float[] keyScales = null;
        if (values) {
            TensorF64 k = c.tensor(p + GoldenFormat.INDEX_K);
            n = checkedRows(c, p + GoldenFormat.INDEX_K, k, dim);
            keys = new double[n][];
            for (int s = 0; s < n; s++) keys[s] = k.rowArray(s);
        } else {
            int[] shape = c.shape(p + GoldenFormat.INDEX_K_CODES);
            if (shape.length != 2 || shape[1] != dim) throw GoldenException.corrupted(c.file() + ": cache.index_k_codes must be [S][" + dim + "]");
            n = shape[0];
            keyCodes = c.bytes(p + GoldenFormat.INDEX_K_CODES, DType.F8_E4M3);
            TensorF64 sc = c.tensor(p + GoldenFormat.INDEX_K_SCALES);
            if (sc.size() != n || c.raw(p + GoldenFormat.INDEX_K_SCALES).dtype() != DType.F32) {
                throw GoldenException.corrupted(c.file() + ": cache.index_k_scales must be F32 [" + n + "] (one scale per cached key)");
            }
            keyScales = new float[n];
            for (int s = 0; s < n; s++) keyScales[s] = (float) sc.getFlat(s);
        }
        TensorF64 lat = null, pe = null;
        if (mla) {
            if (!latent) throw GoldenException.corrupted(c.file() + ": indexer keys in the cache but no cache.kv_latent / cache.k_pe");
            lat = c.tensor(p + GoldenFormat.KV_LATENT);
            pe = c.tensor(p + GoldenFormat.K_PE);
            if (checkedRows(c, p + GoldenFormat.KV_LATENT, lat, c.config().kvLoraRank()) != n
                    || checkedRows(c, p + GoldenFormat.K_PE, pe, c.config().qkRopeHeadDim()) != n) {
                throw GoldenException.corrupted(c.file() + ": cache.kv_latent, cache.k_pe and the indexer keys must hold the same number of tokens (" + n + ")");
            }
        }
        for (int s = 0; s < n; s++) {
            if (mla) cache.appendLatent(lat.rowArray(s), pe.rowArray(s));
            if (keys != null) cache.appendIndexKey(keys[s]);
            else cache.appendIndexKey(java.util.Arrays.copyOfRange(keyCodes, s * dim, (s + 1) * dim), keyScales[s]);
        }
        return cache;
    }

    private static int checkedRows(GoldenCase c, String name, TensorF64 t, int width) throws GoldenException {
        if (t.rank() != 2 || t.cols() != width) {
            throw GoldenException.corrupted(c.file() + ": tensor '" + name + "' has shape " + java.util.Arrays.toString(t.shape()) + ", expected [S][" + width + "]");
        }
        return t.rows();
    }

    /** A copy of the first {@code n} entries (for replaying a step on the state before it). */
    public static LayerCache prefix(LayerCache c, int n) {
        LayerCache out = new LayerCache();
        for (int s = 0; s < n; s++) {
            if (s < c.length()) out.appendLatent(c.latent(s), c.keyRope(s));
            if (s < c.indexLength()) {
                byte[] codes = c.indexKeyCodes(s);
                if (codes != null) out.appendIndexKey(codes, c.indexKeyScale(s));
                else out.appendIndexKey(c.indexKey(s));
            }
        }
        return out;
    }

    /** Which part of a cache entry. */
    public enum Entry { LATENT, ROPE, INDEX_KEY }

    /** Entries [from, from + n) of one part as a [n][width] tensor. */
    public static TensorF64 rows(LayerCache c, int from, int n, Entry e) {
        double[] first = get(c, from, e);
        TensorF64 out = TensorF64.zeros(n, first.length);
        for (int t = 0; t < n; t++) {
            double[] v = get(c, from + t, e);
            if (v.length != first.length) throw new IllegalStateException("cache entries of different widths");
            for (int i = 0; i < v.length; i++) out.put(t, i, v[i]);
        }
        return out;
    }

    private static double[] get(LayerCache c, int s, Entry e) {
        return switch (e) {
            case LATENT -> c.latent(s);
            case ROPE -> c.keyRope(s);
            case INDEX_KEY -> c.indexKey(s);
        };
    }
}
