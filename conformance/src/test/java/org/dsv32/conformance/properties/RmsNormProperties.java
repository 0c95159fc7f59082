package org.dsv32.conformance.properties;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.conformance.checks.RmsNormCheck;
import org.dsv32.spec.config.ModelConfig;

/** RMSNorm (plain and fused residual) of any backend against the reference, rows of any magnitude. */
class RmsNormProperties extends OperationProperties<RmsNormCheck> {
    RmsNormProperties() { super(new RmsNormCheck()); }

    @Property(tries = 40, seed = "103")
    void conformsToTheReference(@ForAll @IntRange(min = 1, max = 4) int rows, @ForAll @DoubleRange(min = -4, max = 4) double log10Magnitude,
                                @ForAll boolean fused, @ForAll long seed, @ForAll @IntRange(min = 0, max = 1) int comparison) {
        ModelConfig c = ConformanceConfigs.small();
        SplittableRandom rng = new SplittableRandom(seed);
        int d = c.hiddenSize();
        double m = Math.pow(10, log10Magnitude);
        assertConforms(check, new RmsNormCheck.Case("generated", c, RandomInputs.gaussian(rng, m, rows, d),
                fused ? RandomInputs.gaussian(rng, m, rows, d) : null, RandomWeights.normWeight(rng, "generated.weight", d)), modeTier(check, comparison));
    }
}
