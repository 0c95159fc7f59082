package org.dsv32.conformance.properties;

import java.util.SplittableRandom;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.checks.LayerNormCheck;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.tensor.TensorF64;

/** LayerNorm of any backend against the reference, with a common offset (the conditioning the tolerance follows). */
class LayerNormProperties extends OperationProperties<LayerNormCheck> {
    LayerNormProperties() { super(new LayerNormCheck()); }

    /** 1-4 rows of index_head_dim values in [-3, 3]. */
    @Provide
    Arbitrary<TensorF64> rows() { return Activations.matrices(4, ConformanceConfigs.small().indexHeadDim(), 3); }

    @Property(tries = 40, seed = "104")
    void conformsToTheReference(@ForAll("rows") TensorF64 x, @ForAll @DoubleRange(min = -10, max = 10) double offset,
                                @ForAll long seed, @ForAll @IntRange(min = 0, max = 1) int comparison) {
        ModelConfig c = ConformanceConfigs.small();
        SplittableRandom rng = new SplittableRandom(seed);
        int d = c.indexHeadDim();
        assertConforms(check, new LayerNormCheck.Case("generated", c, RandomInputs.offsetRow(x, 0, offset),
                RandomWeights.normWeight(rng, "generated.weight", d), RandomWeights.bf16(rng, "generated.bias", 1, d, 0, 0.1)), modeTier(check, comparison));
    }
}
