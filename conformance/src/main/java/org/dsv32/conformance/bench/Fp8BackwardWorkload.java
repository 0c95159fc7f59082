package org.dsv32.conformance.bench;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.Locale;
import org.dsv32.optimized.SimdFp8Backward;
import org.dsv32.reference.ReferenceFp8Backward;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.Backends;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.ops.Fp8BackwardOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.Fp8BlockWeight;

/**
 * One backward GEMM of an FP8 linear with W [N][K] over m tokens (spec/SEMANTICS.md §5b; ue8m0 scales as in V3.2):
 * {@code fp8_dgrad} dX [m][K] = dY [m][N] W, or {@code fp8_wgrad} dW [N][K] = dY^T X [m][K], quantisation included
 * in the timing. simd runs {@link SimdFp8Backward}'s float32 entry; other backends the {@link Fp8BackwardOp} contract;
 * the reference a part of the product (the first tokens of dY for Dgrad, the first channels of dY for Wgrad: the
 * tiles never mix tokens, resp. channels, so the part's outputs are the whole product's). {@link #check} compares a
 * variant with the float64 reference on that part, each element within {@link KernelTolerances#gemm} of
 * T = Σ |qa qb| sa sb.
 */
public final class Fp8BackwardWorkload implements AutoCloseable {
    /** DeepSeek-V3.2's projection shapes of the issue: 4096 tokens through 7168x2048 and 2048x7168. */
    public static final List<Fp8GemmWorkload.Shape> SHAPES = List.of(new Fp8GemmWorkload.Shape(7168, 2048), new Fp8GemmWorkload.Shape(2048, 7168));
    public static final int TOKENS = 4096;

    public final String op;
    public final int m, n, k;
    private final boolean wgrad;
    private final Arena arena = Arena.ofShared();
    private final Fp8BlockWeight weight;
    private final float[] dy, x, out;
    private final OpContext context = new OpContext(ModelPresets.deepseekV32(), PrecisionMode.FP8);
    private final SimdFp8Backward simd = new SimdFp8Backward(context);

    public Fp8BackwardWorkload(String op, int m, Fp8GemmWorkload.Shape shape, long seed) {
        if (!op.equals("fp8_dgrad") && !op.equals("fp8_wgrad")) throw new IllegalArgumentException("op '" + op + "'");
        this.op = op;
        this.wgrad = op.equals("fp8_wgrad");
        this.m = m;
        this.n = shape.n();
        this.k = shape.k();
        this.weight = wgrad ? null : BenchData.fp8(arena, "bench.fp8_dgrad." + n + "x" + k, n, k, seed);
        this.dy = BenchData.gaussian(m * n, 1.0, BenchData.mix(seed, 2));
        this.x = wgrad ? BenchData.gaussian(m * k, 1.0, BenchData.mix(seed, 3)) : null;
        this.out = new float[wgrad ? n * k : m * k];
    }

    public String label() { return m + "x" + n + "x" + k; }

    /** 2 m N K. */
    public double flops() { return 2.0 * m * n * k; }

    /** Bytes read and written once: dY (and X) and the output in fp32, W's codes for Dgrad. */
    public double bytes() { return wgrad ? 4.0 * ((double) m * (n + k) + (double) n * k) : (double) n * k + 4.0 * m * ((double) n + k); }

    public void runSimd() {
        if (wgrad) simd.wgrad(dy, x, m, n, k, out);
        else simd.dgrad(dy, m, weight, out);
    }

    /** The product through a backend's contract (float64 tensors in and out). */
    public Runnable contract(Backend b) {
        Fp8BackwardOp o = b.require(Fp8BackwardOp.class, context);
        TensorF64 gy = tensor(dy, m, n, m, n), xx = wgrad ? tensor(x, m, k, m, k) : null;
        return wgrad ? () -> o.wgrad(gy, xx) : () -> o.dgrad(gy, weight);
    }

    /** The reference's part: rows of dY (Dgrad) or channels of dY (Wgrad); its timing times {@link #partScale} is the whole. */
    public Runnable referencePart() {
        Fp8BackwardOp o = Backends.byName("reference").require(Fp8BackwardOp.class, context);
        TensorF64 gy = partDy(), xx = wgrad ? tensor(x, m, k, m, k) : null;
        return wgrad ? () -> o.wgrad(gy, xx) : () -> o.dgrad(gy, weight);
    }

    /** How many parts make the whole product. */
    public double partScale() { return wgrad ? (double) n / PART : (double) m / PART; }

    static final int PART = 2;

    private TensorF64 partDy() { return wgrad ? tensor(dy, m, n, m, Math.min(PART, n)) : tensor(dy, m, n, Math.min(PART, m), n); }

    /** Runs {@code variant} (simd, or a backend by name) once and throws unless it agrees with the reference on the part. */
    public void check(String variant) {
        ReferenceFp8Backward ref = new ReferenceFp8Backward(context, Backends.byName("reference"));
        TensorF64 gy = partDy(), xx = wgrad ? tensor(x, m, k, m, k) : null;
        TensorF64 want = wgrad ? ref.wgrad(gy, xx) : ref.dgrad(gy, weight);
        TensorF64 t = wgrad ? ref.wgradMagnitudes(gy, xx) : ref.dgradMagnitudes(gy, weight);
        float[] got;
        if (variant.equals("simd")) {
            runSimd();
            got = out;
        } else {
            Fp8BackwardOp o = Backends.byName(variant).require(Fp8BackwardOp.class, context);
            TensorF64 y = wgrad ? o.wgrad(tensor(dy, m, n, m, n), xx) : o.dgrad(tensor(dy, m, n, m, n), weight);
            got = new float[y.size()];
            for (int i = 0; i < got.length; i++) got[i] = (float) y.getFlat(i);
        }
        double factor = KernelTolerances.gemm(variant.equals("simd") ? "simd" : variant, wgrad ? m : n, 128);
        for (int i = 0; i < want.rows(); i++) {
            for (int j = 0; j < want.cols(); j++) {
                double e = want.at(i, j), g = got[i * k + j], tol = factor * t.at(i, j);
                if (!(Math.abs(g - e) <= tol)) {
                    throw new IllegalStateException(String.format(Locale.ROOT, "%s %s: %s disagrees with the float64 reference at [%d][%d]: %.9g vs %.9g (tolerance %.3g)",
                            op, label(), variant, i, j, g, e, tol));
                }
            }
        }
    }

    /** Rows [0, r) and columns [0, c) of a [rows][cols] as a float64 tensor (exact). */
    private static TensorF64 tensor(float[] a, int rows, int cols, int r, int c) {
        double[] d = new double[r * c];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) d[i * c + j] = a[i * cols + j];
        return TensorF64.wrap(d, r, c);
    }

    @Override
    public void close() { arena.close(); }
}
