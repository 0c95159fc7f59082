package org.dsv32.conformance.properties;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.conformance.checks.MlpCheck;
import org.dsv32.spec.config.ModelConfig;

/** The SwiGLU MLP of any backend against the reference, intermediate widths 128 .. 384. */
class MlpProperties extends OperationProperties<MlpCheck> {
    MlpProperties() { super(new MlpCheck()); }

    @Property(tries = 15, seed = "107")
    void conformsToTheReference(@ForAll @IntRange(min = 1, max = 4) int rows, @ForAll @IntRange(min = 1, max = 3) int interTiles,
                                @ForAll boolean plainScales, @ForAll long seed, @ForAll @IntRange(min = 0, max = 2) int comparison) {
        ModelConfig c = plainScales ? ConformanceConfigs.smallPlainScales() : ConformanceConfigs.small();
        SplittableRandom rng = new SplittableRandom(seed);
        var w = RandomWeights.mlp(rng, "generated", c.hiddenSize(), 128 * interTiles, c.activationScaleFormat());
        assertConforms(check, new MlpCheck.Case("generated", c, RandomInputs.gaussian(rng, 1, rows, c.hiddenSize()), w), modeTier(check, comparison));
    }
}
