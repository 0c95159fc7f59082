package org.dsv32.spec.ops;

import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.Weight;

/**
 * The backward GEMMs of an FP8 linear layer Y = X W^T (DeepSeek-V3 report §3.3; spec/SEMANTICS.md §5b). Scaling
 * groups run along the inner dimension of each GEMM, every tensor is E4M3 (no E5M2), and each 128-long block of the
 * inner dimension is promoted to fp32 with both operands' scales applied at the promotion:
 * <pre>
 *   Dgrad  dX [M][K] = dY W      inner N:  dY in 1x128 tiles per token along N; W in its 128x128 blocks, read transposed
 *   Wgrad  dW [N][K] = dY^T X    inner M:  dY and X in 128x1 tiles (128 tokens of one channel)
 *   C[i][j] = sum over inner blocks b of ( sum_{t in b} qa[i][t] qb[j][t] ) * sa[i][b] * sb[j][b]
 * </pre>
 * The quantisers are act_quant's (§3): amax over the tile's existing elements (a ragged edge tile is partial), floored
 * at 1e-4; s = fp32(amax) * fp32(1/448); with the configuration's ue8m0 activation scale format s is rounded up to a
 * power of two from its fp32 bits; q = e4m3(x / s), nearest-even, saturating. In exact mode both are the plain float64
 * products (dY times the dequantised weight; dY^T X). Dgrad with a dense weight is the exact product in either mode
 * (the layer's forward was not an FP8 GEMM either); Wgrad always quantises both operands in fp8 mode (a caller that
 * wants the gradient of a bf16 layer binds the operation in exact mode). The result is the fp32-or-better accumulator:
 * rounding it to bf16 is the caller's choice, as for {@link LinearOp}. Inputs are not modified.
 *
 * <p>One operation with two methods rather than two operations: both are the same block-scaled product with the
 * same quantiser in two tile orientations, they share one contract, one tolerance derivation and one check, and a
 * port implements the two together as its linear layer's backward.
 */
public interface Fp8BackwardOp extends Operation {
    /** The quantisation tile and promotion block along the inner dimension. */
    int TILE = 128;

    /** dX [M][K] = dY [M][N] W [N][K]. */
    TensorF64 dgrad(TensorF64 dy, Weight w);

    /** dW [N][K] = dY [M][N]^T X [M][K]. */
    TensorF64 wgrad(TensorF64 dy, TensorF64 x);

    /** The argument rules of {@link #dgrad}, with one wording for every backend. */
    static void validateDgrad(TensorF64 dy, Weight w) {
        if (dy.rank() != 2 || dy.rows() < 1) throw new IllegalArgumentException("fp8 dgrad: dY must be [M][N] with M >= 1, got " + dy);
        if (dy.cols() != w.rows()) {
            throw new IllegalArgumentException("fp8 dgrad " + w.name() + ": dY " + dy + " does not fit the weight " + w.rows() + "x" + w.cols()
                    + " (dY [M][N] needs N = " + w.rows() + " columns, the weight's rows)");
        }
        if (w instanceof Fp8BlockWeight f && f.blockRows() != TILE) {
            throw new IllegalArgumentException("fp8 dgrad " + w.name() + ": weight blocks are " + f.blockRows() + " rows high, but Dgrad reads them "
                    + "along its inner dimension N, which needs them to match the " + TILE + "-wide gradient tiles");
        }
    }

    /** The argument rules of {@link #wgrad}, with one wording for every backend. */
    static void validateWgrad(TensorF64 dy, TensorF64 x) {
        if (dy.rank() != 2 || x.rank() != 2 || dy.rows() < 1) {
            throw new IllegalArgumentException("fp8 wgrad: dY [M][N] and X [M][K] must be matrices with M >= 1, got dY " + dy + ", X " + x);
        }
        if (dy.rows() != x.rows()) {
            throw new IllegalArgumentException("fp8 wgrad: dY " + dy + " and X " + x + " have different token counts (" + dy.rows() + " vs " + x.rows() + ")");
        }
    }
}
