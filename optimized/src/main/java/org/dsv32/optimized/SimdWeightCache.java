package org.dsv32.optimized;

import java.lang.foreign.MemorySegment;
import java.lang.ref.ReferenceQueue;
import java.util.concurrent.ConcurrentHashMap;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.Weight;

/**
 * Float32 copies of weights that a layer would otherwise decode on every call: norm weights and biases (a bf16
 * vector converted per call costs as much as the norm itself at the tiny sizes) and the dequantised kv_b of the
 * absorbed MLA (decoding it per decode step was the largest single cost of a tiny decode step).
 *
 * <p>Keyed by the identity of the {@link Weight} object, held weakly ({@link SimdWeakKey}): a copy lives as long as
 * the weights it was made from, and a new checkpoint mapped at the same address (equal records, different bytes)
 * can never hit an old copy, which an equals-keyed map would allow. Copies are made only while their total stays under
 * {@code -Ddsv32.weightCacheMiB} (default 512 MiB); beyond it the callers decode per call as before, so the 671B
 * shapes (64 MiB of dequantised kv_b per layer) cache a few layers and never run out of memory.
 *
 * <p>It also holds the FP8 codes of weights repacked for the GEMV ({@link #packedCodes}): still one byte per code,
 * no wider, only reordered so that the GEMV loads codes lane-per-row without transposing them.
 */
final class SimdWeightCache {
    private SimdWeightCache() {}

    static final String PROPERTY = "dsv32.weightCacheMiB";
    private static final long BUDGET = Math.max(0L, Long.getLong(PROPERTY, 512L)) << 20;

    private static final ReferenceQueue<Weight> QUEUE = new ReferenceQueue<>();
    /**
     * Keys: {@link SimdWeakKey} of the weight, tag 0 for float[] copies, the lane count for int[] repacked codes and
     * minus the vector bits for the absorbed MLA's partly run-ordered float[] copies ({@link #absorbedKvB}),
     * size the bytes counted against the budget. Looked up without a lock (a decode step makes about a hundred
     * lookups); changed, and the budget counted, under {@link #LOCK}.
     */
    private static final ConcurrentHashMap<Object, Object> COPIES = new ConcurrentHashMap<>();
    private static final Object LOCK = new Object();
    private static long bytes;

    /** The 1-D weight w of n elements as floats (see {@link SimdTensors#vector}); cached. Do not modify the result. */
    static float[] vector(Weight w, int n) {
        if ((long) w.rows() * w.cols() != n) {
            throw new IllegalArgumentException(w.name() + ": expected " + n + " elements, has " + w.rows() + "x" + w.cols());
        }
        float[] f = (float[]) lookup(w, 0);
        if (f != null) return f;
        f = SimdTensors.vector(w, n);
        store(w, 0, f, 4L * f.length);
        return f;
    }

    /** The whole of w dequantised to floats [rows][cols] ({@link SimdDequant}), or null when it does not fit the budget. */
    static float[] dequantized(Weight w) {
        float[] f = (float[]) lookup(w, 0);
        if (f != null) return f;
        long size = 4L * w.rows() * w.cols();
        synchronized (LOCK) {
            if (!fits(size)) return null;
        }
        f = new float[w.rows() * w.cols()];
        SimdDequant.rows(w, 0, w.rows(), f);
        store(w, 0, f, size);
        return f;
    }

    /**
     * The absorbed MLA's copy of kv_b at small sizes: w dequantised to floats [rows][cols], in each head's group of
     * {@code nope + vDim} rows the first nope (W_uk) as they are and the other vDim (W_uv) with their columns in the
     * run order of the kernels k ({@link SimdAttentionKernels#runOrderRows}): a float[], or, when every value is a
     * bf16 number (kv_b's FP8 codes under ue8m0 scales) and the columns come in whole runs of 4L, those floats
     * packed two to an int ({@link SimdAttentionKernels#packBf16Pairs}): an int[] of half the bytes. Null when it
     * does not fit the budget. Tagged by k's width (minus its bit count), apart from the plain copy and the codes.
     */
    static Object absorbedKvB(Weight w, int nope, int vDim, SimdAttentionKernels k) {
        if (k.bits() == 0) throw new IllegalArgumentException(w.name() + ": no run order without vectors (scalar kernels)");
        if (w.rows() % (nope + vDim) != 0) throw new IllegalArgumentException(w.name() + ": " + w.rows() + " rows, not heads * (nope + v) = heads * " + (nope + vDim));
        int tag = -k.bits();
        Object known = lookup(w, tag);
        if (known != null) return known;
        long size = 4L * w.rows() * w.cols();
        synchronized (LOCK) {
            if (!fits(size)) return null;
        }
        int cols = w.cols();
        float[] f = new float[w.rows() * cols];
        SimdDequant.rows(w, 0, w.rows(), f);
        float[] uv = new float[vDim * cols];
        for (int r0 = nope; r0 < w.rows(); r0 += nope + vDim) {
            System.arraycopy(f, r0 * cols, uv, 0, uv.length);
            k.runOrderRows(uv, 0, vDim, cols, f, r0 * cols);
        }
        boolean bf16 = cols % (4 * (k.bits() / 32)) == 0;
        for (int i = 0; i < f.length && bf16; i++) bf16 = (Float.floatToRawIntBits(f[i]) & 0xFFFF) == 0;
        Object copy = f;
        if (bf16) {
            int[] packed = new int[f.length / 2];
            k.packBf16Pairs(f, 0, w.rows(), cols, packed, 0);
            copy = packed;
            size /= 2;
        }
        store(w, tag, copy, size);
        return copy;
    }

    /**
     * The codes of w in the GEMV's lane-per-row order for vectors of {@code lanes} ints, or null: on the first call
     * for a weight (a weight used once, as in a one-off check of a layer, is not worth reordering; a decode step
     * uses each weight again on the next token), beyond the budget, and when cols is not a multiple of the weight
     * block. The layout follows the fast GEMV's work list: items (G, b) are the groups of rows [G lanes, (G + 1)
     * lanes) by the k-blocks b, numbered I = G kb + b (kb blocks of bc codes per row), and runs of four
     * consecutive items are interleaved: for item I, the four codes from k = b bc + 4q of row G lanes + l are the
     * little-endian int {@code packed[(I / 4) 4 s + q 4 lanes + (I % 4) lanes + l]}, s = bc / 4 lanes ints per item.
     * So a run, which the GEMV's four FMA chains read together, is one sequential stream. Rows past the last whole
     * group are not included; the last run is padded with zeros to four items. Requires cols % 4 == 0, bc % 4 == 0
     * and rows >= lanes.
     */
    static int[] packedCodes(Fp8BlockWeight w, int lanes) { return packedCodes(w, lanes, SimdFp8Facts.of(w)); }

    /** {@link #packedCodes(Fp8BlockWeight, int)} with w's facts at hand: once made, the codes are found there. */
    static int[] packedCodes(Fp8BlockWeight w, int lanes, SimdFp8Facts facts) {
        int slot = SimdFp8Facts.packedSlot(lanes);
        int[] known = facts.packed().get(slot);
        if (known != null) return known;
        if (facts.packUses().getAndIncrement(slot) == 0) return null; // first use
        int bc = w.blockCols();
        if (w.cols() % bc != 0) return null; // the fast GEMV, the only reader, needs whole blocks
        int groups = w.rows() / lanes, kb = w.cols() / bc, itemInts = bc / 4 * lanes;
        long runs = ((long) groups * kb + 3) / 4;
        long size = 4L * runs * 4 * itemInts;
        synchronized (LOCK) {
            if (!fits(size)) return null;
        }
        int[] packed = new int[Math.toIntExact(size / 4)];
        MemorySegment codes = w.codes();
        long rowBytes = w.cols();
        SimdThreads.parallelFor(groups, (long) lanes * rowBytes, g -> {
            for (int b = 0; b < kb; b++) {
                int item = g * kb + b, base = item / 4 * 4 * itemInts + item % 4 * lanes;
                for (int l = 0; l < lanes; l++) {
                    long row = ((long) g * lanes + l) * rowBytes + (long) b * bc;
                    for (int q = 0; q < bc / 4; q++) packed[base + q * 4 * lanes + l] = codes.get(SimdLayouts.I32, row + 4L * q);
                }
            }
        });
        if (store(w, lanes, packed, size)) facts.packed().set(slot, packed);
        return packed;
    }

    /** The repacked codes of w for {@code lanes} if they were made, without counting a use, from w's facts. */
    static int[] packedCodesIfMade(Fp8BlockWeight w, int lanes, SimdFp8Facts facts) { return facts.packed().get(SimdFp8Facts.packedSlot(lanes)); }

    /** The repacked codes of w for {@code lanes} if they were made, without counting a use (for tests). */
    static int[] packedCodesIfMade(Fp8BlockWeight w, int lanes) { return (int[]) lookup(w, lanes); }

    private static Object lookup(Weight w, int tag) { return COPIES.get(new SimdWeakKey.Probe(w, tag)); }

    /** Keeps the copy if it fits the budget; whether it is now the kept copy. */
    private static boolean store(Weight w, int tag, Object copy, long size) {
        synchronized (LOCK) {
            expunge();
            if (!fits(size)) return false;
            if (COPIES.putIfAbsent(new SimdWeakKey<>(w, tag, size, QUEUE), copy) != null) return false;
            bytes += size;
            return true;
        }
    }

    /**
     * Whether size more bytes fit the budget, after dropping, if they do not, the copies of weights whose storage is
     * no longer alive (a closed arena: a benchmark or a check that verified one layer and moved on). Those weights
     * are unusable but may not be collected for a long time (their records live in the old generation), and until
     * then their copies would hold the budget and leave the next weights without. Holds the lock.
     */
    private static boolean fits(long size) {
        if (bytes + size <= BUDGET) return true;
        dropDeadStorage();
        return bytes + size <= BUDGET;
    }

    /** Drops the copies of weights that are gone or whose storage is closed. Holds the lock. */
    private static void dropDeadStorage() {
        expunge();
        for (var it = COPIES.keySet().iterator(); it.hasNext(); ) {
            SimdWeakKey<?> k = (SimdWeakKey<?>) it.next();
            Weight w = (Weight) k.get();
            if (w == null || !storageAlive(w)) {
                it.remove();
                bytes -= k.size;
            }
        }
    }

    private static boolean storageAlive(Weight w) {
        return switch (w) {
            case Fp8BlockWeight f -> f.codes().scope().isAlive();
            case DenseWeight d -> d.data().scope().isAlive();
        };
    }

    /** The bytes of copies held, after dropping those of closed storage (for tests). */
    static long bytesHeldByLiveWeights() {
        synchronized (LOCK) {
            dropDeadStorage();
            return bytes;
        }
    }

    /** Drops the copies of weights that are gone. Holds the lock. */
    private static void expunge() {
        for (java.lang.ref.Reference<? extends Weight> r; (r = QUEUE.poll()) != null; ) {
            SimdWeakKey<?> k = (SimdWeakKey<?>) r;
            if (COPIES.remove(k) != null) bytes -= k.size;
        }
    }
}
