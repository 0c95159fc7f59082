package org.dsv32.reference;

import org.dsv32.spec.format.Bf16Rounding;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.tensor.TensorF64;

/**
 * The scaled Walsh-Hadamard transform, the reference (spec/SEMANTICS.md §8): per row of x [R][n], n a power of two,
 * <pre>
 *   y[i] = n^-1/2 sum_j H[i][j] x[j],   H[i][j] = (-1)^popcount(i AND j)
 * </pre>
 * which is the Sylvester-order matrix (H_1 = [1], H_2n = [[H, H], [H, -H]]): the top bit of i and j selects the
 * quadrant and contributes the minus sign only when both are set. Written as the plain O(n^2) matrix-vector product
 * so that it reads like the definition; the optimized backends use the fast transform. Float64; x is not modified.
 */
public class ReferenceHadamard implements HadamardOp {
    protected final OpContext context;
    protected final Backend self;

    public ReferenceHadamard(OpContext context, Backend self) {
        this.context = context;
        this.self = self;
    }

    @Override
    public TensorF64 apply(TensorF64 x) {
        int n = x.cols();
        if (n <= 0 || Integer.bitCount(n) != 1) {
            throw new IllegalArgumentException("hadamard: rows of " + x + " have " + n + " elements, not a power of two");
        }
        double scale = scale(n);
        TensorF64 y = TensorF64.zeros(x.shape());
        for (int r = 0; r < x.rows(); r++) {
            for (int i = 0; i < n; i++) {
                double sum = 0;
                for (int j = 0; j < n; j++) sum += entry(i, j) * x.at(r, j);
                y.put(r, i, scale * sum);
            }
        }
        return context.bf16() ? Bf16Rounding.roundInPlace(y) : y; // bf16 mode: stored bf16 (§5c)
    }

    /** H[i][j] = (-1)^popcount(i &amp; j), Sylvester order. */
    protected double entry(int i, int j) {
        return (Integer.bitCount(i & j) & 1) == 0 ? 1.0 : -1.0;
    }

    /** n^-1/2, which makes the transform orthogonal (and its own inverse). */
    protected double scale(int n) {
        return 1.0 / Math.sqrt(n);
    }
}
