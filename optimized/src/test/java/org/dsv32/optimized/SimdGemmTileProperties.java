package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.spec.weights.Fp8BlockWeight;

/**
 * The register-tiled FP8 GEMM ({@link SimdGemmKernels#gemm}, more than {@link SimdGemmDriver#ROWS_MAX} rows: rows of
 * x copied per k-block into a fixed-stride panel and padded to whole register tiles, units of
 * {@link SimdGemmDriver#TILE_N} columns) gives the canonical bits of {@link SimdGemmProblem}: at every width and on
 * 1, 2 and 3 threads it equals the scalar kernel (width 0), for row counts that fill the last register tile or not,
 * N within one unit or across several with a ragged last one, ragged K, block widths below, at and above the
 * panel's stride (the last take the scalar path), activation scales and NaN codes.
 */
class SimdGemmTileProperties {
    @Property(tries = 24, seed = "20261205")
    void everyRowCountShapeWidthAndThreadCountGivesTheCanonicalBits(
            @ForAll long seed, @ForAll @IntRange(min = 65, max = 200) int m, @ForAll @IntRange(min = 0, max = 5) int shape,
            @ForAll boolean nanCodes, @ForAll boolean activationScales) {
        Random rnd = new Random(seed);
        // (N, K, block rows, block cols): one unit, one block; N across units (ragged last), five blocks; ragged K
        // in 96-column blocks; 64-row blocks, N not a multiple of any width; blocks wider than the panel's stride
        // (scalar path); a short last k-block
        int[][] shapes = {{40, 128, 128, 128}, {530, 640, 128, 128}, {101, 203, 64, 96}, {77, 384, 64, 128},
                {70, 320, 128, 160}, {300, 200, 128, 128}};
        int n = shapes[shape][0], k = shapes[shape][1], br = shapes[shape][2], bc = shapes[shape][3];
        Fp8BlockWeight w = SimdTestData.fp8Weight(rnd, n, k, br, bc, rnd.nextBoolean(), false);
        if (nanCodes) w = withNanCodes(w, rnd);
        float[] x = SimdTestData.gaussian(rnd, m * k, 1f);
        float[] sa = null;
        if (activationScales) {
            sa = new float[m * ((k + bc - 1) / bc)];
            for (int i = 0; i < sa.length; i++) sa[i] = Math.scalb(1f, rnd.nextInt(40) - 20);
        }
        assertCanonical(w, x, sa, m, n, k, (nanCodes ? "NaN codes" : "finite codes") + (activationScales ? ", activation scales" : ""));
    }

    /** y of every width on 1, 2 and 3 threads equals the scalar kernel's, bit for bit (NaNs compared as NaN). */
    private static void assertCanonical(Fp8BlockWeight weight, float[] x, float[] sa, int m, int n, int k, String what) {
        float[] canonical = new float[m * n];
        SimdSpecies.withBits(0, () -> SimdFp8Gemm.multiply(x, sa, m, weight, canonical));
        for (int bits : SimdSpecies.supportedBits()) {
            for (int threads = 1; threads <= 3; threads++) {
                float[] y = new float[m * n];
                SimdThreads.withThreads(threads, () -> {
                    SimdSpecies.withBits(bits, () -> SimdFp8Gemm.multiply(x, sa, m, weight, y));
                    return null;
                });
                for (int i = 0; i < y.length; i++) {
                    if (Float.floatToIntBits(y[i]) != Float.floatToIntBits(canonical[i])) {
                        fail("width " + bits + ", " + threads + " threads, M=" + m + " N=" + n + " K=" + k + " (" + weight.blockRows()
                                + "x" + weight.blockCols() + " blocks), " + what + ": y[" + i / n + "][" + i % n + "] = " + y[i]
                                + ", canonical " + canonical[i]);
                    }
                }
            }
        }
    }

    /** w with a few of its codes replaced by the e4m3 NaN (S.1111.111). */
    private static Fp8BlockWeight withNanCodes(Fp8BlockWeight w, Random rnd) {
        byte[] codes = new byte[w.rows() * w.cols()];
        MemorySegment.copy(w.codes(), java.lang.foreign.ValueLayout.JAVA_BYTE, 0, codes, 0, codes.length);
        for (int i = 0; i < 3; i++) codes[rnd.nextInt(codes.length)] = (byte) (rnd.nextBoolean() ? 0x7F : 0xFF);
        return new Fp8BlockWeight("test.fp8.nan", MemorySegment.ofArray(codes), w.scales(), w.rows(), w.cols(), w.blockRows(), w.blockCols());
    }
}
