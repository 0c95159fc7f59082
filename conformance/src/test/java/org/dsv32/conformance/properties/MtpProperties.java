package org.dsv32.conformance.properties;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.conformance.checks.MtpCheck;
import org.dsv32.spec.config.ModelConfig;

/** The MTP module of any backend against the reference, from position 0 and then a decode step. */
class MtpProperties extends OperationProperties<MtpCheck> {
    MtpProperties() { super(new MtpCheck()); }

    @Property(tries = 3, seed = "114")
    void conformsToTheReference(@ForAll @IntRange(min = 1, max = 6) int prefill, @ForAll long seed, @ForAll @IntRange(min = 0, max = 1) int comparison) {
        ModelConfig c = ConformanceConfigs.small().withIndexTopk(4);
        SplittableRandom rng = new SplittableRandom(seed);
        int[] next = new int[prefill + 1];
        for (int i = 0; i < next.length; i++) next[i] = rng.nextInt(c.vocabSize());
        assertConforms(check, new MtpCheck.Case("generated", c, RandomWeights.model(rng, c, c.activationScaleFormat()),
                RandomInputs.gaussian(rng, 1, prefill + 1, c.hiddenSize()), next, new int[] {prefill, 1}), modeTier(check, comparison));
    }
}
