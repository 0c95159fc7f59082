package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Kernel results are fixed functions of their inputs: the lane sums follow the documented tree order (halves folded
 * first), which a scalar model reproduces bit for bit at every width, and SwiGLU uses Math.exp. A kernel using
 * reduceLanes(ADD) or the Vector API's exp would give the interpreter's bits early and the compiled intrinsic's later
 * (observed for both), so results would depend on the JIT's progress and on which thread ran them.
 */
class SimdKernelOrderTest {
    /** The documented order: per-lane FMA chains over the full vectors, a tree fold of the lanes, then the scalar tail. */
    static float modelDot(float[] a, float[] b, int n, int lanes) {
        int full = lanes == 0 ? 0 : n - n % lanes;
        float result = 0f;
        if (lanes > 0) {
            float[] acc = new float[lanes];
            for (int i = 0; i < full; i += lanes) for (int l = 0; l < lanes; l++) acc[l] = Math.fma(a[i + l], b[i + l], acc[l]);
            for (int h = lanes / 2; h >= 1; h /= 2) {
                float[] next = new float[lanes];
                for (int l = 0; l < lanes; l++) next[l] = acc[l] + acc[l ^ h];
                acc = next;
            }
            result = acc[0];
        }
        for (int i = full; i < n; i++) result = Math.fma(a[i], b[i], result);
        return result;
    }

    @Property(tries = 30, seed = "13")
    void dotAndSumOfSquaresFollowTheTreeOrder(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int n) {
        Random rnd = new Random(seed);
        float[] a = SimdTestData.gaussian(rnd, n, 1f), b = SimdTestData.gaussian(rnd, n, 1000f);
        for (int bits : SimdSpecies.supportedBits()) {
            int lanes = bits / 32;
            float dot = SimdSpecies.withBits(bits, () -> SimdAttentionKernels.current().dot(a, 0, b, 0, n));
            assertEquals(modelDot(a, b, n, lanes), dot, 0f, "dot, width " + bits);
            float ss = SimdSpecies.withBits(bits, () -> SimdRowKernels.current().sumSquares(b, 0, n));
            assertEquals(modelDot(b, b, n, lanes), ss, 0f, "sumSquares, width " + bits);
        }
    }

    @Property(tries = 20, seed = "17")
    void siluMulUsesMathExp(@ForAll long seed) {
        Random rnd = new Random(seed);
        int n = 200;
        float[] g = SimdTestData.gaussian(rnd, n, 4f), u = SimdTestData.gaussian(rnd, n, 1f);
        for (int bits : SimdSpecies.supportedBits()) {
            float[] h = new float[n];
            SimdSpecies.withBits(bits, () -> SimdRowKernels.current().siluMul(g, 0, u, 0, h, 0, n));
            for (int i = 0; i < n; i++) assertEquals(g[i] / (1f + (float) Math.exp(-g[i])) * u[i], h[i], 0f, "width " + bits + " element " + i);
        }
    }
}
