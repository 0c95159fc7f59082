package org.dsv32.conformance.properties;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.conformance.checks.MlaAttentionCheck;
import org.dsv32.spec.config.ModelConfig;

/** MLA attention of any backend against the reference replaying its key selection: prefill then decode. */
class MlaAttentionProperties extends OperationProperties<MlaAttentionCheck> {
    MlaAttentionProperties() { super(new MlaAttentionCheck()); }

    @Property(tries = 6, seed = "109")
    void conformsToTheReference(@ForAll @IntRange(min = 1, max = 8) int prefill, @ForAll @IntRange(min = 0, max = 2) int decodeSteps,
                                @ForAll @IntRange(min = 1, max = 8) int topk, @ForAll long seed, @ForAll @IntRange(min = 0, max = 2) int comparison) {
        ModelConfig c = ConformanceConfigs.small().withIndexTopk(topk);
        SplittableRandom rng = new SplittableRandom(seed);
        int[] steps = new int[1 + decodeSteps];
        steps[0] = prefill;
        for (int i = 1; i < steps.length; i++) steps[i] = 1;
        assertConforms(check, new MlaAttentionCheck.Case("generated", c, 0, steps, RandomWeights.attention(rng, c, 3, c.activationScaleFormat()),
                RandomInputs.gaussian(rng, 1, prefill + decodeSteps, c.hiddenSize()), rng.nextLong()), modeTier(check, comparison));
    }
}
