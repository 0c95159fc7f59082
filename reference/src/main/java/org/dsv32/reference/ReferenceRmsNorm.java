package org.dsv32.reference;

import org.dsv32.spec.format.Bf16Rounding;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Weight;

/**
 * RMSNorm, the reference (spec/SEMANTICS.md §6): per row of x [R][D],
 * <pre>
 *   y[c] = w[c] * x[c] / sqrt( (1/D) sum_j x[j]^2 + eps )
 * </pre>
 * in float64; eps is the caller's ({@code rms_norm_eps}, 1e-6 for V3.2). The fused form adds x into the residual
 * stream first: {@code residual <- residual + x} (residual is MODIFIED), then returns RMSNorm(residual).
 * {@link #apply} does not modify x. In bf16 mode (spec/SEMANTICS.md §5c) the output is rounded to bf16, and the fused
 * form normalises the unrounded sum, then stores the residual rounded to bf16.
 */
public class ReferenceRmsNorm implements RmsNormOp {
    protected final OpContext context;
    protected final Backend self;

    public ReferenceRmsNorm(OpContext context, Backend self) {
        this.context = context;
        this.self = self;
    }

    @Override
    public TensorF64 apply(TensorF64 x, Weight w, double eps) {
        checkWeight(x, w);
        TensorF64 y = TensorF64.zeros(x.shape());
        for (int r = 0; r < x.rows(); r++) {
            double inv = inverseRms(meanSquare(x, r), eps);
            for (int c = 0; c < x.cols(); c++) y.put(r, c, w.get(c) * (x.at(r, c) * inv));
        }
        return context.bf16() ? Bf16Rounding.roundInPlace(y) : y; // bf16 mode: computed wide, stored bf16 (§5c)
    }

    @Override
    public TensorF64 applyWithResidual(TensorF64 x, TensorF64 residual, Weight w, double eps) {
        if (x.rows() != residual.rows() || x.cols() != residual.cols()) {
            throw new IllegalArgumentException("rms_norm " + w.name() + ": input " + x + " and residual " + residual
                    + " differ in shape");
        }
        for (int r = 0; r < x.rows(); r++) {
            for (int c = 0; c < x.cols(); c++) residual.put(r, c, residual.at(r, c) + x.at(r, c));
        }
        TensorF64 y = apply(residual, w, eps);
        // bf16 mode: the norm reads the wide sum, the stream keeps the sum stored in bf16 (§5c)
        if (context.bf16()) Bf16Rounding.roundInPlace(residual);
        return y;
    }

    /** (1/D) sum_c x[r][c]^2. */
    protected double meanSquare(TensorF64 x, int r) {
        double sum = 0;
        for (int c = 0; c < x.cols(); c++) sum += x.at(r, c) * x.at(r, c);
        return sum / x.cols();
    }

    /** 1 / sqrt(meanSquare + eps): eps inside the square root. */
    protected double inverseRms(double meanSquare, double eps) {
        return 1.0 / Math.sqrt(meanSquare + eps);
    }

    /** The weight is one row of D elements. */
    protected void checkWeight(TensorF64 x, Weight w) {
        if (w.rows() != 1 || w.cols() != x.cols()) {
            throw new IllegalArgumentException("rms_norm: weight " + w.name() + " is " + w.rows() + "x" + w.cols()
                    + ", expected a vector of " + x.cols() + " for input " + x);
        }
    }
}
