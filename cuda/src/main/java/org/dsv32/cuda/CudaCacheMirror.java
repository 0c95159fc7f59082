package org.dsv32.cuda;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import org.dsv32.spec.ops.LayerCache;

/**
 * The device copy of a {@link LayerCache}: the indexer keys (fp8 mode: e4m3 codes [S][D] and fp32 scales [S];
 * exact mode: fp32 values [S][D]) and the MLA latents (c_kv [S][rank] and rotated k_pe [S][rope], fp32), resident on
 * the GPU so that a decode step uploads only the new token's entries.
 *
 * <p>The {@link LayerCache} stays the contract: the cuda operations append every entry to it exactly as the
 * reference does, and the mirror catches up by length before each use (entries are only ever appended, never
 * changed). Whatever another backend appended since — a prefill delegated to the CPU, a cache filled by the
 * reference — is uploaded once, rounded to fp32 (the rule for every activation entering this backend). A cache that
 * got shorter, or a change of mode or dimensions, starts the mirror over.
 *
 * <p>The mirror is found through an identity-keyed weak side table (LayerCache does not override equals), and its
 * device buffers are freed by a {@link Cleaner} once the LayerCache is unreachable (or by the context's close).
 * Synchronised per mirror; the table itself is synchronised.
 */
final class CudaCacheMirror {
    private static final Map<LayerCache, CudaCacheMirror> TABLE = Collections.synchronizedMap(new WeakHashMap<>());
    private static final Cleaner CLEANER = Cleaner.create();

    /** The mirror of {@code cache} on {@code gpu}, created empty on first use. */
    static CudaCacheMirror of(LayerCache cache, CudaContext gpu) {
        synchronized (TABLE) {
            CudaCacheMirror m = TABLE.get(cache);
            if (m == null || m.gpu != gpu || gpu.isClosed()) {
                m = new CudaCacheMirror(gpu);
                TABLE.put(cache, m);
                CLEANER.register(cache, m.buffers);
            }
            return m;
        }
    }

    /** The buffers to free when the cache goes away; holds no reference to the cache or the mirror. */
    private static final class Buffers implements Runnable {
        final List<DeviceBuffer> live = new ArrayList<>();

        synchronized void replace(DeviceBuffer old, DeviceBuffer fresh) {
            if (old != null) {
                live.remove(old);
                old.close();
            }
            if (fresh != null) live.add(fresh);
        }

        @Override
        public synchronized void run() {
            for (DeviceBuffer b : live) b.close();
            live.clear();
        }
    }

    private final CudaContext gpu;
    private final Buffers buffers = new Buffers();

    // indexer keys
    private boolean indexFp8;
    private int indexDim = -1, indexLength, indexCapacity;
    private DeviceBuffer keyData;     // codes (bytes) or values (floats), [capacity][dim]
    private DeviceBuffer keyScales;   // fp8 mode: [capacity]

    // MLA latents
    private int rank = -1, rope = -1, length, capacity;
    private DeviceBuffer latents;     // [capacity][rank]
    private DeviceBuffer keyRopes;    // [capacity][rope]

    /** The cache's {@link LayerCache#epoch} each part was read at: a truncation since means re-reading it. */
    private int latentEpoch, indexEpoch;

    private CudaCacheMirror(CudaContext gpu) { this.gpu = gpu; }

    // ---- indexer keys ---------------------------------------------------------------------------------------------

    /**
     * Brings the indexer keys up to {@code cache.indexLength()} in the given mode; fp8 mode needs every cached key to
     * hold codes (a key cached in exact mode is an error naming it).
     */
    synchronized void syncIndexKeys(LayerCache cache, int dim, boolean fp8) {
        int n = cache.indexLength();
        if (dim != indexDim || fp8 != indexFp8 || n < indexLength || cache.epoch() != indexEpoch) {
            indexEpoch = cache.epoch();
            buffers.replace(keyData, null);
            buffers.replace(keyScales, null);
            keyData = keyScales = null;
            indexDim = dim;
            indexFp8 = fp8;
            indexLength = indexCapacity = 0;
        }
        if (n == indexLength) return;
        ensureIndexCapacity(n);
        int add = n - indexLength;
        if (fp8) {
            byte[] codes = new byte[add * dim];
            float[] scales = new float[add];
            for (int i = 0; i < add; i++) {
                int s = indexLength + i;
                byte[] c = cache.indexKeyCodes(s);
                if (c == null) throw new IllegalStateException("indexer fp8 mode: key " + s + " was cached in exact mode");
                checkDim(c.length, s, dim);
                System.arraycopy(c, 0, codes, i * dim, dim);
                scales[i] = cache.indexKeyScale(s);
            }
            gpu.write(keyData, (long) indexLength * dim, codes);
            gpu.write(keyScales, 4L * indexLength, scales);
        } else {
            float[] values = new float[add * dim];
            for (int i = 0; i < add; i++) {
                int s = indexLength + i;
                double[] k = cache.indexKey(s);
                checkDim(k.length, s, dim);
                for (int j = 0; j < dim; j++) values[i * dim + j] = (float) k[j];
            }
            gpu.write(keyData, 4L * indexLength * dim, values);
        }
        indexLength = n;
    }

    synchronized int indexLength() { return indexLength; }

    /** fp8 mode: the key codes [indexLength][dim]; exact mode: the key values, fp32 [indexLength][dim]. */
    synchronized DeviceBuffer keyData() { return keyData; }

    /** fp8 mode: the keys' fp32 scales [indexLength]. */
    synchronized DeviceBuffer keyScales() { return keyScales; }

    private void ensureIndexCapacity(int n) {
        if (n <= indexCapacity) return;
        int cap = grow(indexCapacity, n);
        long elem = indexFp8 ? 1 : 4;
        DeviceBuffer data = gpu.alloc(elem * cap * indexDim);
        if (keyData != null) gpu.copy(keyData, data, elem * indexLength * indexDim);
        buffers.replace(keyData, data);
        keyData = data;
        if (indexFp8) {
            DeviceBuffer scales = gpu.alloc(4L * cap);
            if (keyScales != null) gpu.copy(keyScales, scales, 4L * indexLength);
            buffers.replace(keyScales, scales);
            keyScales = scales;
        }
        indexCapacity = cap;
    }

    // ---- MLA latents ----------------------------------------------------------------------------------------------

    /** Brings the latents and k_pe up to {@code cache.length()} (fp32 copies of the cached float64 rows). */
    synchronized void syncLatents(LayerCache cache, int rank, int rope) {
        int n = cache.length();
        if (rank != this.rank || rope != this.rope || n < length || cache.epoch() != latentEpoch) {
            latentEpoch = cache.epoch();
            buffers.replace(latents, null);
            buffers.replace(keyRopes, null);
            latents = keyRopes = null;
            this.rank = rank;
            this.rope = rope;
            length = capacity = 0;
        }
        if (n == length) return;
        ensureLatentCapacity(n);
        int add = n - length;
        float[] c = new float[add * rank], k = new float[add * rope];
        for (int i = 0; i < add; i++) {
            int s = length + i;
            double[] cs = cache.latent(s), ks = cache.keyRope(s);
            if (cs.length != rank || ks.length != rope) {
                throw new IllegalStateException("layer cache entry " + s + " has a latent of " + cs.length + " and a k_pe of "
                        + ks.length + " values, expected kv_lora_rank " + rank + " and qk_rope_head_dim " + rope);
            }
            for (int j = 0; j < rank; j++) c[i * rank + j] = (float) cs[j];
            for (int j = 0; j < rope; j++) k[i * rope + j] = (float) ks[j];
        }
        gpu.write(latents, 4L * length * rank, c);
        gpu.write(keyRopes, 4L * length * rope, k);
        length = n;
    }

    synchronized int length() { return length; }

    /** The latents c_kv, fp32 [length][rank]. */
    synchronized DeviceBuffer latents() { return latents; }

    /** The rotated k_pe, fp32 [length][rope]. */
    synchronized DeviceBuffer keyRopes() { return keyRopes; }

    private void ensureLatentCapacity(int n) {
        if (n <= capacity) return;
        int cap = grow(capacity, n);
        DeviceBuffer c = gpu.alloc(4L * cap * rank), k = gpu.alloc(4L * cap * rope);
        if (latents != null) {
            gpu.copy(latents, c, 4L * length * rank);
            gpu.copy(keyRopes, k, 4L * length * rope);
        }
        buffers.replace(latents, c);
        buffers.replace(keyRopes, k);
        latents = c;
        keyRopes = k;
        capacity = cap;
    }

    /** Capacity for at least {@code needed} tokens: doubling, at least 64, so that appends are amortised O(1). */
    private static int grow(int current, int needed) {
        long cap = Math.max(64, Math.max(needed, 2L * current));
        return (int) Math.min(Integer.MAX_VALUE - 8, cap);
    }

    private static void checkDim(int got, int s, int dim) {
        if (got != dim) throw new IllegalStateException("indexer key " + s + " has " + got + " values, expected index_head_dim " + dim);
    }
}
