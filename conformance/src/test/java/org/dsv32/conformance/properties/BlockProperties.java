package org.dsv32.conformance.properties;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.conformance.checks.BlockCheck;
import org.dsv32.spec.config.ModelConfig;

/** A decoder block (dense or MoE layer) of any backend against the reference: prefill then decode. */
class BlockProperties extends OperationProperties<BlockCheck> {
    BlockProperties() { super(new BlockCheck()); }

    @Property(tries = 4, seed = "112")
    void conformsToTheReference(@ForAll @IntRange(min = 1, max = 6) int prefill, @ForAll boolean moe, @ForAll long seed,
                                @ForAll @IntRange(min = 0, max = 1) int comparison) {
        ModelConfig c = ConformanceConfigs.small().withIndexTopk(4);
        SplittableRandom rng = new SplittableRandom(seed);
        var w = RandomWeights.layer(rng, c, moe ? c.firstKDenseReplace() : 0, c.activationScaleFormat());
        assertConforms(check, new BlockCheck.Case("generated", c, 0, new int[] {prefill, 1}, w,
                RandomInputs.gaussian(rng, 1, prefill + 1, c.hiddenSize()), rng.nextLong()), modeTier(check, comparison));
    }
}
