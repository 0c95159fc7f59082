package org.dsv32.spec.config;

/**
 * RoPE frequencies with YaRN, and the YaRN attention scale (spec/SEMANTICS.md §6). The one place these
 * numbers are computed; every backend takes them from here.
 */
public final class Rope {
    private Rope() {}

    /**
     * f_i = theta^(-2i/d) for i < d/2; under YaRN with factor > 1, blended with f_i / factor by the linear ramp
     * between the correction dimensions of beta_fast and beta_slow:
     * c(r) = d ln(orig / (2 pi r)) / (2 ln theta); low = max(floor(c(beta_fast)), 0);
     * high = min(ceil(c(beta_slow)), d - 1), plus 0.001 when equal; ramp_i = clamp((i - low) / (high - low), 0, 1);
     * f_i &lt;- f_i / factor * ramp_i + f_i * (1 - ramp_i).
     */
    public static double[] frequencies(int d, double theta, RopeScaling scaling) {
        if (d <= 0 || d % 2 != 0) throw new IllegalArgumentException("rope dimension must be positive and even, got " + d);
        double[] f = new double[d / 2];
        for (int i = 0; i < f.length; i++) f[i] = Math.pow(theta, -2.0 * i / d);
        if (scaling == null || !scaling.isYarn() || scaling.factor() <= 1) return f;
        double low = Math.max(Math.floor(correctionDim(scaling.betaFast(), d, theta, scaling.originalMaxPositionEmbeddings())), 0);
        double high = Math.min(Math.ceil(correctionDim(scaling.betaSlow(), d, theta, scaling.originalMaxPositionEmbeddings())), d - 1);
        if (low == high) high += 0.001;
        for (int i = 0; i < f.length; i++) {
            double ramp = Math.min(Math.max((i - low) / (high - low), 0), 1);
            f[i] = f[i] / scaling.factor() * ramp + f[i] * (1 - ramp);
        }
        return f;
    }

    /** c(r) = d ln(orig / (r 2 pi)) / (2 ln theta): the dimension whose wavelength spans r rotations of the original context. */
    static double correctionDim(double rotations, int d, double theta, int originalMax) {
        return d * Math.log(originalMax / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }

    /** m = 0.1 * mscale_all_dim * ln(factor) + 1, or 1 when YaRN is off, factor <= 1 or mscale_all_dim is 0. */
    public static double yarnMscale(RopeScaling scaling) {
        if (scaling == null || !scaling.isYarn() || scaling.factor() <= 1 || scaling.mscaleAllDim() == 0) return 1.0;
        return 0.1 * scaling.mscaleAllDim() * Math.log(scaling.factor()) + 1.0;
    }
}
