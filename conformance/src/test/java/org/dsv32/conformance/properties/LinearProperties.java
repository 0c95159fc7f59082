package org.dsv32.conformance.properties;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.conformance.checks.LinearCheck;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.weights.Weight;

/** Linear layers of any backend against the reference: ragged N, K a multiple of 128, FP8 or bf16 weights. */
class LinearProperties extends OperationProperties<LinearCheck> {
    LinearProperties() { super(new LinearCheck()); }

    @Property(tries = 25, seed = "102")
    void conformsToTheReference(@ForAll @IntRange(min = 1, max = 4) int rows, @ForAll @IntRange(min = 1, max = 600) int n,
                                @ForAll @IntRange(min = 1, max = 3) int kTiles, @ForAll boolean fp8Weight, @ForAll boolean plainScales,
                                @ForAll long seed, @ForAll @IntRange(min = 0, max = 2) int comparison) {
        ModelConfig c = plainScales ? ConformanceConfigs.smallPlainScales() : ConformanceConfigs.small();
        SplittableRandom rng = new SplittableRandom(seed);
        int k = 128 * kTiles;
        Weight w = RandomWeights.linear(rng, "generated.weight", n, k, fp8Weight, c.activationScaleFormat());
        assertConforms(check, new LinearCheck.Case("generated", c, RandomInputs.gaussian(rng, 1, rows, k), w, true), modeTier(check, comparison));
    }
}
