package org.dsv32.conformance.properties;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.conformance.checks.MoeGateCheck;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.weights.MoeWeights;

/** The MoE router of any backend against the reference, with correction biases of any strength. */
class MoeGateProperties extends OperationProperties<MoeGateCheck> {
    MoeGateProperties() { super(new MoeGateCheck()); }

    @Property(tries = 10, seed = "110")
    void conformsToTheReference(@ForAll @IntRange(min = 1, max = 8) int tokens, @ForAll @DoubleRange(min = 0, max = 1) double biasStd,
                                @ForAll long seed, @ForAll @IntRange(min = 0, max = 1) int comparison) {
        ModelConfig c = ConformanceConfigs.small();
        SplittableRandom rng = new SplittableRandom(seed);
        MoeWeights w = RandomWeights.moe(rng, c, 1, c.activationScaleFormat(), biasStd);
        assertConforms(check, new MoeGateCheck.Case("generated", c, w, RandomInputs.gaussian(rng, 1, tokens, c.hiddenSize())), modeTier(check, comparison));
    }
}
