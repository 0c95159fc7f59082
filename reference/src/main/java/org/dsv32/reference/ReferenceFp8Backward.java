package org.dsv32.reference;

import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.ops.Fp8BackwardOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.Weight;

/**
 * The backward GEMMs of an FP8 linear layer, the reference (spec/SEMANTICS.md §5b; the contract is
 * {@link Fp8BackwardOp}). Both are one block-scaled product C[i][j] = dot(A row i, B row j) of two {@link Operand}s
 * laid out along the GEMM's inner dimension:
 *
 * <ul>
 *   <li>Dgrad dX = dY W: A = dY quantised in 1x128 tiles along N ({@link #quantizeAlongRows}); B = W read transposed,
 *       row k of B is column k of W, its codes with the scale of W's own 128x128 block S[n/128][k/128]
 *       ({@link #dgradWeightScale}).</li>
 *   <li>Wgrad dW = dY^T X: A = dY and B = X, each quantised in 128x1 tiles (128 tokens of one channel,
 *       {@link #quantizeAlongColumns}), so row n of A is channel n of dY across the tokens.</li>
 * </ul>
 *
 * Per 128-long inner block the products of the decoded codes are summed ({@link #blockSum}, exact in float64) and
 * promoted with both scales ({@link #promote}). The quantiser is act_quant's rule ({@link ReferenceActQuant}'s scale
 * and encoding steps, shared, not copied) applied to a tile of any orientation and length: amax over the tile's
 * existing elements. Exact mode: the operands are the values themselves with unit scales, so the same loops give the
 * float64 products. Float64 throughout; inputs are not modified.
 */
public class ReferenceFp8Backward implements Fp8BackwardOp {
    protected final OpContext context;
    protected final Backend self;
    /** act_quant's scale and encoding rules (§3), applied here to tiles of other shapes. */
    private final ReferenceActQuant rules;

    public ReferenceFp8Backward(OpContext context, Backend self) {
        this.context = context;
        this.self = self;
        this.rules = new ReferenceActQuant(context, self);
    }

    /**
     * One GEMM operand along the inner dimension: element (r, t) is {@code values[r * inner + t] * scales[r * blocks + t / 128]},
     * values being decoded e4m3 codes (fp8) or the exact values (scales 1).
     */
    public record Operand(double[] values, double[] scales, int rows, int inner) {
        public int blocks() { return (inner + TILE - 1) / TILE; }

        public double value(int r, int t) { return values[r * inner + t]; }

        public double scale(int r, int b) { return scales[r * blocks() + b]; }

        /** The values of a matrix with unit scales: the exact mode's operand. */
        public static Operand exact(double[] values, int rows, int inner) {
            double[] ones = new double[rows * ((inner + TILE - 1) / TILE)];
            java.util.Arrays.fill(ones, 1.0);
            return new Operand(values, ones, rows, inner);
        }
    }

    @Override
    public TensorF64 dgrad(TensorF64 dy, Weight w) {
        Fp8BackwardOp.validateDgrad(dy, w);
        boolean fp8 = context.fp8() && w instanceof Fp8BlockWeight;
        Operand a = fp8 ? dgradGradientOperand(dy) : Operand.exact(rowMajor(dy), dy.rows(), dy.cols());
        Operand b = fp8 ? dgradWeightOperand((Fp8BlockWeight) w) : Operand.exact(transposed(w), w.cols(), w.rows());
        return product(a, b);
    }

    @Override
    public TensorF64 wgrad(TensorF64 dy, TensorF64 x) {
        Fp8BackwardOp.validateWgrad(dy, x);
        Operand a = context.fp8() ? wgradGradientOperand(dy) : Operand.exact(columnMajor(dy), dy.cols(), dy.rows());
        Operand b = context.fp8() ? wgradActivationOperand(x) : Operand.exact(columnMajor(x), x.cols(), x.rows());
        return product(a, b);
    }

    /**
     * The sum of the absolute products of every output element, sum_b sum_t |qa qb| sa sb, with the operands
     * {@link #dgrad} uses: the unit the kernels' element-wise tolerances are relative to (KernelTolerances.gemm).
     */
    public TensorF64 dgradMagnitudes(TensorF64 dy, Weight w) {
        Fp8BackwardOp.validateDgrad(dy, w);
        boolean fp8 = context.fp8() && w instanceof Fp8BlockWeight;
        Operand a = fp8 ? dgradGradientOperand(dy) : Operand.exact(rowMajor(dy), dy.rows(), dy.cols());
        Operand b = fp8 ? dgradWeightOperand((Fp8BlockWeight) w) : Operand.exact(transposed(w), w.cols(), w.rows());
        return product(abs(a), abs(b));
    }

    /** As {@link #dgradMagnitudes}, for {@link #wgrad}. */
    public TensorF64 wgradMagnitudes(TensorF64 dy, TensorF64 x) {
        Fp8BackwardOp.validateWgrad(dy, x);
        Operand a = context.fp8() ? wgradGradientOperand(dy) : Operand.exact(columnMajor(dy), dy.cols(), dy.rows());
        Operand b = context.fp8() ? wgradActivationOperand(x) : Operand.exact(columnMajor(x), x.cols(), x.rows());
        return product(abs(a), abs(b));
    }

    // ---------------------------------------------------------------- the operands of each GEMM

    /** Dgrad's dY: 1x128 tiles per token along N (the inner dimension). */
    protected Operand dgradGradientOperand(TensorF64 dy) { return gradientOperand(dy, true); }

    /** Dgrad's W [N][K] read transposed: row k holds column k's codes; block b's scale is W's S[b][k / 128]. */
    protected Operand dgradWeightOperand(Fp8BlockWeight w) {
        int n = w.rows(), k = w.cols(), blocks = (n + TILE - 1) / TILE;
        double[] values = new double[k * n], scales = new double[k * blocks];
        for (int c = 0; c < k; c++) {
            for (int r = 0; r < n; r++) values[c * n + r] = E4M3.decode(w.code(r, c));
            for (int b = 0; b < blocks; b++) scales[c * blocks + b] = dgradWeightScale(w, c, b);
        }
        return new Operand(values, scales, k, n);
    }

    /** The scale of W's column k in inner block b (rows 128 b ..): the same 128x128 block's S[b][k / blockCols]. */
    protected double dgradWeightScale(Fp8BlockWeight w, int k, int b) { return w.scale(b, k / w.blockCols()); }

    /** Wgrad's dY [M][N]: 128x1 tiles (128 tokens of one channel), laid out as N rows along the tokens. */
    protected Operand wgradGradientOperand(TensorF64 dy) { return gradientOperand(dy, false); }

    /** Wgrad's X [M][K]: 128x1 tiles, laid out as K rows along the tokens (the same quantiser as dY's). */
    protected Operand wgradActivationOperand(TensorF64 x) { return wgradTiles(x); }

    /**
     * The gradient dY of either backward GEMM, quantised like every other tensor (E4M3, act_quant's rule): along its
     * rows for Dgrad, in Wgrad's 128x1 tiles otherwise.
     */
    protected Operand gradientOperand(TensorF64 dy, boolean alongRows) { return alongRows ? quantizeAlongRows(dy) : wgradTiles(dy); }

    /** Wgrad's tiling of an [M][C] operand: 128x1 down the tokens ({@link #quantizeAlongColumns}). */
    protected Operand wgradTiles(TensorF64 a) { return quantizeAlongColumns(a); }

    // ---------------------------------------------------------------- the quantisers, per tile shape

    /** 1x128 tiles along each row of a [R][C] (a ragged last tile holds C mod 128 elements): an operand [R] along C. */
    protected Operand quantizeAlongRows(TensorF64 a) {
        int rows = a.rows(), cols = a.cols(), blocks = (cols + TILE - 1) / TILE;
        double[] values = new double[rows * cols], scales = new double[rows * blocks];
        double[] tile = new double[TILE];
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < blocks; b++) {
                int from = b * TILE, len = Math.min(TILE, cols - from);
                for (int t = 0; t < len; t++) tile[t] = a.at(r, from + t);
                float s = tileScale(tileAmax(tile, len));
                scales[r * blocks + b] = s;
                for (int t = 0; t < len; t++) values[r * cols + from + t] = quantize(tile[t], s);
            }
        }
        return new Operand(values, scales, rows, cols);
    }

    /** 128x1 tiles down each column of a [R][C] (128 rows of one column; a ragged last tile holds R mod 128): an operand [C] along R. */
    protected Operand quantizeAlongColumns(TensorF64 a) {
        int rows = a.rows(), cols = a.cols(), blocks = (rows + TILE - 1) / TILE;
        double[] values = new double[cols * rows], scales = new double[cols * blocks];
        double[] tile = new double[TILE];
        for (int c = 0; c < cols; c++) {
            for (int b = 0; b < blocks; b++) {
                int from = b * TILE, len = Math.min(TILE, rows - from);
                for (int t = 0; t < len; t++) tile[t] = a.at(from + t, c);
                float s = tileScale(tileAmax(tile, len));
                scales[c * blocks + b] = s;
                for (int t = 0; t < len; t++) values[c * rows + from + t] = quantize(tile[t], s);
            }
        }
        return new Operand(values, scales, cols, rows);
    }

    /** max |x| over the tile's {@code len} existing elements; NaN when one is NaN (as act_quant). */
    protected double tileAmax(double[] tile, int len) {
        double amax = 0;
        for (int t = 0; t < len; t++) amax = Math.max(amax, Math.abs(tile[t]));
        return amax;
    }

    /** act_quant's scale of a tile: floor 1e-4, s = fp32(amax) * fp32(1/448), ue8m0 rounded up with the configured format. */
    protected float tileScale(double amax) { return rules.tileScale(amax, context.scaleFormat()); }

    /** The decoded e4m3 code of x / s (act_quant's encoding: nearest-even, saturating). */
    protected double quantize(double x, float s) { return E4M3.decode(rules.encode(x, s)); }

    // ---------------------------------------------------------------- the block-scaled product

    /** C [A.rows][B.rows], C[i][j] = {@link #dot}(A, i, B, j). */
    protected TensorF64 product(Operand a, Operand b) {
        TensorF64 c = TensorF64.zeros(a.rows(), b.rows());
        for (int i = 0; i < a.rows(); i++) for (int j = 0; j < b.rows(); j++) c.put(i, j, dot(a, i, b, j));
        return c;
    }

    /** sum over inner blocks of the promoted block sums, from 0 in block order. */
    protected double dot(Operand a, int i, Operand b, int j) {
        double acc = 0;
        for (int blk = 0; blk < a.blocks(); blk++) acc = promote(acc, blockSum(a, i, b, j, blk), a.scale(i, blk), b.scale(j, blk));
        return acc;
    }

    /** sum_{t in block blk} qa[i][t] qb[j][t]: products of e4m3 values, exact in float64. */
    protected double blockSum(Operand a, int i, Operand b, int j, int blk) {
        int from = blk * TILE, to = Math.min(from + TILE, a.inner());
        double sum = 0;
        for (int t = from; t < to; t++) sum += a.value(i, t) * b.value(j, t);
        return sum;
    }

    /** The promotion of one block: acc + blockSum * sa * sb (both scales applied here, per block). */
    protected double promote(double acc, double blockSum, double sa, double sb) { return acc + blockSum * sa * sb; }

    // ---------------------------------------------------------------- layouts

    private static double[] rowMajor(TensorF64 a) {
        double[] v = new double[a.rows() * a.cols()];
        for (int r = 0; r < a.rows(); r++) for (int c = 0; c < a.cols(); c++) v[r * a.cols() + c] = a.at(r, c);
        return v;
    }

    /** a [R][C] as C rows of R: the layout along the tokens. */
    private static double[] columnMajor(TensorF64 a) {
        double[] v = new double[a.rows() * a.cols()];
        for (int r = 0; r < a.rows(); r++) for (int c = 0; c < a.cols(); c++) v[c * a.rows() + r] = a.at(r, c);
        return v;
    }

    /** The dequantised W [N][K] as K rows of N. */
    private static double[] transposed(Weight w) {
        double[] v = new double[w.rows() * w.cols()];
        for (int r = 0; r < w.rows(); r++) for (int c = 0; c < w.cols(); c++) v[c * w.rows() + r] = w.get(r, c);
        return v;
    }

    private static Operand abs(Operand o) {
        double[] v = o.values().clone(), s = o.scales().clone();
        for (int i = 0; i < v.length; i++) v[i] = Math.abs(v[i]);
        for (int i = 0; i < s.length; i++) s[i] = Math.abs(s[i]);
        return new Operand(v, s, o.rows(), o.inner());
    }
}
