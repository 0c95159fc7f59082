package org.dsv32.conformance.properties;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.conformance.checks.IndexerCheck;
import org.dsv32.spec.config.ModelConfig;

/** The lightning indexer of any backend against the reference: prefill then decode, any top-k against the key count. */
class IndexerProperties extends OperationProperties<IndexerCheck> {
    IndexerProperties() { super(new IndexerCheck()); }

    @Property(tries = 8, seed = "108")
    void conformsToTheReference(@ForAll @IntRange(min = 1, max = 10) int prefill, @ForAll @IntRange(min = 0, max = 2) int decodeSteps,
                                @ForAll @IntRange(min = 1, max = 10) int topk, @ForAll long seed, @ForAll @IntRange(min = 0, max = 2) int comparison) {
        ModelConfig c = ConformanceConfigs.small().withIndexTopk(topk);
        SplittableRandom rng = new SplittableRandom(seed);
        int[] steps = new int[1 + decodeSteps];
        steps[0] = prefill;
        for (int i = 1; i < steps.length; i++) steps[i] = 1;
        int t = prefill + decodeSteps;
        assertConforms(check, new IndexerCheck.Case("generated", c, 0, steps, RandomWeights.indexer(rng, c, 3, c.activationScaleFormat()),
                RandomInputs.gaussian(rng, 1, t, c.hiddenSize()), RandomInputs.gaussian(rng, 1, t, c.qLoraRank()), rng.nextLong()),
                modeTier(check, comparison));
    }
}
