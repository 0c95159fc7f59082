package org.dsv32.optimized;

import org.dsv32.spec.weights.Fp8BlockWeight;

/**
 * The rows of x prepared for the FP8 GEMV fast path, which decodes each e4m3 code to its value times 2^-120 (the
 * code's bits placed in an fp32, without the multiply by 2^120 that would make it exact) and moves that power of
 * two onto x instead: a row scaled by 2^E, E = min(120, 127 - its largest exponent), so it cannot overflow.
 *
 * <p>Why the bits do not change: with s = E - 120 <= 0, every product a 2^E * w 2^-120 is the canonical product
 * times 2^s, and every FMA of the block sum rounds the canonical value times 2^s. Scaling by a power of two
 * commutes with rounding while no value leaves the normal range, so each block sum is the canonical one times
 * 2^s, and the promotion fma(blk 2^s, (sa sw) 2^-s, acc) multiplies out to the canonical product exactly. For
 * s = 0 (rows below 2^8, e.g. any exact-mode activation of normal size) nothing can leave the range. For s < 0 (fp8
 * mode: act_quant codes reach 448) a row is taken only when it provably stays in range: all its values are
 * multiples of 2^g (g from its smallest ulp) and the codes of 2^-9, so every partial sum is 0 or at least 2^(g-9)
 * in magnitude, which must remain normal after scaling; the canonical sum must not overflow; and (sa sw) 2^-s must
 * stay finite. Any other row (non-finite values, extreme ranges) goes the general way, decoding exactly.
 */
final class SimdGemvRows {
    /** The shift of a row that must take the general path. */
    static final int GENERAL = Integer.MIN_VALUE;

    /** Row i of x times 2^(shift[i] + 120), for rows with a shift. */
    final float[] scaled;
    /** s = E - 120 per row, or {@link #GENERAL}. */
    final int[] shift;
    /** The weight's codes in lane-per-row order ({@link SimdWeightCache#packedCodes}), or null: transpose per call. */
    final int[] packed;

    private SimdGemvRows(float[] scaled, int[] shift, int[] packed) {
        this.scaled = scaled;
        this.shift = shift;
        this.packed = packed;
    }

    /**
     * The prepared rows of an FP8 problem, or null when its weight has a NaN code (every row then goes the general
     * way); lanes: the int lanes of the kernel's vectors (0 or 1: no repacked codes); input: what is known of p's x
     * from earlier products reading it, or null.
     */
    static SimdGemvRows prepare(SimdGemmProblem p, int lanes, Input input) { return prepare(p, lanes, input, true); }

    /**
     * {@link #prepare(SimdGemmProblem, int, Input)}; repack: whether this use counts towards repacking the weight
     * ({@link SimdWeightCache#packedCodes}); without, only codes repacked before are used. The few-row products take
     * repacked codes but never make them: a GEMV's second use of a weight, a decode step, decides that.
     */
    static SimdGemvRows prepare(SimdGemmProblem p, int lanes, Input input, boolean repack) {
        if (p.kind != SimdGemmProblem.FP8) return null;
        SimdFp8Facts facts = SimdFp8Facts.of((Fp8BlockWeight) p.weight);
        if (facts.hasNanCode()) return null;
        if (input == null || !input.describes(p)) input = new Input(p.a, p.m, p.k);
        Input.Scan scan = input.scan();
        int[] shift = new int[p.m];
        for (int i = 0; i < p.m; i++) shift[i] = rowShift(p, i, scan.maxField()[i], scan.minField()[i], facts.maxAbsScale());
        Fp8BlockWeight w = (Fp8BlockWeight) p.weight;
        boolean packable = lanes > 1 && p.k % (4 * lanes) == 0 && p.blockCols % (4 * lanes) == 0 && p.n >= lanes;
        int[] packed = !packable ? null : repack ? SimdWeightCache.packedCodes(w, lanes, facts) : SimdWeightCache.packedCodesIfMade(w, lanes, facts);
        return new SimdGemvRows(scan.scaled(), shift, packed);
    }

    /**
     * The shift s_i of every row of p's x ({@link #rowShift}) without a rescaled copy: shifts[i] = s_i and true, or
     * false as soon as a row has none (some row must decode exactly, and then all do; the weight has no NaN code).
     * Row i of the rescaled x is then x times {@link #rescale}(s_i), the multiplier {@link Input#scan} applies, and
     * its promotion is multiplied by {@link #promotion}(s_i); the few-row GEMM rescales while it interleaves its
     * rows ({@link SimdGemmRowGroups}), one pass over x instead of two.
     */
    static boolean rowShifts(SimdGemmProblem p, int[] shifts) {
        SimdFp8Facts facts = SimdFp8Facts.of((Fp8BlockWeight) p.weight);
        SimdRowKernels kernels = SimdRowKernels.current();
        int[] range = new int[2];
        for (int i = 0; i < p.m; i++) {
            kernels.absBitsRange(p.a, i * p.k, p.k, range);
            shifts[i] = rowShift(p, i, range[0] >>> 23, minField(range[1]), facts.maxAbsScale());
            if (shifts[i] == GENERAL) return false;
        }
        return true;
    }

    /** The multiplier of row i of x in the rescaled rows ({@link Input#scan}) for a row with shift s: 2^(s + 120). */
    static float rescale(int shift) { return Math.scalb(1f, shift + 120); }

    /**
     * An input x [m][k] of GEMVs, scanned once for the exponent range of each row (what {@link #rowShift} needs of
     * it), with its rescaled copy, made once for all products sharing the input (an {@link SimdLinear.Activation}).
     * Safe to share between threads. The values must not change while it is in use (as for the Activation holding
     * it).
     */
    static final class Input {
        /**
         * Per row: the largest fp32 exponent field, and the smallest of the nonzero values (255 if none); and x
         * with each row i times 2^(s_i + 120), s_i the shift its exponent range gives ({@link #rowShift}: the only
         * shift a row can take; a weight can only send it the general way, which does not read it). Do not modify.
         */
        record Scan(int[] maxField, int[] minField, float[] scaled) {}

        private final float[] a;
        private final int m, k;
        private Scan scan;

        /** Cheap: the scan is made by the first {@link #scan()}. */
        Input(float[] a, int m, int k) {
            this.a = a;
            this.m = m;
            this.k = k;
        }

        boolean describes(SimdGemmProblem p) { return describes(p.a, p.m, p.k); }

        boolean describes(float[] a, int m, int k) { return this.a == a && this.m == m && this.k == k; }

        /** The scan of x, made on first use. */
        synchronized Scan scan() {
            if (scan != null) return scan;
            int[] maxField = new int[m], minField = new int[m], range = new int[2];
            float[] scaled = new float[m * k];
            SimdRowKernels kernels = SimdRowKernels.current();
            for (int i = 0; i < m; i++) {
                // the extremes of the bits of |x| give those of the exponent fields
                kernels.absBitsRange(a, i * k, k, range);
                maxField[i] = range[0] >>> 23;
                minField[i] = minField(range[1]);
                if (maxField[i] == 255) continue; // NaN or infinity: always the general way
                kernels.scale(a, i * k, rescale(naturalShift(maxField[i])), scaled, i * k, k);
            }
            scan = new Scan(maxField, minField, scaled);
            return scan;
        }
    }

    /** The exponent field of the smallest nonzero |x| of a row from its bits ({@code absBitsRange}), 255 if none. */
    private static int minField(int minNonzeroBits) { return minNonzeroBits == Integer.MAX_VALUE ? 255 : minNonzeroBits >>> 23; }

    /** The multiplier of the promotion scale sa * sw of a row with shift s: 2^-s. */
    static float promotion(int shift) { return Math.scalb(1f, -shift); }

    /** s = E - 120 for a row whose largest exponent field is maxField: E = min(120, 127 - its exponent). */
    private static int naturalShift(int maxField) { return Math.min(120, 127 - (maxField - 127)) - 120; }

    private static int rowShift(SimdGemmProblem p, int i, int maxField, int minField, float maxAbsScale) {
        if (maxField == 255) return GENERAL; // NaN or infinity
        int maxExp = maxField - 127; // -127 for zero and subnormals: nothing to fear
        int s = naturalShift(maxField);
        if (s == 0) return 0;
        // every value is a multiple of 2^g: its ulp (subnormals: 2^-149)
        int g = Math.max(minField, 1) - 150;
        if (g - 9 + s < -126) return GENERAL;
        // |canonical block sum| < blockCols * 2^(maxExp + 1) * 448 < 2^(maxExp + 10 + log2 blockCols) must be finite
        if (maxExp + 10 + (32 - Integer.numberOfLeadingZeros(p.blockCols)) > 127) return GENERAL;
        // (sa sw) 2^-s must be finite
        double maxSa = 1;
        if (p.aScales != null) {
            maxSa = 0;
            for (int b = 0; b < p.kBlocks; b++) maxSa = Math.max(maxSa, Math.abs(p.aScales[i * p.kBlocks + b]));
        }
        if (!(maxSa * maxAbsScale * Math.scalb(1.0, -s) < 0x1p127)) return GENERAL;
        return s;
    }
}
