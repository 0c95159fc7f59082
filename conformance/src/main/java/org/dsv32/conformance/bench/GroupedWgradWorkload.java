package org.dsv32.conformance.bench;

import java.util.Locale;
import java.util.SplittableRandom;
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

/**
 * The MoE experts' k-grouped Wgrad (spec/SEMANTICS.md §5b, an {@code fp8_wgrad} row): a batch of T tokens is routed
 * top-k among E experts, so expert e receives a ragged group of m_e token rows, and its weight gradient is
 * dW_e [N][K] = dY_eᵀ X_e, each group quantised in its own 128x1 tiles (a group's last tile is partial). The routing
 * is a seeded uniform one (each token picks k distinct experts at random): m_e ≈ T k / E, as a balanced router gives
 * (DeepSeek-V3.2: 4096 tokens, top-8 of 256, ≈ 128 rows per expert). A token's activation row X[t] is shared by the
 * experts it was routed to; simd reads each group's rows where they lie in X through the group's token list (its
 * 128x1 quantiser gathers them, inside the timed call), the contract path takes them gathered; dY_e is the
 * expert's own. One output
 * buffer is reused: every group's dW is computed and written in full. {@link #check} compares simd with the float64
 * reference on three groups (the smallest, the largest, the first), on the first channels of dY_e.
 */
public final class GroupedWgradWorkload {
    public final int tokens, experts, topK, groupsRun, n, k;
    private final int[][] rows;         // rows[e]: the tokens routed to expert e, ascending
    private final float[] x;            // [tokens][k]
    private final float[][] dy;         // dy[e]: [m_e][n]
    private final float[] out;
    private final OpContext context = new OpContext(ModelPresets.deepseekV32(), PrecisionMode.FP8);
    private final SimdFp8Backward simd = new SimdFp8Backward(context);

    /** Routes {@code tokens} top-{@code topK} among {@code experts}; the first {@code groupsRun} groups are computed. */
    public GroupedWgradWorkload(int tokens, int experts, int topK, int groupsRun, Fp8GemmWorkload.Shape shape, long seed) {
        if (topK > experts || groupsRun < 1 || groupsRun > experts) {
            throw new IllegalArgumentException("grouped wgrad: top-" + topK + " of " + experts + " experts, " + groupsRun + " groups run");
        }
        this.tokens = tokens;
        this.experts = experts;
        this.topK = topK;
        this.groupsRun = groupsRun;
        this.n = shape.n();
        this.k = shape.k();
        this.rows = route(tokens, experts, topK, BenchData.mix(seed, 7));
        this.x = BenchData.gaussian(tokens * k, 1.0, BenchData.mix(seed, 8));
        this.dy = new float[groupsRun][];
        for (int e = 0; e < groupsRun; e++) dy[e] = BenchData.gaussian(rows[e].length * n, 1.0, BenchData.mix(seed, 100 + e));
        this.out = new float[n * k];
    }

    /** Each token picks topK distinct experts uniformly at random; returns each expert's tokens, ascending. */
    static int[][] route(int tokens, int experts, int topK, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] count = new int[experts];
        int[][] picks = new int[tokens][topK];
        for (int t = 0; t < tokens; t++) {
            boolean[] taken = new boolean[experts];
            for (int j = 0; j < topK; j++) {
                int e;
                do e = rng.nextInt(experts); while (taken[e]);
                taken[e] = true;
                picks[t][j] = e;
                count[e]++;
            }
        }
        int[][] out = new int[experts][];
        int[] fill = new int[experts];
        for (int e = 0; e < experts; e++) out[e] = new int[count[e]];
        for (int t = 0; t < tokens; t++) for (int e : picks[t]) out[e][fill[e]++] = t;
        return out;
    }

    /** The rows of the groups run: Σ m_e. */
    public int routedRows() {
        int s = 0;
        for (int e = 0; e < groupsRun; e++) s += rows[e].length;
        return s;
    }

    /** "min..max" rows per group over the groups run. */
    public String groupSizes() {
        int lo = Integer.MAX_VALUE, hi = 0;
        for (int e = 0; e < groupsRun; e++) {
            lo = Math.min(lo, rows[e].length);
            hi = Math.max(hi, rows[e].length);
        }
        return lo + ".." + hi;
    }

    public String label() { return groupsRun + " groups of " + groupSizes() + " rows, " + n + "x" + k; }

    /** 2 Σ m_e N K. */
    public double flops() { return 2.0 * routedRows() * n * k; }

    /** Bytes read and written once: each group's dY and gathered X, and its dW, in fp32. */
    public double bytes() { return 4.0 * ((double) routedRows() * (n + k) + (double) groupsRun * n * k); }

    /** Every group: simd's float32 Wgrad of its token rows of X (gathered by the quantiser) into the shared output. */
    public void runSimd() {
        for (int e = 0; e < groupsRun; e++) runSimdGroup(e);
    }

    private void runSimdGroup(int e) {
        int m = rows[e].length;
        if (m == 0) return;
        simd.wgrad(dy[e], x, rows[e], m, n, k, out);
    }

    /** Every group through a backend's {@link Fp8BackwardOp} (float64 tensors in and out). */
    public Runnable contract(Backend b) {
        Fp8BackwardOp o = b.require(Fp8BackwardOp.class, context);
        TensorF64[] gy = new TensorF64[groupsRun], gx = new TensorF64[groupsRun];
        for (int e = 0; e < groupsRun; e++) {
            gy[e] = tensor(dy[e], rows[e].length, n, n);
            gx[e] = groupX(e);
        }
        return () -> {
            for (int e = 0; e < groupsRun; e++) if (rows[e].length > 0) o.wgrad(gy[e], gx[e]);
        };
    }

    /** The reference on group 0's first {@link Fp8BackwardWorkload#PART} channels; times {@link #partScale} is the whole. */
    public Runnable referencePart() {
        Fp8BackwardOp o = Backends.byName("reference").require(Fp8BackwardOp.class, context);
        int e = firstNonEmpty();
        TensorF64 gy = tensor(dy[e], rows[e].length, n, Math.min(Fp8BackwardWorkload.PART, n)), gx = groupX(e);
        return () -> o.wgrad(gy, gx);
    }

    public double partScale() {
        int e = firstNonEmpty();
        return flops() / (2.0 * rows[e].length * Math.min(Fp8BackwardWorkload.PART, n) * k);
    }

    /** Runs {@code variant} on three groups and throws unless each agrees with the float64 reference on its first channels. */
    public void check(String variant) {
        ReferenceFp8Backward ref = new ReferenceFp8Backward(context, Backends.byName("reference"));
        int smallest = firstNonEmpty(), largest = smallest;
        for (int e = 0; e < groupsRun; e++) {
            if (rows[e].length == 0) continue;
            if (rows[e].length < rows[smallest].length) smallest = e;
            if (rows[e].length > rows[largest].length) largest = e;
        }
        for (int e : new int[] {firstNonEmpty(), smallest, largest}) {
            int m = rows[e].length, part = Math.min(Fp8BackwardWorkload.PART, n);
            TensorF64 gy = tensor(dy[e], m, n, part), gx = groupX(e);
            TensorF64 want = ref.wgrad(gy, gx), t = ref.wgradMagnitudes(gy, gx);
            float[] got;
            if (variant.equals("simd")) {
                runSimdGroup(e);
                got = out;
            } else {
                TensorF64 y = Backends.byName(variant).require(Fp8BackwardOp.class, context).wgrad(tensor(dy[e], m, n, n), gx);
                got = new float[y.size()];
                for (int i = 0; i < got.length; i++) got[i] = (float) y.getFlat(i);
            }
            double factor = KernelTolerances.gemm(variant.equals("simd") ? "simd" : variant, m, 128);
            for (int i = 0; i < want.rows(); i++) {
                for (int j = 0; j < want.cols(); j++) {
                    double w = want.at(i, j), g = got[i * k + j], tol = factor * t.at(i, j);
                    if (!(Math.abs(g - w) <= tol)) {
                        throw new IllegalStateException(String.format(Locale.ROOT, "fp8_wgrad grouped %s: %s disagrees with the float64 reference in group %d (%d rows) at [%d][%d]: %.9g vs %.9g (tolerance %.3g)",
                                label(), variant, e, m, i, j, g, w, tol));
                    }
                }
            }
        }
    }

    private int firstNonEmpty() {
        for (int e = 0; e < groupsRun; e++) if (rows[e].length > 0) return e;
        throw new IllegalStateException("grouped wgrad: no token was routed to the " + groupsRun + " groups run");
    }

    private TensorF64 groupX(int e) {
        int[] r = rows[e];
        double[] d = new double[r.length * k];
        for (int i = 0; i < r.length; i++) for (int c = 0; c < k; c++) d[i * k + c] = x[r[i] * k + c];
        return TensorF64.wrap(d, r.length, k);
    }

    /** The first {@code c} columns of a [rows][cols] as a float64 tensor (exact). */
    private static TensorF64 tensor(float[] a, int rows, int cols, int c) {
        double[] d = new double[rows * c];
        for (int i = 0; i < rows; i++) for (int j = 0; j < c; j++) d[i * c + j] = a[i * cols + j];
        return TensorF64.wrap(d, rows, c);
    }
}
