package org.dsv32.conformance.properties;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.checks.ActQuantCheck;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.tensor.TensorF64;

/** act_quant of any backend against the reference: rows of 1-4 tiles at any magnitude, zero tiles, either scale format. */
class ActQuantProperties extends OperationProperties<ActQuantCheck> {
    ActQuantProperties() { super(new ActQuantCheck()); }

    /** 1-4 rows of 1-4 tiles of 128 values in [-1, 1]. */
    @Provide
    Arbitrary<TensorF64> tiles() {
        return Arbitraries.integers().between(1, 4).flatMap(t -> Activations.matrices(4, 128 * t, 1));
    }

    @Property(tries = 40, seed = "101")
    void conformsToTheReference(@ForAll("tiles") TensorF64 values, @ForAll @DoubleRange(min = -9, max = 4) double log10Magnitude,
                                @ForAll boolean plainScales, @ForAll boolean zeroTile, @ForAll @IntRange(min = 0, max = 2) int comparison) {
        ModelConfig c = plainScales ? ConformanceConfigs.smallPlainScales() : ConformanceConfigs.small();
        TensorF64 x = Activations.scaled(values, Math.pow(10, log10Magnitude));
        if (zeroTile) x = RandomInputs.zeroTile(x, x.rows() - 1, x.cols() / 128 - 1);
        assertConforms(check, new ActQuantCheck.Case("generated", c, x, true), modeTier(check, comparison));
    }
}
