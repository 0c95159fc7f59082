package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.spec.weights.Fp8BlockWeight;

/**
 * The fast GEMV over several rows of x at once ({@link SimdGemmKernels#gemv} with m1 - m0 > 1: runs of up to 16
 * rows that all have a shift share each decoded W vector, by kernels of 2, 4, 8 or 16 rows, the last rows of a
 * kernel repeated when the run is shorter; a row without a shift, or a single row left over, goes the one-row way)
 * gives every row the canonical bits of {@link SimdGemmProblem}: at every width, on W's first use (codes
 * transposed per call) and on its repacked codes, for every row count from 1 to 20 (16 + 4, 8 padded, ...),
 * rows that must decode exactly anywhere among them, ragged N with rows a lane stride apart, and the same through
 * {@link SimdFp8Gemm#multiply}, whose products of up to {@link SimdGemmDriver#GEMV_ROWS_MAX} rows take this path.
 */
class SimdGemvMultiRowProperties {
    @Property(tries = 40, seed = "20261205")
    void everyRowRunGivesTheCanonicalBits(@ForAll long seed, @ForAll @IntRange(min = 1, max = 20) int m,
                                          @ForAll @IntRange(min = 0, max = 3) int shape, @ForAll @IntRange(min = -1, max = 19) int generalRow,
                                          @ForAll boolean subnormalCodes) {
        Random rnd = new Random(seed);
        // (N, K, block rows): 8 blocks per row (two runs of four chains); N ragged (a tail group of fewer than L
        // rows); K = 1536, below a page (rows a lane stride apart); 64-row blocks (one group spans two block rows)
        int[][] shapes = {{160, 1024, 128}, {211, 512, 128}, {256, 1536, 128}, {96, 384, 64}};
        int n = shapes[shape][0], k = shapes[shape][1], br = shapes[shape][2];
        float[] x = SimdTestData.gaussian(rnd, m * k, 2f);
        // row generalRow (when it exists) is out of the rescaling's range: it must take the exact, one-row path
        if (generalRow >= 0 && generalRow < m) {
            x[generalRow * k] = 0x1p120f;
            x[generalRow * k + 1] = Float.MIN_VALUE;
        }
        int kb = k / 128;
        float[] sa = new float[m * kb];
        for (int i = 0; i < sa.length; i++) sa[i] = Math.scalb(1f, rnd.nextInt(20) - 10);
        long wseed = rnd.nextLong();
        float[] canonical = new float[m * n];
        Fp8BlockWeight w0 = weight(new Random(wseed), n, k, br, subnormalCodes);
        SimdSpecies.withBits(0, () -> SimdFp8Gemm.multiply(x, sa, m, w0, canonical));
        for (int bits : SimdSpecies.supportedBits()) {
            if (bits == 0) continue;
            // a fresh weight per width: its first product transposes, the second reads the repacked codes
            Fp8BlockWeight w = weight(new Random(wseed), n, k, br, subnormalCodes);
            for (int use = 0; use < 2; use++) {
                float[] y = new float[m * n];
                SimdSpecies.withBits(bits, () -> {
                    SimdGemmKernels kernels = SimdGemmKernels.current();
                    SimdGemmProblem p = SimdGemmProblem.fp8(x, sa, m, w, y);
                    SimdGemvRows rows = SimdGemvRows.prepare(p, bits / 32, null);
                    for (int n0 = 0; n0 < n; n0 += SimdGemmDriver.UNIT_N) {
                        kernels.gemv(p, rows, 0, m, n0, Math.min(n, n0 + SimdGemmDriver.UNIT_N), SimdGemmScratch.get());
                    }
                });
                assertBits(canonical, y, m, n, "kernel, width " + bits + (use == 0 ? ", first use" : ", repacked") + ", shape " + shape
                        + ", general row " + generalRow);
                if (use == 1) assertNotNull(SimdWeightCache.packedCodesIfMade(w, bits / 32), "width " + bits + ": repacked on the second use");
            }
            float[] y = new float[m * n];
            SimdSpecies.withBits(bits, () -> SimdFp8Gemm.multiply(x, sa, m, w, y));
            assertBits(canonical, y, m, n, "SimdFp8Gemm.multiply, width " + bits + ", shape " + shape + ", general row " + generalRow
                    + (subnormalCodes ? ", subnormal codes" : ""));
        }
    }

    /**
     * A random weight; without subnormal codes unless asked (with them, {@link SimdFp8Gemm#multiply} of several rows
     * takes the few-row GEMM instead of this path, see {@link SimdGemmDriver#subnormalRows}).
     */
    private static Fp8BlockWeight weight(Random rnd, int n, int k, int br, boolean subnormalCodes) {
        Fp8BlockWeight w = SimdTestData.fp8Weight(rnd, n, k, br, 128, true, false);
        return subnormalCodes ? w : SimdTestData.withoutSubnormalCodes(w);
    }

    private static void assertBits(float[] canonical, float[] y, int m, int n, String what) {
        for (int i = 0; i < y.length; i++) {
            if (Float.floatToIntBits(y[i]) != Float.floatToIntBits(canonical[i])) {
                fail(what + ", M=" + m + " N=" + n + ": y[" + i / n + "][" + i % n + "] = " + y[i] + ", canonical " + canonical[i]);
            }
        }
    }
}
