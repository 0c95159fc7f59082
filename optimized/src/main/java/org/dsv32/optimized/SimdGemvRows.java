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
     * way); lanes: the int lanes of the kernel's vectors (0 or 1: no repacked codes).
     */
    static SimdGemvRows prepare(SimdGemmProblem p, SimdGemmScratch s, int lanes) {
        if (p.kind != SimdGemmProblem.FP8) return null;
        SimdFp8Facts facts = SimdFp8Facts.of((Fp8BlockWeight) p.weight);
        if (facts.hasNanCode()) return null;
        int k = p.k;
        float[] scaled = s.gemvRows(p.m * k);
        int[] shift = new int[p.m];
        for (int i = 0; i < p.m; i++) {
            shift[i] = rowShift(p, i, facts.maxAbsScale());
            if (shift[i] == GENERAL) continue;
            float f = Math.scalb(1f, shift[i] + 120);
            for (int c = i * k, end = c + k; c < end; c++) scaled[c] = p.a[c] * f;
        }
        Fp8BlockWeight w = (Fp8BlockWeight) p.weight;
        boolean packable = lanes > 1 && p.k % (4 * lanes) == 0 && p.blockCols % (4 * lanes) == 0 && p.n >= lanes;
        return new SimdGemvRows(scaled, shift, packable ? SimdWeightCache.packedCodes(w, lanes) : null);
    }

    /** The multiplier of the promotion scale sa * sw of a row with shift s: 2^-s. */
    static float promotion(int shift) { return Math.scalb(1f, -shift); }

    private static int rowShift(SimdGemmProblem p, int i, float maxAbsScale) {
        int maxField = 0, minField = 255;
        for (int c = i * p.k, end = c + p.k; c < end; c++) {
            int bits = Float.floatToRawIntBits(p.a[c]) & 0x7FFFFFFF;
            int field = bits >>> 23;
            maxField = Math.max(maxField, field);
            if (bits != 0) minField = Math.min(minField, field);
        }
        if (maxField == 255) return GENERAL; // NaN or infinity
        int maxExp = maxField - 127; // -127 for zero and subnormals: nothing to fear
        int e = Math.min(120, 127 - maxExp);
        int s = e - 120;
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
