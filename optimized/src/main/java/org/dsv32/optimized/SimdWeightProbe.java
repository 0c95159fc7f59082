package org.dsv32.optimized;

import org.dsv32.spec.weights.Fp8BlockWeight;

/**
 * What the benchmarks need to time the GEMV of an FP8 weight whose codes are not repacked (a weight's first use,
 * and every use of a weight beyond {@code -Ddsv32.weightCacheMiB}) without changing how any other weight is treated.
 */
public final class SimdWeightProbe {
    private SimdWeightProbe() {}

    /**
     * Makes what the GEMV learns of {@code w} by one scan of its bytes on first use (NaN codes, largest block scale;
     * kept for w's lifetime, so a weight beyond the repack budget pays it once) without counting a use toward
     * repacking its codes: the next GEMV on {@code w} is still its first use as far as repacking goes.
     */
    public static void scan(Fp8BlockWeight w) { SimdFp8Facts.of(w); }

    /** Whether the GEMV has repacked the codes of {@code w} for any vector width. */
    public static boolean repacked(Fp8BlockWeight w) {
        for (int lanes = 4; lanes <= 16; lanes *= 2) {
            if (SimdWeightCache.packedCodesIfMade(w, lanes) != null) return true;
        }
        return false;
    }
}
