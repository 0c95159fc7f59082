package org.dsv32.conformance.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Locale;
import org.dsv32.optimized.SimdActQuant;
import org.dsv32.optimized.SimdLinear;
import org.dsv32.optimized.SimdThreads;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.Backends;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.ScaleFormat;
import org.ejml.concurrency.EjmlConcurrency;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.ejml.dense.row.CommonOps_MT_FDRM;

/**
 * One FP8 linear of the deployed model: y [M][N] = the block-scaled product of act_quant(x) [M][K] with a random FP8
 * weight W [N][K] (spec/SEMANTICS.md §3 and §4; ue8m0 activation scales as in V3.2), computed by
 *
 * <ul>
 *   <li>{@code simd}: {@link SimdLinear}'s float32 entry in fp8 mode (act_quant included; GEMV for M = 1);</li>
 *   <li>{@code ejml}: EJML's float32 dense product {@code mult(a, W^T)} ({@code CommonOps_MT_FDRM} when more than
 *       one thread is used) on W dequantised and transposed once to float32 K x N (4 bytes per weight), and the
 *       act_quant values a * sa — the obvious library alternative. Its row-by-column {@code multTransB} on W as
 *       stored measured about half as fast here, so W is transposed ahead of time; act_quant, dequantisation and the
 *       transpose are done before timing;</li>
 *   <li>{@code reference}: the float64 reference backend's {@link LinearOp} on a part of the rows of x and of W
 *       (timed there and scaled: its cost is proportional to M x N);</li>
 *   <li>any other backend (cuda) through its {@link LinearOp} contract (float64 tensors in and out).</li>
 * </ul>
 * {@link #check} runs a variant once on the same inputs and fails unless it is within its derived tolerance
 * ({@link KernelTolerances#gemm}) of the float64 reference on a part, and simd and ejml agree on every element.
 */
public final class Fp8GemmWorkload implements AutoCloseable {
    /** A weight shape: N output rows by K input columns. */
    public record Shape(int n, int k) {
        public String label() { return n + "x" + k; }

        public static Shape parse(String s) {
            String[] p = s.toLowerCase(Locale.ROOT).split("x");
            if (p.length != 2) throw new IllegalArgumentException("shape '" + s + "' is not NxK");
            return new Shape(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()));
        }
    }

    /** The weight shapes of the issue: o_proj-like, down-projection, kv_a_proj_with_mqa (ragged 576), q_b_proj. */
    public static final List<Shape> SHAPES = List.of(new Shape(2048, 7168), new Shape(7168, 2048), new Shape(576, 7168),
            new Shape(24576, 1536));
    public static final List<Integer> M_VALUES = List.of(1, 16, 128);

    public final int m, n, k;
    public final Fp8BlockWeight weight;
    /** The activation x [M][K], float32, N(0, 1). */
    public final float[] x;
    public final OpContext context;
    private final Arena arena = Arena.ofShared();
    private final SimdLinear simd;
    private final float[] ySimd;
    /**
     * Copies of W (same codes and scales, separate memory) that {@link #runSimd} takes in turn: at least
     * {@link #COLD_BYTES} in all (up to {@link #MAX_COPIES}), so every timed product reads a weight that is not in the caches, as a decode step
     * reads each layer's weights once. With one weight, a 4-15 MB W partly stays in a server's 32 MB L3 between
     * calls and the GEMV measured above the streaming bandwidth.
     */
    private final Fp8BlockWeight[] rotation;
    private int turn;
    /** The bytes of weight copies {@link #runSimd} cycles through: twice the last-level cache, at least 64 MiB. */
    static final long COLD_BYTES = LastLevelCache.coldBytes();
    /** At most this many copies (tiny test shapes would otherwise make thousands). */
    static final int MAX_COPIES = 1024;
    private final int threads;
    private FMatrixRMaj ejmlA, ejmlWt, ejmlC;

    private Fp8GemmWorkload(int m, int n, int k, long seed) {
        if (k % SimdActQuant.TILE != 0) throw new IllegalArgumentException("K must be a multiple of 128 (act_quant tiles), got " + k);
        if (m < 1 || n < 1) throw new IllegalArgumentException("M and N must be positive, got " + m + ", " + n);
        this.m = m;
        this.n = n;
        this.k = k;
        this.context = new OpContext(ModelPresets.deepseekV32(), PrecisionMode.FP8);
        this.weight = BenchData.fp8(arena, "bench.fp8_gemm." + n + "x" + k, n, k, seed);
        this.x = BenchData.gaussian(m * k, 1.0, BenchData.mix(seed, 1));
        long bytes = (long) n * k;
        this.rotation = new Fp8BlockWeight[(int) Math.max(1, Math.min(MAX_COPIES, (COLD_BYTES + bytes - 1) / bytes))];
        rotation[0] = weight;
        for (int i = 1; i < rotation.length; i++) {
            MemorySegment codes = arena.allocate(weight.codes().byteSize(), 64).copyFrom(weight.codes());
            MemorySegment scales = arena.allocate(weight.scales().byteSize(), 64).copyFrom(weight.scales());
            rotation[i] = new Fp8BlockWeight(weight.name() + "#" + i, codes, scales, n, k, weight.blockRows(), weight.blockCols());
        }
        this.simd = new SimdLinear(context);
        this.ySimd = new float[m * n];
        this.threads = SimdThreads.threads();
    }

    public static Fp8GemmWorkload create(int m, Shape shape, long seed) { return new Fp8GemmWorkload(m, shape.n(), shape.k(), seed); }

    public String label() { return m + "x" + n + "x" + k; }

    /** 2 M N K. */
    public double flops() { return 2.0 * m * n * k; }

    /** The weight bytes one product reads: one per e4m3 code plus the fp32 block scales. */
    public double weightBytes() { return (double) n * k + 4.0 * weight.scaleRows() * weight.scaleCols(); }

    // ---- simd

    /** The simd product on the next copy of W (the same values: every call gives the same output). */
    public void runSimd() {
        Fp8BlockWeight w = rotation[turn];
        turn = (turn + 1) % rotation.length;
        simd.multiply(x, m, w, ySimd);
    }

    /**
     * For a GEMV (M = 1): runs the simd product twice on every copy of W, untimed, so that the GEMV's repacking of a
     * weight's codes (made on its second use, within {@code -Ddsv32.weightCacheMiB}) is done before timing rather
     * than inside timed calls; returns how many copies are now repacked (all of them unless the budget is too small).
     * M > 1 reads W as stored and needs nothing.
     */
    public int repackCopies() {
        if (m != 1) return 0;
        for (int i = 0; i < 2 * rotation.length; i++) runSimd();
        int packed = 0;
        for (Fp8BlockWeight c : rotation) if (org.dsv32.optimized.SimdWeightProbe.repacked(c)) packed++;
        return packed;
    }

    /** Copy {@code i} of W (0: W itself), as {@link #runSimd} cycles through them. */
    Fp8BlockWeight weightCopy(int i) { return rotation[i]; }

    /** How many copies of W {@link #runSimd} cycles through. */
    public int weightCopies() { return rotation.length; }

    public float[] simdOutput() { return ySimd; }

    // ---- ejml

    /** Dequantises W (transposed, K x N) and act_quant(x) into EJML matrices (once; not timed). */
    public void prepareEjml() {
        if (ejmlWt != null) return;
        float[] a = quantizedActivation();
        ejmlA = FMatrixRMaj.wrap(m, k, a);
        float[] wt = new float[Math.multiplyExact(n, k)];
        for (int r = 0; r < n; r++) {
            for (int b = 0; b < weight.scaleCols(); b++) {
                float s = weight.scale(r / weight.blockRows(), b);
                int from = b * weight.blockCols(), to = Math.min(k, from + weight.blockCols());
                for (int c = from; c < to; c++) wt[c * n + r] = E4M3.decodeFloat(weight.code(r, c)) * s;
            }
        }
        ejmlWt = FMatrixRMaj.wrap(k, n, wt);
        ejmlC = new FMatrixRMaj(m, n);
    }

    public void runEjml() { ejmlMult(ejmlA, ejmlWt, ejmlC); }

    private void ejmlMult(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
        if (threads > 1) {
            EjmlConcurrency.setMaxThreads(threads);
            CommonOps_MT_FDRM.mult(a, b, c);
        } else {
            CommonOps_FDRM.mult(a, b, c);
        }
    }

    public float[] ejmlOutput() { return ejmlC.data; }

    /** Frees the EJML copies (about 4 N K bytes). */
    public void releaseEjml() { ejmlA = ejmlWt = ejmlC = null; }

    /** a = decode(q) * s of act_quant(x) [M][K], float32 (exact: a power-of-two scale times an e4m3 value). */
    float[] quantizedActivation() {
        int tiles = k / SimdActQuant.TILE;
        byte[] codes = new byte[m * k];
        float[] scales = new float[m * tiles], values = new float[m * k];
        SimdActQuant.quantize(x, m, k, ScaleFormat.UE8M0, codes, scales, values);
        for (int i = 0; i < m * k; i++) values[i] *= scales[i / SimdActQuant.TILE];
        return values;
    }

    // ---- reference and other backends through the LinearOp contract

    /** A part of the product: the first {@code rows} rows of x against the first {@code weightRows} rows of W. */
    public record Part(int rows, int weightRows, TensorF64 x, Fp8BlockWeight w) {
        /** How many times the whole product is larger. */
        public double scale(int m, int n) { return (double) m * n / ((double) rows * weightRows); }

        public String describe(int m, int n) {
            return rows == m && weightRows == n ? "" : "measured on " + rows + " of " + m + " rows x " + weightRows + " of " + n + " columns, scaled";
        }
    }

    /** A part with about {@code macs} multiply-adds (at least one row and one 128-row weight block). */
    public Part part(double macs) {
        int rows = Math.min(m, 4);
        int wr = (int) Math.min(n, Math.max(128, Math.floor(macs / ((double) k * rows) / 128) * 128));
        if (wr < n) wr = Math.max(128, wr / weight.blockRows() * weight.blockRows());
        return part(rows, wr);
    }

    public Part part(int rows, int weightRows) {
        return new Part(rows, weightRows, xTensor(rows), BenchData.firstRows(weight, weightRows));
    }

    /** The first {@code rows} rows of x as a float64 tensor (exact). */
    public TensorF64 xTensor(int rows) {
        double[] d = new double[rows * k];
        for (int i = 0; i < d.length; i++) d[i] = x[i];
        return TensorF64.wrap(d, rows, k);
    }

    /** A backend's LinearOp in this workload's context (fp8 mode, the V3.2 configuration). */
    public LinearOp linear(Backend backend) { return backend.require(LinearOp.class, context); }

    // ---- agreement

    private Part checked;
    private TensorF64 checkedReference;
    private double[] checkedAbs;
    private boolean simdChecked;

    /**
     * Runs one variant once — {@code simd}, {@code ejml}, or a backend by name through its LinearOp — and throws
     * {@link IllegalStateException}, naming the first element that disagrees, unless it is within its tolerance of
     * the float64 reference on the first rows of x and W. {@code ejml} is also compared with simd on every element,
     * within the sum of their tolerances (simd is checked first if it was not yet).
     */
    public void check(String variant) {
        expected();
        switch (variant) {
            case "simd" -> {
                simd.multiply(x, m, weight, ySimd); // W itself: the copies hold its values as they were made
                compareToReference("simd", ySimd, n, checked, checkedReference, checkedAbs, KernelTolerances.fp8GemmBlocked(k, weight.blockCols()));
                simdChecked = true;
            }
            case "ejml" -> {
                if (!simdChecked) check("simd");
                prepareEjml();
                runEjml();
                compareToReference("ejml", ejmlC.data, n, checked, checkedReference, checkedAbs, KernelTolerances.fp32AnyOrder(k));
                compareSimdEjml();
            }
            default -> {
                TensorF64 y = linear(Backends.byName(variant)).apply(xTensor(m), weight);
                float[] f = new float[m * n];
                for (int i = 0; i < f.length; i++) f[i] = (float) y.getFlat(i);
                compareToReference(variant, f, n, checked, checkedReference, checkedAbs, KernelTolerances.gemm(variant, k, weight.blockCols()));
            }
        }
    }

    private void compareToReference(String who, float[] y, int ldy, Part p, TensorF64 ref, double[] t, double factor) {
        expected().compare(who, y, factor);
    }

    /**
     * The float64 reference on the checked part (the first rows of x against the first 128 rows of W) with the sums
     * of absolute products T: what any output of this product is compared with, kept after the workload is closed
     * (a peer's outputs arrive later).
     *
     * @param label  the product's label (M x N x K)
     * @param rows   checked rows of y
     * @param cols   checked columns of y (leading rows of W)
     * @param n      the full row length of the y compared
     * @param k      K
     * @param ref    the reference, rows x cols
     * @param abs    T, rows x cols
     */
    public record Expected(String label, int rows, int cols, int n, int k, double[] ref, double[] abs) {
        /**
         * Throws {@link IllegalStateException}, naming the first element that disagrees, unless every checked
         * element of {@code y} [M][n] is within {@code factor} T of the reference.
         */
        public void compare(String who, float[] y, double factor) {
            if (y.length < (long) (rows - 1) * n + cols) {
                throw new IllegalStateException(String.format(Locale.ROOT, "fp8_gemm %s: %s gave %d values, fewer than the %d x %d checked",
                        label, who, y.length, rows, n));
            }
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    double e = ref[i * cols + j], tol = factor * abs[i * cols + j];
                    double got = y[i * n + j];
                    if (!(Math.abs(got - e) <= tol)) {
                        throw new IllegalStateException(String.format(Locale.ROOT,
                                "fp8_gemm %s: %s disagrees with the float64 reference at y[%d][%d]: %.9g vs %.9g (tolerance %.3g)",
                                label, who, i, j, got, e, tol));
                    }
                }
            }
        }
    }

    private Expected expected;

    /** The reference on the checked part (computed on first call). */
    public Expected expected() {
        if (expected == null) {
            Part p = part(Math.min(m, 2), Math.min(n, 128));
            Backend refBackend = Backends.byName("reference");
            TensorF64 ref = linear(refBackend).apply(p.x(), p.w());
            checkedAbs = absProducts(refBackend.require(ActQuantOp.class, context).quantize(p.x(), ScaleFormat.UE8M0), p.w());
            checkedReference = ref;
            checked = p;
            expected = new Expected(label(), p.rows(), p.weightRows(), n, k, ref.toArray(), checkedAbs.clone());
        }
        return expected;
    }

    /** simd vs ejml everywhere: T from EJML's product of |a| and |W| (fp32, inflated for its own rounding). */
    private void compareSimdEjml() {
        FMatrixRMaj absA = ejmlA.copy(), absW = ejmlWt.copy(), absC = new FMatrixRMaj(m, n);
        for (int i = 0; i < absA.data.length; i++) absA.data[i] = Math.abs(absA.data[i]);
        for (int i = 0; i < absW.data.length; i++) absW.data[i] = Math.abs(absW.data[i]);
        ejmlMult(absA, absW, absC);
        double factor = (KernelTolerances.fp8GemmBlocked(k, weight.blockCols()) + KernelTolerances.fp32AnyOrder(k)) * (1 + (k + 2) * Tolerances.U_FP32) * 1.001;
        for (int i = 0; i < m * n; i++) {
            double tol = factor * absC.data[i];
            if (!(Math.abs(ySimd[i] - ejmlC.data[i]) <= tol)) {
                throw new IllegalStateException(String.format(Locale.ROOT,
                        "fp8_gemm %s: simd and ejml disagree at y[%d][%d]: %.9g vs %.9g (tolerance %.3g)",
                        label(), i / n, i % n, ySimd[i], ejmlC.data[i], tol));
            }
        }
    }

    /** T[i][j] = sum_k |qa[i][k] qw[j][k]| sa[i][b] sw[j][b] in float64 (exact inputs). */
    private static double[] absProducts(QuantizedActivation qa, Fp8BlockWeight w) {
        int rows = qa.rows(), n = w.rows(), k = w.cols(), tile = qa.tile();
        double[] t = new double[rows * n];
        double[] wRow = new double[k];
        for (int j = 0; j < n; j++) {
            for (int c = 0; c < k; c++) wRow[c] = Math.abs(E4M3.decode(w.code(j, c)));
            for (int i = 0; i < rows; i++) {
                double sum = 0;
                for (int b = 0; b < k / tile; b++) {
                    double blk = 0;
                    for (int c = b * tile; c < (b + 1) * tile; c++) blk += Math.abs(E4M3.decode(qa.code(i, c))) * wRow[c];
                    sum += blk * qa.scale(i, b) * w.scale(j / w.blockRows(), b);
                }
                t[i * n + j] = sum;
            }
        }
        return t;
    }

    @Override
    public void close() {
        releaseEjml();
        arena.close();
    }
}
