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
     * Whether values hold x rescaled ({@link SimdGemvRows#scaledRows}): the kernel then decodes codes without the
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
     * whole chunks of {@code chunk} codes and every row takes a shift ({@link SimdGemvRows#scaledRows}), else x as is.
     * A weight with e4m3 subnormal codes keeps x as is: the fast decode would leave fp32 subnormals in the panel, and
     * every row's FMA on one takes a microcode assist; the exact decode ({@code unpackExact}) makes normal values.
     */
    static SimdGemmRowGroups of(SimdGemmProblem p, int chunk) {
        if (p.kind == SimdGemmProblem.FP8 && chunk > 0 && p.k % p.blockCols == 0 && p.blockCols % chunk == 0
                && !SimdFp8Facts.of((org.dsv32.spec.weights.Fp8BlockWeight) p.weight).hasNanCode()
                && !SimdFp8Facts.of((org.dsv32.spec.weights.Fp8BlockWeight) p.weight).hasSubnormalCode()) {
            int[] shifts = new int[p.m];
            float[] scaled = SimdGemvRows.scaledRows(p, shifts);
            if (scaled != null) {
                float[] up = new float[p.m];
                for (int i = 0; i < p.m; i++) up[i] = SimdGemvRows.promotion(shifts[i]);
                return of(scaled, p.m, p.k, up);
            }
        }
        return of(p.a, p.m, p.k, null);
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
     * rows), the remainder as one group padded to 2, 4 or 8.
     */
    private static SimdGemmRowGroups of(float[] a, int m, int k, float[] up) {
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
        for (int i = 0; i < n; i++) {
            int r0 = first[i], rs = size[i], o = offset[i];
            for (int r = 0; r < real[i]; r++) {
                int src = (r0 + r) * k;
                for (int kk = 0; kk < k; kk++) values[o + kk * rs + r] = a[src + kk];
            }
        }
        return new SimdGemmRowGroups(first, real, size, offset, values, up);
    }
}
