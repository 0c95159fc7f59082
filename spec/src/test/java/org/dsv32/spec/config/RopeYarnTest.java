package org.dsv32.spec.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * YaRN for the 671B configuration, against closed forms worked out by hand (spec/SEMANTICS.md §6).
 *
 * <p>With d = 64, theta = 10^4, orig = 4096: c(r) = 64 ln(4096 / (2 pi r)) / (2 ln 10^4) = 8 log10(2048 / (pi r)).
 * c(32) = 8 log10(64 / pi) = 10.4722, so low = 10; c(1) = 8 log10(2048 / pi) = 22.5134, so high = 23.
 * theta^(-2i/64) = 10^(-i/8). Hence f_i = 10^(-i/8) for i &lt;= 10, 10^(-i/8) / 40 for i &gt;= 23, and between them
 * 10^(-i/8) (1 - (i - 10)/13 * (1 - 1/40)).
 */
class RopeYarnTest {
    private static final ModelConfig V32 = ModelConfig.deepseekV32();

    @Test
    void correctionDimensionsOfThe671bConfig() {
        assertEquals(8 * Math.log10(64 / Math.PI), Rope.correctionDim(32, 64, 1e4, 4096), 1e-12);
        assertEquals(8 * Math.log10(2048 / Math.PI), Rope.correctionDim(1, 64, 1e4, 4096), 1e-12);
        assertEquals(10.4722, Rope.correctionDim(32, 64, 1e4, 4096), 1e-4);
        assertEquals(22.5134, Rope.correctionDim(1, 64, 1e4, 4096), 1e-4);
    }

    @Test
    void frequenciesFollowTheClosedForm() {
        double[] f = V32.ropeFrequencies();
        assertEquals(32, f.length);
        for (int i = 0; i < 32; i++) {
            double base = Math.pow(10, -i / 8.0);
            double want = i <= 10 ? base : i >= 23 ? base / 40 : base * (1 - (i - 10) / 13.0 * (39.0 / 40));
            assertEquals(want, f[i], 1e-15 * base, "f_" + i);
        }
        assertEquals(1.0, f[0], 0.0, "f_0 = 1 exactly");
        assertEquals(Math.pow(10, -31 / 8.0) / 40, f[31], 1e-15 * f[31], "the last frequency is divided by the factor");
    }

    @Test
    void frequenciesDecreaseStrictly() {
        double[] f = V32.ropeFrequencies();
        for (int i = 1; i < f.length; i++) assertEquals(true, f[i] < f[i - 1], "f_" + i);
    }

    @Test
    void withoutYarnTheFrequenciesAreThetaPowers() {
        for (RopeScaling none : new RopeScaling[] {null, RopeScaling.none(), new RopeScaling("yarn", 1, 4096, 32, 1, 1, 1)}) {
            double[] f = Rope.frequencies(64, 1e4, none);
            for (int i = 0; i < 32; i++) {
                assertEquals(Math.pow(1e4, -2.0 * i / 64), f[i], 0.0, "f_" + i);
                assertEquals(Math.pow(10, -i / 8.0), f[i], 2e-16 * f[i] * 4);
            }
        }
    }

    @Test
    void mscaleAndSoftmaxScale() {
        double m = 0.1 * Math.log(40) + 1;
        assertEquals(1.368888, m, 1e-6);
        assertEquals(m, V32.yarnMscale(), 1e-15);
        assertEquals(m * m / Math.sqrt(192), V32.softmaxScale(), 1e-15);
        assertEquals(0.1352338, V32.softmaxScale(), 1e-7);
        ModelConfig plain = V32.toBuilder()
                .ropeScaling(RopeScaling.none())
                .build();
        assertEquals(1 / Math.sqrt(192), plain.softmaxScale(), 1e-15, "no YaRN: no m^2");
        assertEquals(1.0, plain.yarnMscale());
    }

    @Test
    void equalBetasGiveAStepAtTheCorrectionDimension() {
        // beta_fast = beta_slow: low = floor(c), high = ceil(c) = low + 1, so the ramp is 0 up to low and 1 from low + 1
        RopeScaling step = new RopeScaling("yarn", 4, 4096, 8, 8, 1, 1);
        int low = (int) Math.floor(Rope.correctionDim(8, 64, 1e4, 4096));
        double[] f = Rope.frequencies(64, 1e4, step);
        for (int i = 0; i < 32; i++) {
            double base = Math.pow(1e4, -2.0 * i / 64);
            assertEquals(i <= low ? base : base / 4, f[i], 1e-15 * base, "f_" + i);
        }
    }

    @Test
    void lowEqualToHighIsNudgedInsteadOfDividingByZero() {
        // c(1) = 8 log10(orig / (2 pi)) lies in [63, 64) for orig = 2 pi * 8e7: low = 63 and high = min(64, 63) = 63
        int orig = (int) Math.round(2 * Math.PI * 8e7);
        assertEquals(63, (int) Math.floor(Rope.correctionDim(1, 64, 1e4, orig)));
        double[] f = Rope.frequencies(64, 1e4, new RopeScaling("yarn", 40, orig, 1, 1, 1, 1));
        for (int i = 0; i < 32; i++) assertEquals(Math.pow(1e4, -2.0 * i / 64), f[i], 0.0, "f_" + i + " (ramp 0 below 63)");
    }
}
