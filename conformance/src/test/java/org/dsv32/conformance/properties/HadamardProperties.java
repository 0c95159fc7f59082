package org.dsv32.conformance.properties;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.checks.HadamardCheck;

/** The Hadamard transform of any backend against the reference, n = 1 .. 128. */
class HadamardProperties extends OperationProperties<HadamardCheck> {
    HadamardProperties() { super(new HadamardCheck()); }

    @Property(tries = 30, seed = "106")
    void conformsToTheReference(@ForAll @IntRange(min = 0, max = 7) int log2n, @ForAll @IntRange(min = 1, max = 4) int rows,
                                @ForAll long seed, @ForAll @IntRange(min = 0, max = 1) int comparison) {
        assertConforms(check, new HadamardCheck.Case("generated", ConformanceConfigs.small(),
                RandomInputs.gaussian(new SplittableRandom(seed), 1, rows, 1 << log2n)), modeTier(check, comparison));
    }
}
