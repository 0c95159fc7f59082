package org.dsv32.conformance;

import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.tolerance.Tier;

/**
 * One comparison of a check: the candidate's mode and the tier (TIGHT: the reference in the same mode; LOOSE:
 * candidate fp8 against the reference in exact mode).
 */
public record ModeTier(PrecisionMode candidateMode, Tier tier) {
    public static final ModeTier EXACT_TIGHT = new ModeTier(PrecisionMode.EXACT, Tier.TIGHT);
    public static final ModeTier FP8_TIGHT = new ModeTier(PrecisionMode.FP8, Tier.TIGHT);
    public static final ModeTier FP8_LOOSE = new ModeTier(PrecisionMode.FP8, Tier.LOOSE);
    /** bf16 candidate against the bf16 reference: the statistical gate of spec/TOLERANCES.md §5b. */
    public static final ModeTier BF16_TIGHT = new ModeTier(PrecisionMode.BF16, Tier.TIGHT);

    public ModeTier {
        if (tier == Tier.LOOSE && candidateMode != PrecisionMode.FP8) throw new IllegalArgumentException("LOOSE is fp8 against exact");
    }

    /** The mode the reference runs in. */
    public PrecisionMode referenceMode() { return tier == Tier.LOOSE ? PrecisionMode.EXACT : candidateMode; }

    public String label() { return candidateMode.label() + "/" + tier.label(); }
}
