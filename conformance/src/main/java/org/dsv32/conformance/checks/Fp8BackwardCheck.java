package org.dsv32.conformance.checks;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.dsv32.conformance.AbstractOperationCheck;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.ModeTier;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.Fp8BackwardOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.ScaleFormat;
import org.dsv32.spec.weights.Weight;

/**
 * The backward GEMMs of an FP8 linear (spec/SEMANTICS.md §5b), Dgrad and Wgrad, with ue8m0 and with plain scales, in
 * all three comparisons (exact/tight, fp8/tight, fp8 vs exact). Inputs have tokens of very different magnitude
 * (0.01 to 100), so a tile along the wrong axis changes the scales and with them the codes; weights have block scales
 * that differ from block to block (a Gaussian weight's ue8m0 scales are mostly all equal), so a transposed scale grid
 * reads other values. Edges: one token, K = 128 (one block), ragged N, K and M (partial tiles and blocks on every
 * axis), a square 2 x 2 block grid, all-zero tiles, a dense weight (exact in both modes), and NaN and inf in dY and X
 * (TIGHT only: the positions of the non-finite outputs must be the reference's, §5b's act_quant rule for NaN).
 */
public final class Fp8BackwardCheck extends AbstractOperationCheck<Fp8BackwardOp, Fp8BackwardCheck.Case> {
    /** Which product a case runs. */
    public enum Kind { DGRAD, WGRAD }

    /** Dgrad: dY [M][N] and w [N][K]; Wgrad: dY [M][N] and x [M][K] (the other is null). */
    public record Case(String name, ModelConfig config, Kind kind, TensorF64 dy, Weight w, TensorF64 x) implements AbstractOperationCheck.Case {
        public static Case dgrad(String name, ModelConfig config, TensorF64 dy, Weight w) { return new Case(name, config, Kind.DGRAD, dy, w, null); }

        public static Case wgrad(String name, ModelConfig config, TensorF64 dy, TensorF64 x) { return new Case(name, config, Kind.WGRAD, dy, null, x); }

        /** The GEMM's inner length: N for Dgrad, the token count M for Wgrad. */
        public int inner() { return kind == Kind.DGRAD ? dy.cols() : dy.rows(); }
    }

    /** The prefix of the real-dims plain-scales Wgrad case's name (see {@link #realCases}). */
    public static final String PLAIN_WGRAD = "plain wgrad indexer.wk";

    public Fp8BackwardCheck() { super(Fp8BackwardOp.class); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        List<Case> cases = new ArrayList<>();
        int i = 0;
        for (ModelConfig cfg : List.of(ConformanceConfigs.small(), ConformanceConfigs.smallPlainScales())) {
            String sf = cfg.activationScaleFormat().label();
            ScaleFormat wsf = cfg.activationScaleFormat();
            SplittableRandom rng = new SplittableRandom(o.seedFor("fp8_backward", i++));
            // Dgrad
            cases.add(Case.dgrad(sf + " dgrad one token N=128 K=128", cfg, RandomInputs.gaussian(rng, 1, 1, 128), weight(rng, "test.fp8_128x128.weight", 128, 128, wsf)));
            Weight square = weight(rng, "test.fp8_256x256.weight", 256, 256, wsf);
            TensorF64 dy = tokens(rng, 7, 256);
            cases.add(Case.dgrad(sf + " dgrad 2x2 blocks", cfg, dy, square));
            cases.add(Case.dgrad(sf + " dgrad all-zero dY tile", cfg, RandomInputs.zeroTile(dy, 2, 1), square));
            cases.add(Case.dgrad(sf + " dgrad ragged N=320 K=200", cfg, tokens(rng, o.quick() ? 3 : 6, 320), weight(rng, "test.fp8_320x200.weight", 320, 200, wsf)));
            // Wgrad
            cases.add(Case.wgrad(sf + " wgrad one token", cfg, tokens(rng, 1, 96), tokens(rng, 1, 160)));
            cases.add(Case.wgrad(sf + " wgrad M=128 K=128", cfg, tokens(rng, 128, 128), tokens(rng, 128, 128)));
            TensorF64 dy2 = tokens(rng, 200, 96), x2 = tokens(rng, 200, 160);
            cases.add(Case.wgrad(sf + " wgrad ragged M=200 N=96 K=160", cfg, dy2, x2));
            cases.add(Case.wgrad(sf + " wgrad all-zero 128x1 tiles", cfg, zeroColumnTile(dy2, 5, 0), zeroColumnTile(x2, 17, 1)));
            cases.add(Case.dgrad(sf + " dgrad NaN and inf in dY", cfg, nonFinite(dy, 0, 3, 1, 130), square));
            cases.add(Case.wgrad(sf + " wgrad NaN and inf in dY and X", cfg, nonFinite(dy2, 3, 7, 150, 40), nonFinite(x2, 130, 9, 0, 100)));
        }
        SplittableRandom rng = new SplittableRandom(o.seedFor("fp8_backward", 99));
        ModelConfig cfg = ConformanceConfigs.small();
        Weight dense = RandomWeights.bf16(rng, "test.weights_proj.weight", 12, 320, 0, 1 / Math.sqrt(320));
        cases.add(Case.dgrad("bf16 dense dgrad (never quantised)", cfg, tokens(rng, 3, 12), dense));
        cases.add(Case.dgrad("bf16 dense dgrad NaN", cfg, RandomInputs.with(tokens(rng, 3, 12), 1, 7, Double.NaN), dense));
        return cases;
    }

    /** x with NaN at (r1, c1) and +inf at (r2, c2). */
    static TensorF64 nonFinite(TensorF64 x, int r1, int c1, int r2, int c2) {
        return RandomInputs.with(RandomInputs.with(x, r1, c1, Double.NaN), r2, c2, Double.POSITIVE_INFINITY);
    }

    /** Whether every input of the case is finite (a non-finite case runs in the TIGHT comparisons only). */
    static boolean finite(Case c) {
        for (TensorF64 t : new TensorF64[] {c.dy(), c.x()}) {
            if (t == null) continue;
            for (int i = 0; i < t.size(); i++) if (!Double.isFinite(t.getFlat(i))) return false;
        }
        return true;
    }

    /**
     * Real dims, the backward GEMMs of the real projections. Dgrad (inner length N = the projection's output width):
     * q_b 24576x1536 (N = 24576, the longest reduction of the layer), o_proj 7168x16384, an expert's down 7168x2048,
     * q_a 1536x7168 and kv_a 576x7168 (ragged block row), ue8m0 and (q_a) plain scales, plus the dense weights_proj
     * 64x7168. Wgrad (inner length M = tokens): the indexer's wk 128x7168 over 512 tokens (4 token tiles) and kv_a
     * 576x7168 over 128 tokens with an all-zero 128x1 tile, and wk over 128 tokens with plain scales. Tokens of very
     * different magnitude throughout. --quick: one token for q_b, no o_proj, no zero-tile or plain q_a case, wk over 128
     * tokens, no kv_a wgrad.
     * <p>Why a plain-scales Wgrad: with ue8m0 scales a tile's scale is a power of two, and E4M3 is a floating-point
     * format, so an element in the normal range gets the same code relative to its own magnitude whatever tile it is
     * scaled with. Tiling Wgrad along the wrong axis (1x128 per token instead of 128x1 along the tokens) then changes
     * only the elements that fall into E4M3's subnormal range in one tiling and not the other (below 2^-6 of the scale,
     * about 2^-15 of the tile's maximum): the smallest tokens, whose products hardly count in dW = dY^T X next to the
     * largest tokens' (magnitudes 0.01 to 100). The ue8m0 wk case kills that mutant by 3.3 gates only; with plain
     * scales (amax / 448, not a power of two) every element's code moves with its tile, by up to half an E4M3 step,
     * and the same mutant is killed by some 4e4 gates.
     */
    @Override
    protected List<Case> realCases(CheckOptions o) {
        ModelConfig cfg = ConformanceConfigs.real(), plain = ConformanceConfigs.realPlainScales();
        int d = cfg.hiddenSize(), h = cfg.numAttentionHeads(), m = o.quick() ? 1 : 2;
        SplittableRandom rng = new SplittableRandom(o.seedFor("fp8_backward", 1000));
        long seed = o.seedFor("fp8_backward", 1001);
        List<Case> cases = new ArrayList<>();
        Weight qa = org.dsv32.conformance.generate.RealWeights.fp8("model.layers.3.self_attn.q_a_proj.weight", cfg.qLoraRank(), d, seed++);
        Weight qb = org.dsv32.conformance.generate.RealWeights.fp8("model.layers.3.self_attn.q_b_proj.weight", h * cfg.qkHeadDim(), cfg.qLoraRank(), seed++);
        Weight kva = org.dsv32.conformance.generate.RealWeights.fp8("model.layers.3.self_attn.kv_a_proj_with_mqa.weight", cfg.kvCacheWidth(), d, seed++);
        Weight down = org.dsv32.conformance.generate.RealWeights.fp8("model.layers.3.mlp.experts.0.down_proj.weight", d, cfg.moeIntermediateSize(), seed++);
        cases.add(Case.dgrad("ue8m0 dgrad q_b_proj N=" + qb.rows() + " K=" + qb.cols(), cfg, tokens(rng, m, qb.rows()), qb));
        if (!o.quick()) {
            Weight op = org.dsv32.conformance.generate.RealWeights.fp8("model.layers.3.self_attn.o_proj.weight", d, h * cfg.vHeadDim(), seed++);
            cases.add(Case.dgrad("ue8m0 dgrad o_proj N=" + op.rows() + " K=" + op.cols(), cfg, tokens(rng, m, op.rows()), op));
        }
        cases.add(Case.dgrad("ue8m0 dgrad experts.0.down_proj N=" + down.rows() + " K=" + down.cols(), cfg, tokens(rng, m, down.rows()), down));
        TensorF64 dyA = tokens(rng, 4, qa.rows());
        cases.add(Case.dgrad("ue8m0 dgrad q_a_proj N=" + qa.rows() + " K=" + qa.cols(), cfg, dyA, qa));
        if (!o.quick()) {
            cases.add(Case.dgrad("ue8m0 dgrad q_a_proj all-zero dY tile", cfg, RandomInputs.zeroTile(dyA, 2, 5), qa));
            cases.add(Case.dgrad("plain dgrad q_a_proj N=" + qa.rows() + " K=" + qa.cols(), plain, dyA, qa));
        }
        cases.add(Case.dgrad("ue8m0 dgrad kv_a_proj_with_mqa ragged N=" + kva.rows(), cfg, tokens(rng, 4, kva.rows()), kva));
        Weight wp = org.dsv32.conformance.generate.RealWeights.bf16("model.layers.3.self_attn.indexer.weights_proj.weight", cfg.indexNHeads(), d, 0, 1 / Math.sqrt(d), seed++);
        cases.add(Case.dgrad("bf16 dense dgrad weights_proj N=64 K=" + d + " (never quantised)", cfg, tokens(rng, 2, wp.rows()), wp));
        int mw = o.quick() ? 128 : 512;
        cases.add(Case.wgrad("ue8m0 wgrad indexer.wk M=" + mw + " N=" + cfg.indexHeadDim() + " K=" + d, cfg, tokens(rng, mw, cfg.indexHeadDim()), tokens(rng, mw, d)));
        if (!o.quick()) {
            cases.add(Case.wgrad("plain wgrad kv_a_proj_with_mqa M=128 N=" + kva.rows() + " K=" + d + ", all-zero 128x1 tiles", plain,
                    zeroColumnTile(tokens(rng, 128, kva.rows()), 17, 0), zeroColumnTile(tokens(rng, 128, d), 4000, 0)));
        }
        // appended after the cases above so that their inputs stay the ones drawn before this existed
        cases.add(Case.wgrad(PLAIN_WGRAD + " M=128 N=" + cfg.indexHeadDim() + " K=" + d, plain, tokens(rng, 128, cfg.indexHeadDim()), tokens(rng, 128, d)));
        return cases;
    }

    /** M tokens of C channels, each token scaled by a factor log-uniform in [0.01, 100] (gradients of very different size). */
    public static TensorF64 tokens(SplittableRandom rng, int m, int c) {
        return RandomInputs.rowScaled(rng, RandomInputs.gaussian(rng, 1, m, c), 0.01, 100);
    }

    /** An FP8 weight whose 128x128 blocks have scales that differ by powers of two (2^-3 .. 2^3 from block to block). */
    public static Fp8BlockWeight weight(SplittableRandom rng, String name, int rows, int cols, ScaleFormat sf) {
        Fp8BlockWeight w = RandomWeights.fp8(rng, name, rows, cols, 1 / Math.sqrt(rows), sf);
        ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        MemorySegment s = MemorySegment.ofArray(new byte[(int) w.scales().byteSize()]);
        for (int b = 0; b < w.scaleRows() * w.scaleCols(); b++) {
            s.set(f32, 4L * b, w.scales().get(f32, 4L * b) * (float) Math.scalb(1.0, rng.nextInt(7) - 3));
        }
        return new Fp8BlockWeight(name, w.codes(), s, rows, cols, w.blockRows(), w.blockCols());
    }

    /** Sets column c of token block {@code block} (128 tokens of one channel) to zero: an all-zero 128x1 tile. */
    public static TensorF64 zeroColumnTile(TensorF64 x, int c, int block) {
        TensorF64 y = x.copy();
        for (int r = block * 128; r < Math.min((block + 1) * 128, y.rows()); r++) y.put(r, c, 0.0);
        return y;
    }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) { return tolerance(c, mt.candidateMode(), mt.tier()); }

    /** The derived gate of a case (spec/TOLERANCES.md, fp8_backward). */
    public static Tolerance tolerance(Case c, org.dsv32.spec.backend.PrecisionMode mode, org.dsv32.spec.tolerance.Tier tier) {
        return c.kind() == Kind.DGRAD ? Tolerances.fp8Dgrad(c.inner(), c.w() instanceof Fp8BlockWeight, mode, tier)
                : Tolerances.fp8Wgrad(c.inner(), mode, tier);
    }

    /** Runs the case's product on {@code op} (inputs copied). */
    public static TensorF64 run(Case c, Fp8BackwardOp op) {
        return c.kind() == Kind.DGRAD ? op.dgrad(c.dy().copy(), c.w()) : op.wgrad(c.dy().copy(), c.x().copy());
    }

    @Override
    protected CaseResult runCase(Case c, Fp8BackwardOp cand, Fp8BackwardOp cand2, Fp8BackwardOp ref, ModeTier mt) {
        if (mt.tier() == org.dsv32.spec.tolerance.Tier.LOOSE && !finite(c)) return null;
        CaseEval ev = new CaseEval(c.name(), toleranceOf(c, mt));
        TensorF64 dy = c.dy().copy(), x = c.x() == null ? null : c.x().copy();
        TensorF64 y = c.kind() == Kind.DGRAD ? cand.dgrad(dy, c.w()) : cand.wgrad(dy, x);
        ev.requireUnchanged("dY", c.dy(), dy);
        if (x != null) ev.requireUnchanged("X", c.x(), x);
        String what = c.kind() == Kind.DGRAD ? "dX" : "dW";
        ev.requireDeterministic(what, y, run(c, cand2));
        ev.compare(what, y, run(c, ref));
        return ev.result();
    }
}
