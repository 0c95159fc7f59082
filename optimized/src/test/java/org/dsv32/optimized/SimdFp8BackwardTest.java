package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * The backward GEMMs' bits are fixed functions of their inputs (spec/SEMANTICS.md §5b): a scalar model written here
 * from the documented rules (act_quant's fp32 scale and division per tile, 1x128 tiles along each token of dY for
 * Dgrad, 128x1 tiles down the tokens of dY and X for Wgrad, fp32 block sums over 128 inner products promoted with
 * fma(blk, s_b * s_a, acc)) is reproduced bit for bit at every vector width and thread count, on ragged shapes, with
 * non-finite inputs and NaN weight codes. The register-tiled kernels pack A, decode B's codes in registers and cut
 * the product into units; none of that may show in the result.
 */
class SimdFp8BackwardTest {
    private static final int T = 128;

    @Property(tries = 12, seed = "1501")
    void dgradAndWgradAreTheScalarModelAtEveryWidthAndThreadCount(@ForAll @IntRange(min = 1, max = 200) int m,
            @ForAll @IntRange(min = 1, max = 300) int n, @ForAll @IntRange(min = 1, max = 600) int k, @ForAll boolean fp8,
            @ForAll boolean ue8m0, @ForAll boolean special, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] dy = inputs(rnd, m * n, special), x = inputs(rnd, m * k, special);
        Fp8BlockWeight w = SimdTestData.fp8Weight(rnd, n, k, T, T, ue8m0, special);
        OpContext ctx = new OpContext(ue8m0 ? org.dsv32.spec.config.ModelConfig.deepseekV32()
                : org.dsv32.spec.config.ModelConfig.deepseekV32().withQuantization(null), fp8 ? PrecisionMode.FP8 : PrecisionMode.EXACT);
        ScaleFormat format = ctx.scaleFormat();
        float[] wantDx = modelDgrad(dy, m, n, k, w, fp8, format), wantDw = modelWgrad(dy, x, m, n, k, fp8, format);
        for (int bits : SimdSpecies.supportedBits()) {
            for (int threads : new int[] {1, 3}) {
                float[] dx = new float[m * k], dw = new float[n * k];
                SimdSpecies.withBits(bits, () -> SimdThreads.withThreads(threads, () -> {
                    SimdFp8Backward op = new SimdFp8Backward(ctx);
                    op.dgrad(dy, m, w, dx);
                    op.wgrad(dy, x, m, n, k, dw);
                    return null;
                }));
                String where = (fp8 ? "fp8" : "exact") + ", width " + bits + ", " + threads + " threads, " + m + "x" + n + "x" + k;
                for (int i = 0; i < dx.length; i++) assertEquals(wantDx[i], dx[i], 0f, "dX element " + i + ", " + where);
                for (int i = 0; i < dw.length; i++) assertEquals(wantDw[i], dw[i], 0f, "dW element " + i + ", " + where);
            }
        }
    }

    /** Gaussian values over several binades; with {@code special} also zeros, values that quantise to subnormals, inf and NaN. */
    private static float[] inputs(Random rnd, int size, boolean special) {
        float[] f = new float[size];
        for (int i = 0; i < size; i++) {
            f[i] = (float) (rnd.nextGaussian() * Math.scalb(1.0, rnd.nextInt(9) - 4));
            if (special && rnd.nextInt(50) == 0) {
                float[] odd = {0f, -0f, 1e-30f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
                f[i] = odd[rnd.nextInt(odd.length)];
            }
        }
        return f;
    }

    /** dX = dY W: dY per token in 1x128 tiles along N (fp8), W's codes and block scales; the canonical order. */
    static float[] modelDgrad(float[] dy, int m, int n, int k, Fp8BlockWeight w, boolean fp8, ScaleFormat format) {
        int nb = (n + T - 1) / T;
        float[] q = dy.clone(), s = new float[m * nb];
        java.util.Arrays.fill(s, 1f);
        if (fp8) {
            for (int i = 0; i < m; i++) {
                for (int b = 0; b < nb; b++) {
                    int t0 = b * T, t1 = Math.min(n, t0 + T);
                    float amax = 0f;
                    for (int t = t0; t < t1; t++) amax = Math.max(amax, Math.abs(dy[i * n + t]));
                    float sc = Fp8Codec.actQuantScale(amax, format);
                    s[i * nb + b] = sc;
                    for (int t = t0; t < t1; t++) q[i * n + t] = Fp8Codec.decodeE4M3(Fp8Codec.encodeE4M3(dy[i * n + t] / sc));
                }
            }
        }
        float[] out = new float[m * k];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) {
                float acc = 0f;
                for (int b = 0; b < nb; b++) {
                    float blk = 0f;
                    for (int t = b * T; t < Math.min(n, b * T + T); t++) blk = Math.fma(q[i * n + t], Fp8Codec.decodeE4M3(w.code(t, j)), blk);
                    acc = Math.fma(blk, w.scale(b, j / T) * s[i * nb + b], acc);
                }
                out[i * k + j] = acc;
            }
        }
        return out;
    }

    /** dW = dY^T X: both in 128x1 tiles down the tokens (fp8); the canonical order. */
    static float[] modelWgrad(float[] dy, float[] x, int m, int n, int k, boolean fp8, ScaleFormat format) {
        int mb = (m + T - 1) / T;
        float[] sy = new float[n * mb], sx = new float[k * mb];
        float[] qy = fp8 ? columnTiles(dy, m, n, sy, format) : dy, qx = fp8 ? columnTiles(x, m, k, sx, format) : x;
        if (!fp8) {
            java.util.Arrays.fill(sy, 1f);
            java.util.Arrays.fill(sx, 1f);
        }
        float[] out = new float[n * k];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                float acc = 0f;
                for (int b = 0; b < mb; b++) {
                    float blk = 0f;
                    for (int t = b * T; t < Math.min(m, b * T + T); t++) blk = Math.fma(qy[t * n + i], qx[t * k + j], blk);
                    acc = Math.fma(blk, sx[j * mb + b] * sy[i * mb + b], acc);
                }
                out[i * k + j] = acc;
            }
        }
        return out;
    }

    /** 128x1 tiles of a [rows][cols]: decoded values in a's layout, scales [col][block]. */
    private static float[] columnTiles(float[] a, int rows, int cols, float[] scales, ScaleFormat format) {
        int rb = (rows + T - 1) / T;
        float[] q = new float[a.length];
        for (int c = 0; c < cols; c++) {
            for (int b = 0; b < rb; b++) {
                int r0 = b * T, r1 = Math.min(rows, r0 + T);
                float amax = 0f;
                for (int r = r0; r < r1; r++) amax = Math.max(amax, Math.abs(a[r * cols + c]));
                float sc = Fp8Codec.actQuantScale(amax, format);
                scales[c * rb + b] = sc;
                for (int r = r0; r < r1; r++) q[r * cols + c] = Fp8Codec.decodeE4M3(Fp8Codec.encodeE4M3(a[r * cols + c] / sc));
            }
        }
        return q;
    }
}
