package org.dsv32.reference;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;

/** Heap weights and activations with seeded random content for the reference tests. */
final class TestWeights {
    private TestWeights() {}

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A random finite e4m3 code (never the NaN codes 0x7F / 0xFF). */
    static byte finiteCode(Random rnd) {
        while (true) {
            byte c = (byte) rnd.nextInt(256);
            if (!Double.isNaN(E4M3.decode(c))) return c;
        }
    }

    /**
     * An FP8 weight [rows][cols] with 128x128 blocks: random finite codes, and per block a random positive fp32
     * scale of magnitude 2^-12 .. 2^-4 with a random mantissa (so that plain scales are not powers of two).
     */
    static Fp8BlockWeight fp8(String name, int rows, int cols, Random rnd) {
        byte[] codes = new byte[rows * cols];
        for (int i = 0; i < codes.length; i++) codes[i] = finiteCode(rnd);
        int sr = Fp8BlockWeight.scaleRows(rows, 128), sc = Fp8BlockWeight.scaleCols(cols, 128);
        MemorySegment scales = MemorySegment.ofArray(new byte[4 * sr * sc]);
        for (int i = 0; i < sr * sc; i++) {
            float s = (float) Math.scalb(1.0 + rnd.nextDouble(), -4 - rnd.nextInt(9));
            scales.set(F32_LE, 4L * i, s);
        }
        return Fp8BlockWeight.of(name, MemorySegment.ofArray(codes), scales, rows, cols);
    }

    /** A dense fp64 weight [rows][cols] with entries uniform in (-amplitude, amplitude). */
    static DenseWeight dense(String name, int rows, int cols, double amplitude, Random rnd) {
        double[] v = new double[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = amplitude * (2 * rnd.nextDouble() - 1);
        return DenseWeight.ofDoubles(name, v, rows, cols);
    }

    /** A dense fp64 weight holding exactly {@code values} as one row (norm weights, biases). */
    static DenseWeight vector(String name, double... values) {
        return DenseWeight.ofDoubles(name, values.clone(), 1, values.length);
    }

    /** A random matrix [rows][cols] with entries uniform in (-amplitude, amplitude). */
    static TensorF64 matrix(int rows, int cols, double amplitude, Random rnd) {
        double[] v = new double[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = amplitude * (2 * rnd.nextDouble() - 1);
        return TensorF64.wrap(v, rows, cols);
    }

    /**
     * A random activation [rows][cols] whose 128-column tiles have very different magnitudes (2^-20 .. 2^20), as
     * real activations do, so that scales cover a wide range.
     */
    static TensorF64 activation(int rows, int cols, Random rnd) {
        TensorF64 x = TensorF64.zeros(rows, cols);
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < cols; t += 128) {
                double magnitude = Math.scalb(1.0, rnd.nextInt(41) - 20);
                for (int c = t; c < Math.min(cols, t + 128); c++) x.put(r, c, magnitude * rnd.nextGaussian());
            }
        }
        return x;
    }
}
