package org.dsv32.optimized;

import org.dsv32.spec.format.Bf16Rounding;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.LinearChecks;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.ScaleFormat;
import org.dsv32.spec.weights.Weight;

/**
 * y = x W^T in float32. FP8 weight, fp8 mode: x goes through {@link SimdActQuant} and the block-scaled product runs
 * on the decoded codes ({@link SimdFp8Gemm}, or the GEMV of {@link SimdGemmDriver} for one row). FP8 weight, exact
 * mode: x in fp32 against the codes with their block scales (dequantised in registers). Dense weight: plain fp32
 * product ({@link SimdDenseGemm}). The input is rounded to fp32 on entry; x is not modified.
 */
public final class SimdLinear implements LinearOp {
    private final OpContext context;
    /** The backend's act_quant when it is not simd's own (a tracing backend's, which may force rounding decisions). */
    private final ActQuantOp quant;

    public SimdLinear(OpContext context) { this(context, null); }

    /**
     * A linear that quantises its fp8-mode inputs through {@code quant} when that is not {@link SimdActQuant} (null:
     * simd's own kernel). The simd backend passes its registry's act_quant, so a backend composed over simd that
     * hands out another act_quant (decision replay) reaches every linear; with simd's own the fast path runs.
     */
    public SimdLinear(OpContext context, ActQuantOp quant) {
        this.context = context;
        this.quant = quant instanceof SimdActQuant ? null : quant;
    }

    @Override
    public TensorF64 apply(TensorF64 x, Weight w) {
        int m = x.rows(), k = x.cols();
        LinearChecks.checkInput(w, m, k);
        float[] y = new float[m * w.rows()];
        multiply(SimdTensors.toFloats(x), m, w, y);
        return SimdTensors.toTensor(y, SimdTensors.withLastDim(x, w.rows()));
    }

    /** The float32 entry: y [m][N] = x [m][K] W^T under this context's precision mode; y is overwritten. */
    public void multiply(float[] x, int m, Weight w, float[] y) { multiply(Activation.forOneProduct(x, m), w, y); }

    /**
     * The same product for an input prepared once for several weights ({@link Activation}: in fp8 mode its
     * act_quant is computed on the first FP8 weight and reused by the others). y is overwritten.
     */
    public void multiply(Activation x, Weight w, float[] y) {
        multiplyEach(new Activation[] {x}, new Weight[] {w}, new float[][] {y});
    }

    /**
     * ys[i] = xs[i] W_i^T for every i, as {@link #multiply(Activation, Weight, float[])} computes each (the same
     * bits): the GEMVs among them (one row of x) run as one parallel loop ({@link SimdGemmDriver#gemvAll}), the
     * GEMMs one after another. For products that are all ready at once. Each ys[i] is overwritten.
     */
    public void multiplyEach(Activation[] xs, Weight[] ws, float[][] ys) {
        SimdLinear[] ops = new SimdLinear[ws.length];
        java.util.Arrays.fill(ops, this);
        multiplyEach(ops, xs, ws, ys);
    }

    /**
     * ys[i] = xs[i] W_i^T through ops[i] (each product in its own op's precision context, e.g. an fp8 product next
     * to one bound to an exact context), every ys[i] the same bits as {@code ops[i].multiply(xs[i], ws[i], ys[i])}:
     * the GEMVs among them run as one parallel loop, the GEMMs one after another. Each ys[i] is overwritten.
     */
    static void multiplyEach(SimdLinear[] ops, Activation[] xs, Weight[] ws, float[][] ys) {
        SimdGemmProblem[] gemvs = new SimdGemmProblem[ws.length];
        SimdGemvRows.Input[] inputs = new SimdGemvRows.Input[ws.length];
        int n = 0;
        for (int i = 0; i < ws.length; i++) {
            OpContext context = ops[i].context;
            ActQuantOp quant = ops[i].quant;
            Activation x = xs[i];
            int m = x.rows();
            switch (ws[i]) {
                case Fp8BlockWeight f -> {
                    if (context.fp8()) {
                        if (f.blockCols() != SimdActQuant.TILE) {
                            throw new IllegalArgumentException(f.name() + ": fp8 mode needs " + SimdActQuant.TILE
                                    + "-column weight blocks to match the act_quant tiles, got " + f.blockCols());
                        }
                        Activation.Quantized q = x.quantized(context.scaleFormat(), f.cols(), quant);
                        if (m == 1) {
                            inputs[n] = q.gemv();
                            gemvs[n++] = SimdGemmProblem.fp8(q.values(), q.scales(), m, f, ys[i]);
                        } else {
                            SimdFp8Gemm.multiply(q.values(), q.scales(), m, f, ys[i]);
                        }
                    } else if (m == 1) {
                        inputs[n] = x.gemvInput(f.cols());
                        gemvs[n++] = SimdGemmProblem.fp8(x.values(), null, m, f, ys[i]);
                    } else {
                        SimdFp8Gemm.multiply(x.values(), null, m, f, ys[i]);
                    }
                }
                case DenseWeight d -> {
                    if (m == 1) gemvs[n++] = SimdGemmProblem.dense(x.values(), m, d, ys[i]);
                    else SimdDenseGemm.multiply(x.values(), m, d, ys[i]);
                }
            }
        }
        if (n > 0) SimdGemmDriver.gemvAll(java.util.Arrays.copyOf(gemvs, n), java.util.Arrays.copyOf(inputs, n));
        for (int i = 0; i < ws.length; i++) {
            if (ops[i].context.bf16()) Bf16Rounding.roundInPlace(ys[i]); // bf16 mode: stored bf16 (§5c)
        }
    }

    /**
     * An input x [m][K] of one or more products (the values are not copied: do not modify them while in use). Its
     * act_quant (fp8 mode, one scale format) is computed on first need and kept, so that the products sharing an
     * input (q_a and kv_a, gate and up, the routed experts of a decode token) quantise it once: the same codes and
     * scales as quantising it for each, since act_quant is a function of x. Safe to share between threads (the
     * MoE runs experts reading one input on several).
     */
    public static final class Activation {
        private final float[] x;
        private final int m;
        /** Whether the decoded values live in this thread's scratch (see {@link #forOneProduct}). */
        private final boolean scratch;
        private Quantized last;
        private SimdGemvRows.Input gemv;

        /**
         * act_quant of x read as m rows of {@code cols}, under {@code format}: decoded codes [m][cols], scales
         * [m][cols/128], and the GEMVs' view of the codes (scanned by the first GEMV, then shared).
         */
        record Quantized(ScaleFormat format, int cols, float[] values, float[] scales, SimdGemvRows.Input gemv) {}

        public Activation(float[] x, int m) { this(x, m, false); }

        private Activation(float[] x, int m, boolean scratch) {
            this.x = x;
            this.m = m;
            this.scratch = scratch;
        }

        /**
         * An input of one product, used on this thread only and dropped when the product returns: its act_quant
         * lives in this thread's scratch, overwritten by the next such input on the thread.
         */
        static Activation forOneProduct(float[] x, int m) { return new Activation(x, m, true); }

        /** x itself, row-major. */
        public float[] values() { return x; }

        public int rows() { return m; }

        /** act_quant of x read as m rows of k, under {@code f}: computed on the first call, then kept. */
        synchronized Quantized quantized(ScaleFormat f, int k) { return quantized(f, k, null); }

        /** As {@link #quantized(ScaleFormat, int)}, through {@code op} when not null (its codes decoded to values). */
        synchronized Quantized quantized(ScaleFormat f, int k, ActQuantOp op) {
            Quantized q = last;
            if (op != null && (q == null || q.format() != f || q.cols() != k)) {
                QuantizedActivation a = op.quantize(SimdTensors.toTensor(x, m, k), f);
                float[] v = new float[m * k];
                for (int i = 0; i < v.length; i++) v[i] = Fp8Codec.decodeE4M3(a.codes()[i]);
                last = q = new Quantized(f, k, v, a.scales().clone(), new SimdGemvRows.Input(v, m, k));
            }
            if (q == null || q.format() != f || q.cols() != k) {
                // the codes are never kept, and one product's values need not be: from this thread's scratch (a
                // prefill product quantises megabytes; allocated per call, that memory comes fresh from the heap
                // often enough to page-fault as the heap grows, doubling some GEMMs)
                int n = m * k;
                SimdGemmScratch sc = SimdGemmScratch.get();
                float[] v = scratch ? sc.actValues(n) : new float[n], s = new float[m * (k / SimdActQuant.TILE)];
                SimdActQuant.quantize(x, m, k, f, sc.actCodes(n), s, v);
                last = q = new Quantized(f, k, v, s, new SimdGemvRows.Input(v, m, k));
            }
            return q;
        }

        /** The GEMVs' scan of x read as m rows of k (exact mode: x itself is the GEMV's input). */
        synchronized SimdGemvRows.Input gemvInput(int k) {
            if (gemv == null || !gemv.describes(x, m, k)) gemv = new SimdGemvRows.Input(x, m, k);
            return gemv;
        }
    }
}
