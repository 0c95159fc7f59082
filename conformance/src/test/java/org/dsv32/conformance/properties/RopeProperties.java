package org.dsv32.conformance.properties;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.checks.RopeCheck;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.RopeLayout;

/** RoPE of any backend against the reference, at any position up to max_position_embeddings, both layouts. */
class RopeProperties extends OperationProperties<RopeCheck> {
    RopeProperties() { super(new RopeCheck()); }

    @Property(tries = 40, seed = "105")
    void conformsToTheReference(@ForAll @IntRange(min = 0, max = 163_839) int position, @ForAll @IntRange(min = 0, max = 3) int spread,
                                @ForAll RopeLayout layout, @ForAll long seed, @ForAll @IntRange(min = 0, max = 1) int comparison) {
        ModelConfig c = ConformanceConfigs.small();
        int[] positions = new int[spread + 1];
        for (int i = 0; i < positions.length; i++) positions[i] = Math.min(position + i * 997, c.maxPositionEmbeddings() - 1);
        assertConforms(check, new RopeCheck.Case("generated", c, RandomInputs.gaussian(new SplittableRandom(seed), 1, positions.length, c.qkRopeHeadDim()),
                positions, layout), modeTier(check, comparison));
    }
}
