package org.dsv32.conformance.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.dsv32.spec.format.BF16;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;

/**
 * Seeded random inputs of the benchmarks at the real model's sizes, off the Java heap (so no 2 GB array limit and the
 * kernels read native memory, as they do from a memory-mapped checkpoint).
 *
 * <p>FP8 weights: codes drawn from a table of 256 e4m3 roundings of N(0, 64²) samples (so values use most of the
 * e4m3 range without saturating), block scales a power of two near 1 / (64 sqrt(cols)) times 2^{-1, 0 or +1} per
 * block; then W x has about the magnitude of x, as in a trained layer. Every value depends only on the seed, never
 * on the thread count that filled it.
 */
public final class BenchData {
    private BenchData() {}

    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Standard deviation of the code values before e4m3 rounding. */
    static final double CODE_SIGMA = 64;
    /** A thread that is not the caller, to ask whether a segment may be written from other threads. */
    private static final Thread ANOTHER_THREAD = Thread.ofPlatform().unstarted(() -> {});
    /** Bytes filled from one random stream (the unit of parallel filling). */
    private static final int CHUNK = 1 << 20;

    /** A random FP8 weight [rows][cols] with 128x128 blocks, codes and scales allocated in {@code arena}. */
    public static Fp8BlockWeight fp8(Arena arena, String name, int rows, int cols, long seed) {
        byte[] table = codeTable(seed);
        long bytes = (long) rows * cols;
        MemorySegment codes = arena.allocate(bytes, 64);
        int chunks = (int) ((bytes + CHUNK - 1) / CHUNK);
        IntStream chunkStream = IntStream.range(0, chunks);
        // a confined arena's memory may be written only by its owner; shared and global ones are filled in parallel
        if (codes.isAccessibleBy(ANOTHER_THREAD)) chunkStream = chunkStream.parallel();
        chunkStream.forEach(c -> {
            SplittableRandom r = new SplittableRandom(mix(seed, c));
            long from = (long) c * CHUNK, to = Math.min(bytes, from + CHUNK), o = from;
            for (; o + 8 <= to; o += 8) {
                long bits = r.nextLong(), packed = 0;
                for (int b = 0; b < 8; b++) packed |= (long) (table[(int) (bits >>> (8 * b)) & 0xFF] & 0xFF) << (8 * b);
                codes.set(I64, o, packed);
            }
            for (; o < to; o++) codes.set(ValueLayout.JAVA_BYTE, o, table[r.nextInt(256)]);
        });
        int sr = Fp8BlockWeight.scaleRows(rows, 128), sc = Fp8BlockWeight.scaleCols(cols, 128);
        MemorySegment scales = arena.allocate(4L * sr * sc, 64);
        float base = (float) Math.scalb(1.0, (int) Math.round(-Math.log(CODE_SIGMA * Math.sqrt(cols)) / Math.log(2)));
        SplittableRandom r = new SplittableRandom(mix(seed, -1));
        for (long i = 0; i < (long) sr * sc; i++) scales.set(F32, 4 * i, Math.scalb(base, r.nextInt(3) - 1));
        return Fp8BlockWeight.of(name, codes, scales, rows, cols);
    }

    /** A random bf16 weight [rows][cols] with entries of standard deviation {@code sigma} (plus {@code mean}). */
    public static DenseWeight bf16(Arena arena, String name, int rows, int cols, double mean, double sigma, long seed) {
        long n = (long) rows * cols;
        MemorySegment data = arena.allocate(2 * n, 64);
        Random r = new Random(seed);
        for (long i = 0; i < n; i++) data.set(I16, 2 * i, BF16.fromDouble(mean + sigma * r.nextGaussian()));
        return new DenseWeight(name, data, DType.BF16, rows, cols);
    }

    /** A random fp32 vector (one row) of n entries, e.g. a correction bias. */
    public static DenseWeight f32(Arena arena, String name, int n, double sigma, long seed) {
        MemorySegment data = arena.allocate(4L * n, 64);
        Random r = new Random(seed);
        for (int i = 0; i < n; i++) data.set(F32, 4L * i, (float) (sigma * r.nextGaussian()));
        return new DenseWeight(name, data, DType.F32, 1, n);
    }

    /** n floats from N(0, sigma²). */
    public static float[] gaussian(int n, double sigma, long seed) {
        Random r = new Random(seed);
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) (sigma * r.nextGaussian());
        return f;
    }

    /**
     * The first {@code rows} rows of an FP8 weight, sharing its storage: the same codes and the scale rows that cover
     * them (a slice at a multiple of the block height, or the whole weight, keeps every element's scale).
     */
    public static Fp8BlockWeight firstRows(Fp8BlockWeight w, int rows) {
        if (rows == w.rows()) return w;
        if (rows <= 0 || rows > w.rows() || rows % w.blockRows() != 0) {
            throw new IllegalArgumentException(w.name() + ": cannot take " + rows + " of " + w.rows()
                    + " rows (need a positive multiple of " + w.blockRows() + ")");
        }
        long scaleBytes = 4L * Fp8BlockWeight.scaleRows(rows, w.blockRows()) * w.scaleCols();
        return new Fp8BlockWeight(w.name() + "[0:" + rows + "]", w.codes().asSlice(0, (long) rows * w.cols()),
                w.scales().asSlice(0, scaleBytes), rows, w.cols(), w.blockRows(), w.blockCols());
    }

    /** The 256 codes the weight bytes are drawn from. */
    private static byte[] codeTable(long seed) {
        Random r = new Random(mix(seed, -2));
        byte[] t = new byte[256];
        for (int i = 0; i < t.length; i++) t[i] = E4M3.encode(CODE_SIGMA * r.nextGaussian());
        return t;
    }

    static long mix(long seed, long stream) {
        long z = seed * 0x9E3779B97F4A7C15L + stream * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
