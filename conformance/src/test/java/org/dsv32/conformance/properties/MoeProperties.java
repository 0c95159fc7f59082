package org.dsv32.conformance.properties;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.conformance.checks.MoeCheck;
import org.dsv32.spec.config.ModelConfig;

/** The MoE layer of any backend against the reference replaying its routing. */
class MoeProperties extends OperationProperties<MoeCheck> {
    MoeProperties() { super(new MoeCheck()); }

    @Property(tries = 6, seed = "111")
    void conformsToTheReference(@ForAll @IntRange(min = 1, max = 4) int tokens, @ForAll long seed, @ForAll @IntRange(min = 0, max = 2) int comparison) {
        ModelConfig c = ConformanceConfigs.small();
        SplittableRandom rng = new SplittableRandom(seed);
        var w = RandomWeights.moe(rng, c, 1, c.activationScaleFormat(), 0.2);
        assertConforms(check, new MoeCheck.Case("generated", c, w, RandomInputs.gaussian(rng, 1, tokens, c.hiddenSize())), modeTier(check, comparison));
    }
}
