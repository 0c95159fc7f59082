package org.dsv32.reference.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.DenseWeight;

/**
 * The backward primitives against their forwards, on random shapes: RMSNorm and LayerNorm by central differences of
 * L = Σ c ⊙ f (input, weight and bias), RoPE by the adjoint identity ⟨dy, R x⟩ = ⟨Rᵀ dy, x⟩ in both layouts.
 */
class BackwardStepsProperties {
    private static final Backend REFERENCE = new ReferenceBackend();
    private static final OpContext CTX = new OpContext(MicroModel.config(), PrecisionMode.EXACT);
    private static final BackwardSteps STEPS = new BackwardSteps(CTX, REFERENCE);
    private static final double H = 1e-6;

    @Property(tries = 20, seed = "41")
    void normBackwardsAreTheDerivativesOfTheForwards(@ForAll @IntRange(min = 1, max = 4) int rows, @ForAll @IntRange(min = 2, max = 40) int cols,
                                                     @ForAll long seed, @ForAll boolean layerNorm) {
        Random rnd = new Random(seed);
        double[] x = gaussian(rows * cols, rnd), w = gaussian(cols, rnd), b = gaussian(cols, rnd), c = gaussian(rows * cols, rnd);
        Gradients g = new Gradients();
        TensorF64 dx = layerNorm
                ? STEPS.layerNormBackward(TensorF64.wrap(x, rows, cols), vec("w", w), vec("b", b), 1e-6, TensorF64.wrap(c, rows, cols), g)
                : STEPS.rmsNormBackward(TensorF64.wrap(x, rows, cols), vec("w", w), 1e-6, TensorF64.wrap(c, rows, cols), g);
        for (int i = 0; i < x.length; i += Math.max(1, x.length / 7)) {
            assertEquals(fd(x, i, () -> loss(layerNorm, x, w, b, c, rows, cols)), dx.getFlat(i), 1e-6, "dx[" + i + "]");
        }
        for (int i = 0; i < cols; i += Math.max(1, cols / 5)) {
            assertEquals(fd(w, i, () -> loss(layerNorm, x, w, b, c, rows, cols)), g.get("w").getFlat(i), 1e-6, "dw[" + i + "]");
            if (layerNorm) assertEquals(fd(b, i, () -> loss(true, x, w, b, c, rows, cols)), g.get("b").getFlat(i), 1e-6, "db[" + i + "]");
        }
    }

    @Property(tries = 20, seed = "42")
    void ropeBackwardIsTheTransposeOfTheRotation(@ForAll @IntRange(min = 1, max = 6) int rows, @ForAll @IntRange(min = 0, max = 70000) int maxPosition,
                                                 @ForAll long seed, @ForAll boolean interleaved) {
        Random rnd = new Random(seed);
        int d = CTX.config().qkRopeHeadDim();
        int[] positions = new int[rows];
        for (int r = 0; r < rows; r++) positions[r] = rnd.nextInt(maxPosition + 1);
        RopeLayout layout = interleaved ? RopeLayout.INTERLEAVED : RopeLayout.HALF_SPLIT;
        TensorF64 x = TensorF64.wrap(gaussian(rows * d, rnd), rows, d), dy = TensorF64.wrap(gaussian(rows * d, rnd), rows, d);
        TensorF64 rx = REFERENCE.require(RopeOp.class, CTX).apply(x, positions, layout);
        TensorF64 rtdy = STEPS.ropeBackward(dy, positions, layout);
        assertEquals(dot(dy, rx), dot(rtdy, x), 1e-12 * (1 + Math.abs(dot(dy, rx))));
    }

    private static double loss(boolean layerNorm, double[] x, double[] w, double[] b, double[] c, int rows, int cols) {
        TensorF64 y = layerNorm
                ? REFERENCE.require(LayerNormOp.class, CTX).apply(TensorF64.wrap(x.clone(), rows, cols), vec("w", w), vec("b", b), 1e-6)
                : REFERENCE.require(RmsNormOp.class, CTX).apply(TensorF64.wrap(x.clone(), rows, cols), vec("w", w), 1e-6);
        return dot(y, TensorF64.wrap(c, rows, cols));
    }

    private static double fd(double[] v, int i, java.util.function.DoubleSupplier f) {
        double keep = v[i];
        v[i] = keep + H;
        double up = f.getAsDouble();
        v[i] = keep - H;
        double down = f.getAsDouble();
        v[i] = keep;
        return (up - down) / (2 * H);
    }

    private static DenseWeight vec(String name, double[] v) { return DenseWeight.ofDoubles(name, v.clone(), 1, v.length); }

    private static double[] gaussian(int n, Random rnd) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextGaussian() + (i % 3 == 0 ? 0.5 : 0);
        return v;
    }

    private static double dot(TensorF64 a, TensorF64 b) {
        double s = 0;
        for (int i = 0; i < a.size(); i++) s += a.getFlat(i) * b.getFlat(i);
        return s;
    }
}
