package org.dsv32.optimized;

/**
 * The rows of x of a few-row product ({@link SimdGemmKernels#gemmRows}) in groups of R = 8, 4 or 2 rows, each
 * group interleaved as [k][R] (value k of the group's row r at {@code values[offset + k R + r]}), so that a register
 * tile of R rows finds its R values of each k side by side. The last group is padded with zero rows up to its R;
 * their outputs are computed and dropped.
 *
 * <p>Why the groups: the kernel decodes each W element once and multiplies it into all R rows of a group (R FMAs per
 * decoded vector), so the decode is paid once per group rather than once per row; R sets how many independent FMA
 * chains run (an 8-row group against two W vectors or two k-blocks: 16; smaller groups run more, see the kernel). Grouping changes nothing
 * in what each output element is: every one is summed in the canonical order of {@link SimdGemmProblem}.
 */
final class SimdGemmRowGroups {
    /** The largest group. */
    static final int MAX_ROWS = 8;

    /** Group i covers rows first[i] .. first[i] + real[i] - 1 of x, interleaved by size[i] from offset[i]. */
    final int[] first, real, size, offset;
    final float[] values;
    /**
     * Whether values hold x rescaled ({@link SimdGemvRows#rowShifts}): the kernel then decodes codes without the
     * 2^120 multiply and multiplies row i's promotion scale by up[i]; null up: x as is, exact decoding.
     */
    final float[] up;

    private SimdGemmRowGroups(int[] first, int[] real, int[] size, int[] offset, float[] values, float[] up) {
        this.first = first;
        this.real = real;
        this.size = size;
        this.offset = offset;
        this.values = values;
        this.up = up;
    }

    boolean scaled() { return up != null; }

    /**
     * The groups of p's x: rescaled for the fast decode when the weight is FP8 without NaN codes in whole blocks of
     * whole chunks of {@code chunk} codes and every row takes a shift ({@link SimdGemvRows#rowShifts}), else x as is.
     * A weight with e4m3 subnormal codes keeps x as is: the fast decode would leave fp32 subnormals in the panel, and
     * every row's FMA on one takes a microcode assist; the exact decode ({@code unpackExact}) makes normal values.
     */
    static SimdGemmRowGroups of(SimdGemmProblem p, int chunk) {
        if (p.kind == SimdGemmProblem.FP8 && chunk > 0 && p.k % p.blockCols == 0 && p.blockCols % chunk == 0
                && !SimdFp8Facts.of((org.dsv32.spec.weights.Fp8BlockWeight) p.weight).hasNanCode()
                && !SimdFp8Facts.of((org.dsv32.spec.weights.Fp8BlockWeight) p.weight).hasSubnormalCode()) {
            int[] shifts = new int[p.m];
            if (SimdGemvRows.rowShifts(p, shifts)) {
                float[] up = new float[p.m], times = new float[p.m];
                for (int i = 0; i < p.m; i++) {
                    up[i] = SimdGemvRows.promotion(shifts[i]);
                    times[i] = SimdGemvRows.rescale(shifts[i]);
                }
                return of(p.a, p.m, p.k, up, times);
            }
        }
        return of(p.a, p.m, p.k, null, null);
    }

    int count() { return first.length; }

    /** The padded size of a group of {@code rows} (1 .. 8) rows: the next of 2, 4, 8. */
    static int groupSize(int rows) {
        if (rows > 4) return 8;
        return rows > 2 ? 4 : 2;
    }

    /**
     * The groups of a's m rows of k: 8 rows at a time (the kernel's 8-row tiles take two W vectors at once; a group
     * of 16 padded a product of 9 to 15 rows to 16 and needed 17 loads per 16 FMAs, measured slower from 9 to 28
     * rows), the remainder as one group padded to 2, 4 or 8; row i times times[i] (the rescaled rows), or as is
     * for null times. The groups are filled on all threads (each group by one thread, the same values either way).
     * Rescaling while interleaving reads x once and writes one copy, where a rescaled copy and then its
     * interleaving on the calling thread took two: M = 16, K = 7168, 100-170 -> about 70 us per product.
     */
    private static SimdGemmRowGroups of(float[] a, int m, int k, float[] up, float[] times) {
        int step = MAX_ROWS;
        int n = (m + step - 1) / step;
        int[] first = new int[n], real = new int[n], size = new int[n], offset = new int[n];
        long total = 0;
        for (int i = 0; i < n; i++) {
            first[i] = i * step;
            real[i] = Math.min(step, m - first[i]);
            size[i] = groupSize(real[i]);
            offset[i] = Math.toIntExact(total);
            total += (long) size[i] * k;
        }
        float[] values = new float[Math.toIntExact(total)];
        // work per group: its values, counted as multiply-adds would be (a group of 8 x 7168 takes about 15 us)
        SimdThreads.parallelFor(n, 4L * step * k, i -> interleave(a, k, first[i], real[i], size[i], values, offset[i], times));
        return new SimdGemmRowGroups(first, real, size, offset, values, up);
    }

    /**
     * values[o + kk rs + r] = a[(r0 + r) k + kk] times f_r for r < real (f_r = times[r0 + r], or 1 for null times):
     * a group's rows interleaved. A full group of 8 runs k by k (eight read streams, contiguous stores); a smaller
     * one row by row. Values past real are left zero. Multiplying by a power of two, as the rescaled rows do, is
     * what {@link SimdGemvRows.Input#scan} computes (one fp32 multiply per value); x as is is copied, not multiplied.
     */
    private static void interleave(float[] a, int k, int r0, int real, int rs, float[] values, int o, float[] times) {
        if (real == 8 && rs == 8 && times != null) {
            interleave8(a, k, r0 * k, values, o, times[r0], times[r0 + 1], times[r0 + 2], times[r0 + 3], times[r0 + 4],
                    times[r0 + 5], times[r0 + 6], times[r0 + 7]);
            return;
        }
        for (int r = 0; r < real; r++) {
            int src = (r0 + r) * k, dst = o + r;
            if (times == null) {
                for (int kk = 0; kk < k; kk++) values[dst + kk * rs] = a[src + kk];
            } else {
                float f = times[r0 + r];
                for (int kk = 0; kk < k; kk++) values[dst + kk * rs] = a[src + kk] * f;
            }
        }
    }

    /** {@link #interleave} of 8 rows from a[src ..], rescaled by f0 .. f7, into values[o ..]. */
    private static void interleave8(float[] a, int k, int src, float[] values, int o, float f0, float f1, float f2, float f3,
                                    float f4, float f5, float f6, float f7) {
        for (int kk = 0; kk < k; kk++) {
            int d = o + 8 * kk, s = src + kk;
            values[d] = a[s] * f0;
            values[d + 1] = a[s + k] * f1;
            values[d + 2] = a[s + 2 * k] * f2;
            values[d + 3] = a[s + 3 * k] * f3;
            values[d + 4] = a[s + 4 * k] * f4;
            values[d + 5] = a[s + 5 * k] * f5;
            values[d + 6] = a[s + 6 * k] * f6;
            values[d + 7] = a[s + 7 * k] * f7;
        }
    }
}
