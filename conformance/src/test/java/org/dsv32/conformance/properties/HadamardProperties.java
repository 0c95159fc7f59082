package org.dsv32.conformance.properties;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.checks.HadamardCheck;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.spec.tensor.TensorF64;

/** The Hadamard transform of any backend against the reference, n = 1 .. 128. */
class HadamardProperties extends OperationProperties<HadamardCheck> {
    HadamardProperties() { super(new HadamardCheck()); }

    /** 1-4 rows of n = 2^0 .. 2^7 values. */
    @Provide
    Arbitrary<TensorF64> rows() {
        return Arbitraries.integers().between(0, 7).flatMap(log2n -> Activations.matrices(4, 1 << log2n, 3));
    }

    @Property(tries = 30, seed = "106")
    void conformsToTheReference(@ForAll("rows") TensorF64 x, @ForAll @IntRange(min = 0, max = 1) int comparison) {
        assertConforms(check, new HadamardCheck.Case("generated", ConformanceConfigs.small(), x), modeTier(check, comparison));
    }
}
