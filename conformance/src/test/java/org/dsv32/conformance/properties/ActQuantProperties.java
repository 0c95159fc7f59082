package org.dsv32.conformance.properties;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.checks.ActQuantCheck;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.tensor.TensorF64;

/** act_quant of any backend against the reference: rows of any magnitude, zero tiles, either scale format. */
class ActQuantProperties extends OperationProperties<ActQuantCheck> {
    ActQuantProperties() { super(new ActQuantCheck()); }

    @Property(tries = 40, seed = "101")
    void conformsToTheReference(@ForAll @IntRange(min = 1, max = 4) int rows, @ForAll @IntRange(min = 1, max = 4) int tiles,
                                @ForAll @DoubleRange(min = -9, max = 4) double log10Magnitude, @ForAll boolean plainScales,
                                @ForAll boolean zeroTile, @ForAll long seed, @ForAll @IntRange(min = 0, max = 2) int comparison) {
        ModelConfig c = plainScales ? ConformanceConfigs.smallPlainScales() : ConformanceConfigs.small();
        TensorF64 x = RandomInputs.gaussian(new SplittableRandom(seed), Math.pow(10, log10Magnitude), rows, 128 * tiles);
        if (zeroTile) x = RandomInputs.zeroTile(x, rows - 1, tiles - 1);
        assertConforms(check, new ActQuantCheck.Case("generated", c, x, true), modeTier(check, comparison));
    }
}
