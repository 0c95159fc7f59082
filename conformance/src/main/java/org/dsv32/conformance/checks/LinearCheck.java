package org.dsv32.conformance.checks;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.dsv32.conformance.AbstractOperationCheck;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.ModeTier;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Bf16Tolerance;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.ScaleFormat;
import org.dsv32.spec.weights.Weight;

/**
 * Linear layers y = x W^T: FP8 block-scaled weights with ue8m0 and with plain block scales, and dense bf16
 * weights. Edges: one token, K = 128, N = 576 (ragged last block of rows), N = 200 and K = 320 (ragged columns),
 * an all-zero activation tile, an outlier at ±448·scale, NaN and inf inputs (TIGHT only).
 */
public final class LinearCheck extends AbstractOperationCheck<LinearOp, LinearCheck.Case> {
    public record Case(String name, ModelConfig config, TensorF64 x, Weight w, boolean finite) implements AbstractOperationCheck.Case {}

    public LinearCheck() { super(LinearOp.class); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        List<Case> cases = new ArrayList<>();
        int i = 0;
        for (ModelConfig cfg : List.of(ConformanceConfigs.small(), ConformanceConfigs.smallPlainScales())) {
            String sf = cfg.activationScaleFormat().label();
            SplittableRandom rng = new SplittableRandom(o.seedFor("linear", i++));
            ScaleFormat wsf = cfg.activationScaleFormat();
            Weight w128 = RandomWeights.fp8(rng, "test.fp8_256x128.weight", 256, 128, 1 / Math.sqrt(128), wsf);
            cases.add(new Case(sf + " fp8 one token K=128", cfg, RandomInputs.gaussian(rng, 1, 1, 128), w128, true));
            Weight w576 = RandomWeights.fp8(rng, "test.kv_a_proj_with_mqa.weight", 576, 256, 1 / Math.sqrt(256), wsf);
            TensorF64 x = RandomInputs.rowScaled(rng, RandomInputs.gaussian(rng, 1, o.quick() ? 3 : 7, 256), 0.01, 100);
            cases.add(new Case(sf + " fp8 N=576 ragged rows", cfg, x, w576, true));
            cases.add(new Case(sf + " fp8 all-zero tile", cfg, RandomInputs.zeroTile(x, 1, 1), w576, true));
            cases.add(new Case(sf + " fp8 outlier at 448 scale", cfg, RandomInputs.with(x, 2, 77, 3e3), w576, true));
            if (!o.quick()) {
                Weight w384 = RandomWeights.fp8(rng, "test.fp8_200x384.weight", 200, 384, 1 / Math.sqrt(384), wsf);
                cases.add(new Case(sf + " fp8 N=200 K=384", cfg, RandomInputs.gaussian(rng, 1, 5, 384), w384, true));
            }
            TensorF64 nf = RandomInputs.with(RandomInputs.with(x, 0, 3, Double.NaN), 1, 130, Double.POSITIVE_INFINITY);
            cases.add(new Case(sf + " fp8 NaN and inf", cfg, nf, w576, false));
        }
        SplittableRandom rng = new SplittableRandom(o.seedFor("linear", 99));
        ModelConfig cfg = ConformanceConfigs.small();
        Weight dense = RandomWeights.linear(rng, "test.weights_proj.weight", 12, 320, false, ScaleFormat.UE8M0);
        cases.add(new Case("bf16 dense K=320", cfg, RandomInputs.gaussian(rng, 1, 3, 320), dense, true));
        cases.add(new Case("bf16 dense NaN", cfg, RandomInputs.with(RandomInputs.gaussian(rng, 1, 3, 320), 1, 7, Double.NaN), dense, false));
        return cases;
    }

    /**
     * Real dims: every projection of the 671B layer at its real shape (N x K, out x in): q_a 1536x7168, q_b 24576x1536,
     * kv_a 576x7168 (ragged last row block), kv_b 32768x512, o 7168x16384, wq_b 8192x1536, wk 128x7168, an expert's
     * gate 2048x7168 and down 7168x2048, the dense MLP's down 7168x18432; the bf16 router 256x7168 and weights_proj
     * 64x7168 (--quick: q_a, q_b, kv_a, o, wk and the expert's down only). ue8m0 activation scales, q_a and o also
     * in plain scales; decode-sized token counts (the GEMM's inner
     * length K is what the error grows with), an all-zero tile, an outlier and NaN / inf (TIGHT only).
     */
    @Override
    protected List<Case> realCases(CheckOptions o) {
        ModelConfig cfg = ConformanceConfigs.real();
        int d = cfg.hiddenSize(), h = cfg.numAttentionHeads(), tokens = o.quick() ? 1 : 3;
        List<Case> cases = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(o.seedFor("linear", 1000));
        long seed = o.seedFor("linear", 1001);
        record Shape(String name, int n, int k) {}
        List<Shape> shapes = new ArrayList<>(List.of(new Shape("q_a_proj", cfg.qLoraRank(), d),
                new Shape("q_b_proj", h * cfg.qkHeadDim(), cfg.qLoraRank()), new Shape("kv_a_proj_with_mqa", cfg.kvCacheWidth(), d),
                new Shape("o_proj", d, h * cfg.vHeadDim()), new Shape("indexer.wk", cfg.indexHeadDim(), d),
                new Shape("experts.0.down_proj", d, cfg.moeIntermediateSize())));
        if (!o.quick()) {
            shapes.addAll(List.of(new Shape("kv_b_proj", h * (cfg.qkNopeHeadDim() + cfg.vHeadDim()), cfg.kvLoraRank()),
                    new Shape("indexer.wq_b", cfg.indexNHeads() * cfg.indexHeadDim(), cfg.qLoraRank()),
                    new Shape("experts.0.gate_proj", cfg.moeIntermediateSize(), d), new Shape("mlp.down_proj", d, cfg.intermediateSize())));
        }
        Weight qa = null, oproj = null;
        for (Shape s : shapes) {
            Weight w = org.dsv32.conformance.generate.RealWeights.fp8("model.layers.3." + s.name() + ".weight", s.n(), s.k(), seed++);
            TensorF64 x = RandomInputs.rowScaled(rng, RandomInputs.gaussian(rng, 1, tokens, s.k()), 0.1, 10);
            cases.add(new Case("ue8m0 fp8 " + s.name() + " " + s.n() + "x" + s.k() + ", " + tokens + " token(s)", cfg, x, w, true));
            if (s.name().equals("q_a_proj")) qa = w;
            if (s.name().equals("o_proj")) oproj = w;
        }
        TensorF64 x = RandomInputs.gaussian(rng, 1, 2, d);
        cases.add(new Case("ue8m0 fp8 q_a_proj all-zero tile", cfg, RandomInputs.zeroTile(x, 1, 20), qa, true));
        cases.add(new Case("ue8m0 fp8 q_a_proj outlier at 448 scale", cfg, RandomInputs.with(x, 0, 1234, 3e3), qa, true));
        cases.add(new Case("ue8m0 fp8 q_a_proj NaN and inf", cfg, RandomInputs.with(RandomInputs.with(x, 0, 3, Double.NaN), 1, 7000, Double.POSITIVE_INFINITY), qa, false));
        ModelConfig plain = ConformanceConfigs.realPlainScales();
        cases.add(new Case("plain fp8 q_a_proj " + qa.rows() + "x" + qa.cols(), plain, RandomInputs.gaussian(rng, 1, tokens, d), qa, true));
        if (!o.quick()) cases.add(new Case("plain fp8 o_proj " + oproj.rows() + "x" + oproj.cols(), plain,
                RandomInputs.gaussian(rng, 1, tokens, oproj.cols()), oproj, true));
        Weight router = org.dsv32.conformance.generate.RealWeights.bf16("model.layers.3.mlp.gate.weight", cfg.nRoutedExperts(), d, 0, 1 / Math.sqrt(d), seed++);
        cases.add(new Case("bf16 dense router 256x7168", cfg, RandomInputs.gaussian(rng, 1, tokens, d), router, true));
        Weight wp = org.dsv32.conformance.generate.RealWeights.bf16("model.layers.3.self_attn.indexer.weights_proj.weight", cfg.indexNHeads(), d, 0, 1 / Math.sqrt(d), seed++);
        cases.add(new Case("bf16 dense weights_proj 64x7168", cfg, RandomInputs.gaussian(rng, 1, tokens, d), wp, true));
        return cases;
    }

    @Override
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT, ModeTier.FP8_LOOSE, ModeTier.BF16_TIGHT); }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) {
        return Bf16Tolerance.of(Tolerances.linear(c.w().cols(), c.w() instanceof Fp8BlockWeight, mt.candidateMode(), mt.tier()),
                mt.candidateMode(), c.w().cols(), 1, 0, 1.0);
    }

    @Override
    protected CaseResult runCase(Case c, LinearOp cand, LinearOp cand2, LinearOp ref, ModeTier mt) {
        if (mt.tier() == Tier.LOOSE && !c.finite()) return null;
        CaseEval ev = new CaseEval(c.name(), toleranceOf(c, mt));
        TensorF64 x = c.x().copy();
        TensorF64 y = cand.apply(x, c.w());
        ev.requireUnchanged("x", c.x(), x);
        ev.requireDeterministic("y", y, cand2.apply(c.x().copy(), c.w()));
        ev.compare("y", y, ref.apply(c.x().copy(), c.w()));
        return ev.result();
    }
}
