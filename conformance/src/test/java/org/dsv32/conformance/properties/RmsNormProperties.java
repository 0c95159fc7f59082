package org.dsv32.conformance.properties;

import java.util.SplittableRandom;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.checks.RmsNormCheck;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.tensor.TensorF64;

/** RMSNorm (plain and fused residual) of any backend against the reference, rows of any magnitude. */
class RmsNormProperties extends OperationProperties<RmsNormCheck> {
    RmsNormProperties() { super(new RmsNormCheck()); }

    /** 1-4 rows of hidden_size values in [-3, 3]. */
    @Provide
    Arbitrary<TensorF64> rows() { return Activations.matrices(4, ConformanceConfigs.small().hiddenSize(), 3); }

    @Property(tries = 40, seed = "103")
    void conformsToTheReference(@ForAll("rows") TensorF64 values, @ForAll @DoubleRange(min = -4, max = 4) double log10Magnitude,
                                @ForAll boolean fused, @ForAll long seed, @ForAll @IntRange(min = 0, max = 1) int comparison) {
        ModelConfig c = ConformanceConfigs.small();
        SplittableRandom rng = new SplittableRandom(seed);
        int d = c.hiddenSize();
        double m = Math.pow(10, log10Magnitude);
        TensorF64 x = Activations.scaled(values, m);
        assertConforms(check, new RmsNormCheck.Case("generated", c, x, fused ? RandomInputs.gaussian(rng, m, x.rows(), d) : null,
                RandomWeights.normWeight(rng, "generated.weight", d)), modeTier(check, comparison));
    }
}
