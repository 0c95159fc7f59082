package org.dsv32.conformance.generate;

import java.util.SplittableRandom;
import org.dsv32.spec.tensor.TensorF64;

/**
 * Seeded activations for the checks. Every value is representable in fp32 (activations reach a deployed kernel
 * as bf16 or fp32), so a float32 backend receives exactly the reference's inputs. Stateless.
 */
public final class RandomInputs {
    private RandomInputs() {}

    /** [rows][cols] with independent N(0, std²) entries, rounded to fp32. */
    public static TensorF64 gaussian(SplittableRandom rng, double std, int rows, int cols) {
        double[] d = new double[rows * cols];
        for (int i = 0; i < d.length; i++) d[i] = (float) (gauss(rng) * std);
        return TensorF64.wrap(d, rows, cols);
    }

    /** Row r scaled by a per-row factor drawn log-uniformly from [lo, hi] (rows of very different magnitude). */
    public static TensorF64 rowScaled(SplittableRandom rng, TensorF64 x, double lo, double hi) {
        TensorF64 y = x.copy();
        for (int r = 0; r < y.rows(); r++) {
            double f = Math.exp(Math.log(lo) + rng.nextDouble() * (Math.log(hi) - Math.log(lo)));
            for (int c = 0; c < y.cols(); c++) y.put(r, c, (float) (y.at(r, c) * f));
        }
        return y;
    }

    /** Sets the 128-column tile {@code tile} of row {@code r} to zero (act_quant's amax floor). */
    public static TensorF64 zeroTile(TensorF64 x, int r, int tile) {
        TensorF64 y = x.copy();
        for (int c = tile * 128; c < Math.min((tile + 1) * 128, y.cols()); c++) y.put(r, c, 0.0);
        return y;
    }

    /** Sets element (r, c) to {@code v} (rounded to fp32). */
    public static TensorF64 with(TensorF64 x, int r, int c, double v) {
        TensorF64 y = x.copy();
        y.put(r, c, (float) v);
        return y;
    }

    /** Adds a common offset to every element of row r (a badly conditioned row for LayerNorm). */
    public static TensorF64 offsetRow(TensorF64 x, int r, double offset) {
        TensorF64 y = x.copy();
        for (int c = 0; c < y.cols(); c++) y.put(r, c, (float) (y.at(r, c) + offset));
        return y;
    }

    /** Rounds every element to fp32. */
    public static TensorF64 toFloat(TensorF64 x) {
        TensorF64 y = x.copy();
        for (int i = 0; i < y.size(); i++) y.setFlat(i, (float) y.getFlat(i));
        return y;
    }

    public static double gauss(SplittableRandom rng) {
        // Box–Muller: the JDK's nextGaussian is not on SplittableRandom's interface in every release we target
        double u1 = 1 - rng.nextDouble(), u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
