package org.dsv32.reference;

import org.dsv32.spec.format.Bf16Rounding;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Weight;

/**
 * LayerNorm, the reference (spec/SEMANTICS.md §6; the indexer key's norm): per row of x [R][D],
 * <pre>
 *   mean = (1/D) sum_j x[j],   var = (1/D) sum_j (x[j] - mean)^2      (biased: divided by D, not D - 1)
 *   y[c] = (x[c] - mean) / sqrt(var + eps) * w[c] + b[c]
 * </pre>
 * in float64 (two passes: the mean first, then the variance around it). x is not modified.
 */
public class ReferenceLayerNorm implements LayerNormOp {
    protected final OpContext context;
    protected final Backend self;

    public ReferenceLayerNorm(OpContext context, Backend self) {
        this.context = context;
        this.self = self;
    }

    @Override
    public TensorF64 apply(TensorF64 x, Weight w, Weight b, double eps) {
        checkVector(x, w);
        checkVector(x, b);
        TensorF64 y = TensorF64.zeros(x.shape());
        for (int r = 0; r < x.rows(); r++) {
            double mean = mean(x, r);
            double inv = inverseStd(variance(x, r, mean), eps);
            for (int c = 0; c < x.cols(); c++) y.put(r, c, (x.at(r, c) - mean) * inv * w.get(c) + b.get(c));
        }
        return context.bf16() ? Bf16Rounding.roundInPlace(y) : y; // bf16 mode: stored bf16 (§5c)
    }

    /** (1/D) sum_c x[r][c]. */
    protected double mean(TensorF64 x, int r) {
        double sum = 0;
        for (int c = 0; c < x.cols(); c++) sum += x.at(r, c);
        return sum / x.cols();
    }

    /** The biased variance (1/D) sum_c (x[r][c] - mean)^2. */
    protected double variance(TensorF64 x, int r, double mean) {
        double sum = 0;
        for (int c = 0; c < x.cols(); c++) {
            double d = x.at(r, c) - mean;
            sum += d * d;
        }
        return sum / x.cols();
    }

    /** 1 / sqrt(var + eps): eps inside the square root, the caller's eps (a mutant changes it here). */
    protected double inverseStd(double variance, double eps) {
        return 1.0 / Math.sqrt(variance + eps);
    }

    /** Weight and bias are one row of D elements. */
    protected void checkVector(TensorF64 x, Weight v) {
        if (v.rows() != 1 || v.cols() != x.cols()) {
            throw new IllegalArgumentException("layer_norm: " + v.name() + " is " + v.rows() + "x" + v.cols()
                    + ", expected a vector of " + x.cols() + " for input " + x);
        }
    }
}
