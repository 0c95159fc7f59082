package org.dsv32.reference;

import org.dsv32.spec.format.Bf16Rounding;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.LinearChecks;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.Weight;

/**
 * y = x W^T for x [M][K] and W [N][K], the reference (spec/SEMANTICS.md §2, §4 and §5). Two cases:
 *
 * <ul>
 *   <li>Exact mode, or a dense (bf16 / fp32 / fp64) weight in either mode: the float64 product with the
 *       dequantised weight, y[m][n] = sum_k x[m][k] W[n][k], W[n][k] = {@link Weight#get}.</li>
 *   <li>An {@link Fp8BlockWeight} in fp8 mode: x goes through act_quant (the backend's {@link ActQuantOp}, with the
 *       configuration's activation scale format), giving codes qa and scales sa [M][K/128]; then
 *       <pre>
 *   y[m][n] = sum over 128-wide k-blocks b of ( sum_{k in b} qa[m][k] * qw[n][k] ) * sa[m][b] * sw[n / 128][b]
 *       </pre>
 *       every block's partial sum is scaled before it is added. The weight's scale block of row n is
 *       n / blockRows, so a ragged last block (N = 576) uses the scale of its own partial block.</li>
 * </ul>
 *
 * In bf16 mode (spec/SEMANTICS.md §5c) the output is rounded to bf16, whatever the weight; the deployment's fp32
 * linears (router, indexer weights projection, LM head) are not run through a bf16 context.
 *
 * Everything accumulates in float64: the partial sums of e4m3 products are exact, and the reference does not
 * place the deployment's fp32 accumulator or its bf16 output rounding (they are not among the rounding points of
 * section 5). x and W are not modified.
 */
public class ReferenceLinear implements LinearOp {
    protected final OpContext context;
    protected final Backend self;

    public ReferenceLinear(OpContext context, Backend self) {
        this.context = context;
        this.self = self;
    }

    @Override
    public TensorF64 apply(TensorF64 x, Weight w) {
        checkShapes(x, w);
        TensorF64 y = w instanceof Fp8BlockWeight fp8 && context.fp8() ? fp8Product(x, fp8) : exactProduct(x, w);
        return context.bf16() ? Bf16Rounding.roundInPlace(y) : y; // bf16 mode: the output as the bf16 GEMM stores it (§5c)
    }

    /** y[m][n] = sum_k x[m][k] W[n][k] in float64 with the dequantised weight. */
    protected TensorF64 exactProduct(TensorF64 x, Weight w) {
        int m = x.rows(), n = w.rows(), k = w.cols();
        TensorF64 y = TensorF64.zeros(m, n);
        for (int j = 0; j < n; j++) {
            double[] wRow = w.row(j);
            for (int i = 0; i < m; i++) {
                double sum = 0;
                for (int c = 0; c < k; c++) sum += x.at(i, c) * wRow[c];
                y.put(i, j, sum);
            }
        }
        return y;
    }

    /** The fine-grained scaled FP8 GEMM of section 4 on act_quant(x) and the weight's codes. */
    protected TensorF64 fp8Product(TensorF64 x, Fp8BlockWeight w) {
        QuantizedActivation qa = quantizeActivation(x);
        if (w.blockCols() != qa.tile()) {
            throw new IllegalArgumentException("linear " + w.name() + ": weight blocks are " + w.blockCols()
                    + " columns wide, but the FP8 GEMM needs them to match the " + qa.tile() + "-column activation tiles");
        }
        int m = x.rows(), n = w.rows(), blocks = qa.tilesPerRow();
        TensorF64 y = TensorF64.zeros(m, n);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int b = 0; b < blocks; b++) {
                    sum += blockDot(qa, i, w, j, b) * qa.scale(i, b) * weightScale(w, j, b);
                }
                y.put(i, j, sum);
            }
        }
        return y;
    }

    /** act_quant of the input with the configuration's activation scale format, through the backend. */
    protected QuantizedActivation quantizeActivation(TensorF64 x) {
        return self.require(ActQuantOp.class, context).quantize(x, context.scaleFormat());
    }

    /** sum_{k in block b} qa[m][k] * qw[n][k] over the decoded e4m3 codes (exact in float64). */
    protected double blockDot(QuantizedActivation qa, int m, Fp8BlockWeight w, int n, int b) {
        int from = b * qa.tile(), to = Math.min(from + qa.tile(), w.cols());
        double sum = 0;
        for (int k = from; k < to; k++) sum += E4M3.decode(qa.code(m, k)) * E4M3.decode(w.code(n, k));
        return sum;
    }

    /** The weight scale of output row n and k-block b: S[n / blockRows][b]. */
    protected double weightScale(Fp8BlockWeight w, int n, int b) {
        return w.scale(n / w.blockRows(), b);
    }

    /** x must be [M][K] with K the weight's column count ({@link LinearChecks}). */
    protected void checkShapes(TensorF64 x, Weight w) { LinearChecks.checkInput(w, x.rows(), x.cols()); }
}
