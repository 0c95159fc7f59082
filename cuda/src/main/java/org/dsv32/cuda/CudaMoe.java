package org.dsv32.cuda;

import java.util.ArrayList;
import java.util.List;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.ops.MoeChecks;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.MoeOp;
import org.dsv32.spec.ops.MoeResult;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.MlpWeights;
import org.dsv32.spec.weights.MoeWeights;
import org.dsv32.spec.weights.Weight;

/**
 * The MoE layer on the GPU (spec/SEMANTICS.md §9; the definition is the reference's): per token t,
 * y_t = sum_i w_ti Expert_{e_ti}(x_t) + Shared(x_t), Expert(x) = down(silu(gate(x)) * up(x)), the routing from this
 * backend's gate (CudaMoeGate) or, for decision replay, the one given; routed_scaling_factor is in w (applied once
 * by the gate), the shared expert unscaled.
 *
 * <p>fp8 mode with FP8 experts (128-wide blocks, all of one shape; the checkpoint's case): the routed rows are
 * gathered by expert (ascending expert, then token — the reference's order), the shared expert's rows (every token)
 * appended as one more segment when its shape matches, and the whole layer is five launches over one row set:
 * act_quant of the rows; the grouped expert GEMM ({@code dsv32_fp8_grouped_gemm}: every expert's rows times its
 * FP8 weight, the tensor-core tile with per-block promotion) for gate and for up; {@code dsv32_swiglu}; act_quant;
 * the grouped GEMM for down; {@code dsv32_moe_combine}, the weighted sum per token in ascending expert order plus the
 * shared term. That is the reference's act_quant placement exactly (x before gate and up, h before down). The
 * experts' weights are packed once per layer into device banks ({@link CudaContext#fp8Bank}).
 *
 * <p>Otherwise (exact mode, or weights the grouped kernel does not take): each used expert and the shared expert run
 * through this backend's {@link MlpOp} on its gathered rows and the terms are summed in float64 in the same order.
 * A shared expert of a different shape than the routed ones also goes through the MlpOp. Stateless; x is not
 * modified.
 */
final class CudaMoe implements MoeOp {
    private static final int TILE_ROWS = 64;

    private final OpContext ctx;
    private final CudaContext gpu;
    private final Backend self;

    CudaMoe(OpContext ctx, CudaContext gpu, Backend self) {
        this.ctx = ctx;
        this.gpu = gpu;
        this.self = self;
    }

    @Override
    public MoeResult forward(TensorF64 x, MoeWeights w, Routing forcedRouting) {
        int tokens = x.rows(), experts = w.expertCount();
        if (w.router().rows() != experts) {
            throw new IllegalArgumentException("MoE: router " + w.router().name() + " has " + w.router().rows()
                    + " rows but the layer has " + experts + " routed experts");
        }
        Routing routing = forcedRouting != null ? MoeChecks.checkForcedRouting(forcedRouting, tokens, experts)
                : self.require(MoeGateOp.class, ctx).route(x, w);
        TensorF64 y = groupedApplies(w, x.cols()) ? grouped(x, w, routing) : composed(x, w, routing);
        return new MoeResult(y, routing);
    }

    /** Whether the grouped FP8 path takes this layer: fp8 mode, FP8 experts of one shape in 128-wide blocks. */
    private boolean groupedApplies(MoeWeights w, int dim) {
        if (!ctx.fp8() || w.experts().isEmpty() || dim % CudaActQuant.TILE != 0) return false;
        MlpWeights first = w.experts().get(0);
        for (MlpWeights e : w.experts()) if (!sameShape(e, first)) return false;
        return first.intermediateSize() % CudaActQuant.TILE == 0 && first.gate().cols() == dim && first.down().rows() == dim;
    }

    private static boolean sameShape(MlpWeights e, MlpWeights first) {
        return fp8Like(e.gate(), first.gate()) && fp8Like(e.up(), first.gate()) && fp8Like(e.down(), first.down());
    }

    private static boolean fp8Like(Weight w, Weight model) {
        return w instanceof Fp8BlockWeight q && model instanceof Fp8BlockWeight m && q.blockCols() == CudaActQuant.TILE
                && q.rows() == m.rows() && q.cols() == m.cols() && q.blockRows() == m.blockRows() && q.blockCols() == m.blockCols();
    }

    private TensorF64 grouped(TensorF64 x, MoeWeights w, Routing routing) {
        int tokens = x.rows(), dim = x.cols(), experts = w.expertCount();
        MlpWeights first = w.experts().get(0);
        int inter = first.intermediateSize();
        boolean sharedFused = w.shared() != null && sameShape(w.shared(), first);

        // Rows grouped by expert (ascending), tokens ascending within; per token its slots in ascending expert order.
        int slotsMax = 0;
        for (int[] e : routing.experts()) slotsMax = Math.max(slotsMax, e.length);
        int[] slotRows = new int[tokens * Math.max(1, slotsMax)];
        float[] slotWeights = new float[slotRows.length];
        java.util.Arrays.fill(slotRows, -1);
        int[] filled = new int[tokens];
        List<int[]> tiles = new ArrayList<>();   // (expert, row0, rows)
        List<Integer> rowToken = new ArrayList<>();
        for (int e = 0; e < experts; e++) {
            int start = rowToken.size();
            for (int t = 0; t < tokens; t++) {
                int[] chosen = routing.experts()[t];
                for (int slot = 0; slot < chosen.length; slot++) {
                    if (chosen[slot] != e) continue;
                    int j = t * Math.max(1, slotsMax) + filled[t]++;
                    slotRows[j] = rowToken.size();
                    slotWeights[j] = (float) routing.weights()[t][slot];
                    rowToken.add(t);
                }
            }
            addTiles(tiles, e, start, rowToken.size() - start);
        }
        int[] sharedRows = new int[tokens];
        java.util.Arrays.fill(sharedRows, -1);
        if (sharedFused) {
            int start = rowToken.size();
            for (int t = 0; t < tokens; t++) {
                sharedRows[t] = rowToken.size();
                rowToken.add(t);
            }
            addTiles(tiles, experts, start, tokens);
        }
        int rows = rowToken.size();
        float[] xf = CudaTensors.toFloats(x);
        float[] gathered = new float[rows * dim];
        for (int r = 0; r < rows; r++) System.arraycopy(xf, rowToken.get(r) * dim, gathered, r * dim, dim);
        int[] tileExpert = new int[tiles.size()], tileRow0 = new int[tiles.size()], tileRows = new int[tiles.size()];
        for (int i = 0; i < tiles.size(); i++) {
            tileExpert[i] = tiles.get(i)[0];
            tileRow0[i] = tiles.get(i)[1];
            tileRows[i] = tiles.get(i)[2];
        }

        CudaContext.Fp8Bank gate = gpu.fp8Bank(bankOf(w, sharedFused, MlpWeights::gate));
        CudaContext.Fp8Bank up = gpu.fp8Bank(bankOf(w, sharedFused, MlpWeights::up));
        CudaContext.Fp8Bank down = gpu.fp8Bank(bankOf(w, sharedFused, MlpWeights::down));
        float[] out;
        try (DeviceBuffer dx = gpu.upload(gathered);
             DeviceBuffer qx = gpu.alloc((long) rows * dim); DeviceBuffer sx = gpu.alloc(4L * rows * (dim / CudaActQuant.TILE));
             DeviceBuffer te = gpu.upload(tileExpert); DeviceBuffer tr0 = gpu.upload(tileRow0); DeviceBuffer trn = gpu.upload(tileRows);
             DeviceBuffer g = gpu.alloc(4L * rows * inter); DeviceBuffer u = gpu.alloc(4L * rows * inter);
             DeviceBuffer h = gpu.alloc(4L * rows * inter);
             DeviceBuffer qh = gpu.alloc((long) rows * inter); DeviceBuffer sh = gpu.alloc(4L * rows * (inter / CudaActQuant.TILE));
             DeviceBuffer dn = gpu.alloc(4L * rows * dim);
             DeviceBuffer dsr = gpu.upload(slotRows); DeviceBuffer dsw = gpu.upload(slotWeights); DeviceBuffer dsh = gpu.upload(sharedRows);
             DeviceBuffer y = gpu.alloc(4L * tokens * dim)) {
            int nTiles = tiles.size();
            CudaActQuant.launch(gpu, dx, qx, sx, rows, dim, ctx.scaleFormat());
            groupedGemm(qx, sx, gate, g, te, tr0, trn, nTiles);
            groupedGemm(qx, sx, up, u, te, tr0, trn, nTiles);
            long elems = (long) rows * inter;
            gpu.launch(CudaKernel.SWIGLU, Math.toIntExact((elems + 255) / 256), 1, 256, 0, g, u, h, Math.toIntExact(elems));
            CudaActQuant.launch(gpu, h, qh, sh, rows, inter, ctx.scaleFormat());
            groupedGemm(qh, sh, down, dn, te, tr0, trn, nTiles);
            long outs = (long) tokens * dim;
            gpu.launch(CudaKernel.MOE_COMBINE, Math.toIntExact((outs + 255) / 256), 1, 256, 0,
                    dn, dsr, dsw, dsh, y, tokens, Math.max(1, slotsMax), dim);
            out = gpu.downloadFloats(y, tokens * dim);
        }
        TensorF64 result = CudaTensors.fromFloats(out, x.shape());
        if (w.shared() != null && !sharedFused) {
            TensorF64 shared = self.require(MlpOp.class, ctx).forward(x, w.shared());
            for (int i = 0; i < result.size(); i++) result.setFlat(i, result.getFlat(i) + shared.getFlat(i));
        }
        return result;
    }

    private void groupedGemm(DeviceBuffer qa, DeviceBuffer sa, CudaContext.Fp8Bank bank, DeviceBuffer y,
                             DeviceBuffer tileExpert, DeviceBuffer tileRow0, DeviceBuffer tileRows, int tiles) {
        gpu.launch(CudaKernel.FP8_GROUPED_GEMM, (bank.rows() + 63) / 64, tiles, 128, 0,
                qa, sa, bank.codes(), bank.scales(), y, tileExpert, tileRow0, tileRows, bank.rows(), bank.cols(), bank.blockRows());
    }

    private static void addTiles(List<int[]> tiles, int expert, int start, int count) {
        for (int m = 0; m < count; m += TILE_ROWS) tiles.add(new int[] {expert, start + m, Math.min(TILE_ROWS, count - m)});
    }

    private static List<Fp8BlockWeight> bankOf(MoeWeights w, boolean withShared, java.util.function.Function<MlpWeights, Weight> part) {
        List<Fp8BlockWeight> out = new ArrayList<>();
        for (MlpWeights e : w.experts()) out.add((Fp8BlockWeight) part.apply(e));
        if (withShared) out.add((Fp8BlockWeight) part.apply(w.shared()));
        return out;
    }

    /** Every used expert and the shared expert through the MlpOp; terms summed in float64 in the reference's order. */
    private TensorF64 composed(TensorF64 x, MoeWeights w, Routing routing) {
        int tokens = x.rows(), dim = x.cols();
        MlpOp mlp = self.require(MlpOp.class, ctx);
        double[] y = new double[tokens * dim];
        for (int e = 0; e < w.expertCount(); e++) {
            List<int[]> uses = new ArrayList<>();
            for (int t = 0; t < tokens; t++) {
                for (int slot = 0; slot < routing.experts()[t].length; slot++) if (routing.experts()[t][slot] == e) uses.add(new int[] {t, slot});
            }
            if (uses.isEmpty()) continue;
            double[] rows = new double[uses.size() * dim];
            for (int r = 0; r < uses.size(); r++) System.arraycopy(x.rowArray(uses.get(r)[0]), 0, rows, r * dim, dim);
            TensorF64 out = mlp.forward(TensorF64.wrap(rows, uses.size(), dim), w.experts().get(e));
            for (int r = 0; r < uses.size(); r++) {
                int t = uses.get(r)[0];
                double weight = routing.weights()[t][uses.get(r)[1]];
                for (int d = 0; d < dim; d++) y[t * dim + d] += weight * out.at(r, d);
            }
        }
        if (w.shared() != null) {
            TensorF64 shared = mlp.forward(x, w.shared());
            for (int i = 0; i < y.length; i++) y[i] += shared.getFlat(i);
        }
        return TensorF64.wrap(y, x.shape());
    }
}
