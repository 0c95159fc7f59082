package org.dsv32.optimized;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.ops.LayerCache;

/**
 * A float32 copy of a {@link LayerCache}, kept beside it so that a decode step reads the cached latents, rotated
 * k_pe and indexer keys as packed float arrays instead of converting S float64 heap rows per layer per step.
 *
 * <p>The {@link LayerCache} stays the contract: the simd operations append every entry to it exactly as the
 * reference does (float64 rows, e4m3 codes and scales), and also to this mirror. The mirror is found through an
 * identity-keyed weak side table (LayerCache does not override equals), so it lives exactly as long as its cache.
 * Since cache entries are only ever appended, never changed, the mirror catches up by length: whatever another
 * backend appended since the last simd call is converted once (float64 rounded to float32, the rule for every
 * activation entering this backend), so a cache filled by the reference and continued by simd works.
 *
 * <p>Why not convert the whole cache on every call: that is S x (kv_lora_rank + rope + index_head_dim) conversions
 * per layer per decode step, quadratic over a sequence. For the 671B shapes at 4k tokens it is 61 x 4096 x 704
 * conversions per token; even on the tiny checkpoint with 400 cached tokens, re-reading the cache each call makes a
 * decode step markedly slower.
 *
 * <p>Not thread-safe per cache (a {@link org.dsv32.spec.ops.ModelSession} is not either); the side table itself is
 * synchronised, so different caches may be used from different threads.
 */
final class SimdCacheMirror {
    private static final Map<LayerCache, SimdCacheMirror> TABLE = Collections.synchronizedMap(new WeakHashMap<>());

    /** The mirror of {@code cache}, created empty on first use. */
    static SimdCacheMirror of(LayerCache cache) { return TABLE.computeIfAbsent(cache, c -> new SimdCacheMirror()); }

    private int rank = -1, rope = -1, indexDim = -1;
    /** The cache's {@link LayerCache#epoch} each part was read at: a truncation since means re-reading it. */
    private int latentEpoch, indexEpoch;

    /** MLA part: tokens mirrored, latents [cap][rank], rotated k_pe [cap][rope]. */
    private int length;
    private float[] latents = new float[0];
    private float[] keyRopes = new float[0];

    /**
     * Indexer part, in one mode: fp8 (e4m3 code values, exact as floats, and fp32 scales [cap]) or exact (float
     * values); the keys in the {@link SimdAttentionKernels#KEY_TILE} layout (lanes run across keys), capacity a
     * multiple of {@value #KEY_PAD} keys, zeros past the length. The tiles live in native memory aligned to
     * {@value #TILE_ALIGN} bytes (freed by the GC with the mirror): a Java float array starts 16 bytes past an
     * 8-byte-aligned header, so every 64-byte key vector loaded from one would straddle two cache lines, which cost
     * the score kernel about a fifth of its speed (measured, 512-bit vectors).
     */
    private int indexLength;
    private boolean indexFp8;
    private MemorySegment keyTiles = MemorySegment.NULL;
    private int keyCapacity;
    private int indexGrowths;
    private float[] keyScales = new float[0];

    private SimdCacheMirror() {}

    /** Brings the MLA part up to the cache's length (rank and rope fixed by the first call). */
    void syncLatents(LayerCache cache, int rank, int rope) {
        if (this.rank != rank || this.rope != rope || cache.length() < length || cache.epoch() != latentEpoch) {
            latentEpoch = cache.epoch();
            this.rank = rank;
            this.rope = rope;
            length = 0;
            latents = new float[0];
            keyRopes = new float[0];
        }
        int n = cache.length();
        ensureLatentCapacity(n);
        for (int s = length; s < n; s++) {
            double[] c = cache.latent(s), k = cache.keyRope(s);
            if (c.length != rank || k.length != rope) {
                throw new IllegalStateException("layer cache entry " + s + " has a latent of " + c.length + " and a k_pe of "
                        + k.length + " values, expected kv_lora_rank " + rank + " and qk_rope_head_dim " + rope);
            }
            for (int j = 0; j < rank; j++) latents[s * rank + j] = (float) c[j];
            for (int j = 0; j < rope; j++) keyRopes[s * rope + j] = (float) k[j];
        }
        length = n;
    }

    /**
     * Appends T tokens to the cache and the mirror: latents [T][rank] (the cache gets {@code latentsExact} when not
     * null, the exact float64 values of an FP8 round trip, else the floats widened), k_pe [T][rope].
     * The mirror must be in sync ({@link #syncLatents}).
     */
    void appendLatents(LayerCache cache, float[] c, double[] latentsExact, float[] kPe, int tokens) {
        if (length != cache.length()) throw new IllegalStateException("cache mirror out of sync: " + length + " vs " + cache.length());
        ensureLatentCapacity(length + tokens);
        for (int t = 0; t < tokens; t++) {
            double[] row = new double[rank], pe = new double[rope];
            for (int j = 0; j < rank; j++) row[j] = latentsExact != null ? latentsExact[t * rank + j] : c[t * rank + j];
            for (int j = 0; j < rope; j++) pe[j] = kPe[t * rope + j];
            cache.appendLatent(row, pe);
        }
        System.arraycopy(c, 0, latents, length * rank, tokens * rank);
        System.arraycopy(kPe, 0, keyRopes, length * rope, tokens * rope);
        length += tokens;
    }

    int length() { return length; }

    /** Latents [length][rank], row-major (the array may be longer). */
    float[] latents() { return latents; }

    /** Rotated k_pe [length][rope]. */
    float[] keyRopes() { return keyRopes; }

    /**
     * Brings the indexer part up to the cache's index length, in the given mode (a change of mode re-reads the
     * whole cache). fp8 mode needs every cached key to hold codes.
     */
    void syncIndexKeys(LayerCache cache, int dim, boolean fp8) {
        if (indexDim != dim || indexFp8 != fp8 || cache.indexLength() < indexLength || cache.epoch() != indexEpoch) {
            indexEpoch = cache.epoch();
            indexDim = dim;
            indexFp8 = fp8;
            indexLength = 0;
            keyTiles = MemorySegment.NULL;
            keyCapacity = 0;
            keyScales = new float[0];
        }
        int n = cache.indexLength();
        ensureIndexCapacity(n);
        for (int s = indexLength; s < n; s++) {
            if (fp8) {
                byte[] codes = cache.indexKeyCodes(s);
                if (codes == null) throw new IllegalStateException("indexer fp8 mode: key " + s + " was cached in exact mode");
                checkDim(codes.length, s, dim);
                for (int j = 0; j < dim; j++) setKey(s, j, (float) E4M3.decode(codes[j]));
                keyScales[s] = cache.indexKeyScale(s);
            } else {
                double[] k = cache.indexKey(s);
                checkDim(k.length, s, dim);
                for (int j = 0; j < dim; j++) setKey(s, j, (float) k[j]);
            }
        }
        indexLength = n;
    }

    /** fp8 mode: appends T keys given by their codes [T][dim] and scales [T], to the cache and the mirror. */
    void appendIndexKeys(LayerCache cache, byte[] codes, float[] scales, int tokens) {
        checkIndexSync(cache, true);
        ensureIndexCapacity(indexLength + tokens);
        int dim = indexDim;
        for (int t = 0; t < tokens; t++) {
            byte[] row = Arrays.copyOfRange(codes, t * dim, (t + 1) * dim);
            cache.appendIndexKey(row, scales[t]);
            int s = indexLength + t;
            for (int j = 0; j < dim; j++) setKey(s, j, Fp8Codec.decodeE4M3(row[j]));
            keyScales[s] = scales[t];
        }
        indexLength += tokens;
    }

    /** Exact mode: appends T keys [T][dim] (float values, widened for the cache). */
    void appendIndexKeys(LayerCache cache, float[] keys, int tokens) {
        checkIndexSync(cache, false);
        ensureIndexCapacity(indexLength + tokens);
        int dim = indexDim;
        for (int t = 0; t < tokens; t++) {
            double[] row = new double[dim];
            for (int j = 0; j < dim; j++) row[j] = keys[t * dim + j];
            cache.appendIndexKey(row);
            for (int j = 0; j < dim; j++) setKey(indexLength + t, j, keys[t * dim + j]);
        }
        indexLength += tokens;
    }

    int indexLength() { return indexLength; }

    /** How many times the key tiles were allocated (grown) since the mirror was made. */
    int indexGrowths() { return indexGrowths; }

    /**
     * The keys in the {@link SimdAttentionKernels#KEY_TILE} layout: fp8 mode their e4m3 code values (exact as
     * floats), exact mode their float values; zeros past {@link #indexLength} up to a multiple of {@value #KEY_PAD}
     * keys; native floats, {@value #TILE_ALIGN}-byte aligned.
     */
    MemorySegment keyTiles() { return keyTiles; }

    private void setKey(int s, int d, float v) { keyTiles.setAtIndex(ValueLayout.JAVA_FLOAT, SimdAttentionKernels.tiled(s, d, indexDim), v); }

    /** fp8 mode: the keys' fp32 scales. */
    float[] keyScales() { return keyScales; }

    private void checkIndexSync(LayerCache cache, boolean fp8) {
        if (indexLength != cache.indexLength() || indexFp8 != fp8) {
            throw new IllegalStateException("indexer cache mirror out of sync: " + indexLength + " vs " + cache.indexLength());
        }
    }

    private static void checkDim(int got, int s, int dim) {
        if (got != dim) throw new IllegalStateException("indexer key " + s + " has " + got + " values, expected index_head_dim " + dim);
    }

    private void ensureLatentCapacity(int tokens) {
        if ((long) tokens * rank > latents.length) {
            int cap = Math.max(tokens, Math.max(16, 2 * (latents.length / Math.max(1, rank))));
            latents = Arrays.copyOf(latents, cap * rank);
            keyRopes = Arrays.copyOf(keyRopes, cap * rope);
        }
    }

    /** Keys the indexer part's capacity is a multiple of: a pass of the score kernel at any width reads within it. */
    static final int KEY_PAD = 2 * SimdAttentionKernels.KEY_TILE;

    /** Alignment of the key tiles in bytes: one cache line, one 512-bit vector. */
    static final int TILE_ALIGN = 64;

    /**
     * Grows the key tiles to hold {@code tokens} keys, to at least twice the old capacity and a quarter more than
     * asked: a cache read whole (a new mirror, a prompt's keys) is then appended to for tokens / 4 decode steps
     * before it grows again, instead of at the very next step. Growing copies every key into fresh native memory,
     * which the OS must first map (it measured 3-4 ms for 8192 keys of 128 dims, three times a decode step).
     */
    private void ensureIndexCapacity(int tokens) {
        int dim = indexDim;
        int have = keyCapacity;
        if (tokens > have) {
            long want = Math.max((long) tokens + tokens / 4, Math.max(KEY_PAD, 2L * have));
            int cap = (int) Math.min(Integer.MAX_VALUE - KEY_PAD, want);
            cap = (cap + KEY_PAD - 1) / KEY_PAD * KEY_PAD;
            indexGrowths++;
            MemorySegment grown = Arena.ofAuto().allocate((long) cap * dim * Float.BYTES, TILE_ALIGN); // zeroed
            MemorySegment.copy(keyTiles, 0, grown, 0, keyTiles.byteSize());
            keyTiles = grown;
            keyCapacity = cap;
            keyScales = Arrays.copyOf(keyScales, cap);
        }
    }
}
