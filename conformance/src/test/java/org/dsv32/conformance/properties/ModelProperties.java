package org.dsv32.conformance.properties;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.conformance.checks.ModelCheck;
import org.dsv32.spec.config.ModelConfig;

/** The whole (small) model of any backend against the reference: a prefill and a decode step. */
class ModelProperties extends OperationProperties<ModelCheck> {
    ModelProperties() { super(new ModelCheck()); }

    @Property(tries = 3, seed = "113")
    void conformsToTheReference(@ForAll @IntRange(min = 1, max = 6) int prefill, @ForAll long seed, @ForAll @IntRange(min = 0, max = 1) int comparison) {
        ModelConfig c = ConformanceConfigs.small().withIndexTopk(4);
        SplittableRandom rng = new SplittableRandom(seed);
        int[] a = new int[prefill];
        for (int i = 0; i < prefill; i++) a[i] = rng.nextInt(c.vocabSize());
        assertConforms(check, new ModelCheck.Case("generated", c, RandomWeights.model(rng, c, c.activationScaleFormat()),
                new int[][] {a, {rng.nextInt(c.vocabSize())}}), modeTier(check, comparison));
    }
}
