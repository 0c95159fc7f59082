package org.dsv32.reference;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.dsv32.spec.format.BF16;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;

/** Seeded random heap weights for tests: FP8 block-scaled, bf16 and fp64 dense. */
final class TestWeights {
    private TestWeights() {}

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * An FP8 weight [rows][cols] with 128x128 blocks whose dequantised values are about N(0, 1/cols): each block
     * gets a random power-of-two scale (as ue8m0 checkpoints have) and the codes round gaussian values to e4m3.
     */
    static Fp8BlockWeight fp8(String name, int rows, int cols, Random rnd) {
        int sr = Fp8BlockWeight.scaleRows(rows, 128), sc = Fp8BlockWeight.scaleCols(cols, 128);
        float[] scales = new float[sr * sc];
        for (int i = 0; i < scales.length; i++) scales[i] = (float) Math.scalb(1.0, -9 - rnd.nextInt(3));
        double std = 1.0 / Math.sqrt(cols);
        MemorySegment codes = MemorySegment.ofArray(new byte[rows * cols]);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double scale = scales[(r / 128) * sc + c / 128];
                codes.set(ValueLayout.JAVA_BYTE, (long) r * cols + c, E4M3.encode(rnd.nextGaussian() * std / scale));
            }
        }
        MemorySegment s = MemorySegment.ofArray(new byte[4 * scales.length]);
        for (int i = 0; i < scales.length; i++) s.set(F32, 4L * i, scales[i]);
        return Fp8BlockWeight.of(name, codes, s, rows, cols);
    }

    /** A bf16 weight holding {@code values} rounded to bf16. */
    static DenseWeight bf16(String name, double[] values, int rows, int cols) {
        MemorySegment seg = MemorySegment.ofArray(new byte[2 * values.length]);
        for (int i = 0; i < values.length; i++) seg.set(I16, 2L * i, BF16.fromDouble(values[i]));
        return new DenseWeight(name, seg, DType.BF16, rows, cols);
    }

    /** A bf16 weight with N(0, std^2) entries. */
    static DenseWeight bf16Gaussian(String name, int rows, int cols, double std, Random rnd) {
        return bf16(name, gaussian(rows * cols, std, rnd), rows, cols);
    }

    static double[] gaussian(int n, double std, Random rnd) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextGaussian() * std;
        return v;
    }
}
