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
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.tensor.TensorF64;

/**
 * act_quant: TIGHT compares the scales bit for bit and the dequantised codes under {@link Tolerances#actQuant};
 * LOOSE compares the dequantised codes with x itself (the quantisation error). Edges: one token, K = 128, an
 * all-zero tile (the 1e-4 amax floor), an element at the top of the range (x/s = 448), rows far below the floor,
 * ue8m0 and plain scales, NaN and ±inf (TIGHT only: their codes must sit where the reference puts them).
 */
public final class ActQuantCheck extends AbstractOperationCheck<ActQuantOp, ActQuantCheck.Case> {
    public record Case(String name, ModelConfig config, TensorF64 x, boolean finite) implements AbstractOperationCheck.Case {}

    public ActQuantCheck() { super(ActQuantOp.class); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        List<Case> cases = new ArrayList<>();
        int i = 0;
        for (ModelConfig cfg : List.of(ConformanceConfigs.small(), ConformanceConfigs.smallPlainScales())) {
            String sf = cfg.activationScaleFormat().label();
            SplittableRandom rng = new SplittableRandom(o.seedFor("act_quant", i++));
            cases.add(new Case(sf + " one token K=128", cfg, RandomInputs.gaussian(rng, 1, 1, 128), true));
            TensorF64 x = RandomInputs.rowScaled(rng, RandomInputs.gaussian(rng, 1, o.quick() ? 4 : 9, 512), 1e-3, 1e3);
            cases.add(new Case(sf + " rows of mixed magnitude", cfg, x, true));
            cases.add(new Case(sf + " all-zero tile", cfg, RandomInputs.zeroTile(x, 1, 2), true));
            cases.add(new Case(sf + " tiny row below the amax floor", cfg, RandomInputs.gaussian(rng, 1e-7, 2, 256), true));
            TensorF64 big = RandomInputs.with(x, 2, 130, 1e4);
            big = RandomInputs.with(big, 3, 5, -E4M3.MAX * 3.5);
            cases.add(new Case(sf + " values at +-448 scale", cfg, big, true));
            TensorF64 nf = RandomInputs.with(x, 0, 3, Double.NaN);
            nf = RandomInputs.with(nf, 1, 200, Double.POSITIVE_INFINITY);
            nf = RandomInputs.with(nf, 2, 400, Double.NEGATIVE_INFINITY);
            cases.add(new Case(sf + " NaN and inf", cfg, nf, false));
        }
        return cases;
    }

    /**
     * Real dims: the activations act_quant meets in the model, per token: x before q_a / kv_a / wk / the experts
     * (D = 7168, 56 tiles), the q latent before q_b and wq_b (1536), the kv latent (512), o_proj's input (16384) and
     * the expert down_proj's (2048); rows of mixed magnitude, an all-zero tile, values at the top of the range and
     * NaN / inf (TIGHT only), in ue8m0 and plain scales.
     */
    @Override
    protected List<Case> realCases(CheckOptions o) {
        List<Case> cases = new ArrayList<>();
        int i = 0;
        int tokens = o.quick() ? 2 : 8;
        for (ModelConfig cfg : List.of(ConformanceConfigs.real(), ConformanceConfigs.realPlainScales())) {
            String sf = cfg.activationScaleFormat().label();
            SplittableRandom rng = new SplittableRandom(o.seedFor("act_quant", i++));
            int d = cfg.hiddenSize();
            TensorF64 x = RandomInputs.rowScaled(rng, RandomInputs.gaussian(rng, 1, tokens, d), 1e-3, 1e3);
            cases.add(new Case(sf + " x: " + tokens + " tokens of D=" + d + ", mixed magnitude", cfg, x, true));
            cases.add(new Case(sf + " x: all-zero tile 55 (the last)", cfg, RandomInputs.zeroTile(x, 1, d / 128 - 1), true));
            TensorF64 big = RandomInputs.with(RandomInputs.with(x, 0, 7000, 1e4), 1, 5, -E4M3.MAX * 3.5);
            cases.add(new Case(sf + " x: values at +-448 scale", cfg, big, true));
            TensorF64 nf = RandomInputs.with(RandomInputs.with(RandomInputs.with(x, 0, 3, Double.NaN), 1, 4000, Double.POSITIVE_INFINITY), 0, 7167, Double.NEGATIVE_INFINITY);
            cases.add(new Case(sf + " x: NaN and inf", cfg, nf, false));
            for (int width : new int[] {cfg.qLoraRank(), cfg.kvLoraRank(), cfg.numAttentionHeads() * cfg.vHeadDim(), cfg.moeIntermediateSize()}) {
                if (o.quick() && width != cfg.numAttentionHeads() * cfg.vHeadDim()) continue;
                cases.add(new Case(sf + " " + tokens + " tokens of " + width, cfg,
                        RandomInputs.rowScaled(rng, RandomInputs.gaussian(rng, 1, tokens, width), 1e-2, 1e2), true));
            }
        }
        return cases;
    }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) { return Tolerances.actQuant(mt.tier(), c.config().activationScaleFormat()); }

    @Override
    protected CaseResult runCase(Case c, ActQuantOp cand, ActQuantOp cand2, ActQuantOp ref, ModeTier mt) {
        if (mt.tier() == Tier.LOOSE && !c.finite()) return null;
        CaseEval ev = new CaseEval(c.name(), toleranceOf(c, mt));
        TensorF64 x = c.x().copy();
        QuantizedActivation q = cand.quantize(x, c.config().activationScaleFormat());
        ev.requireUnchanged("x", c.x(), x);
        QuantizedActivation q2 = cand2.quantize(c.x().copy(), c.config().activationScaleFormat());
        ev.requireBitwise("determinism: scales", floats(q.scales()), floats(q2.scales()));
        ev.requireBitwise("determinism: codes", bytes(q.codes()), bytes(q2.codes()));
        if (q.rows() != x.rows() || q.cols() != x.cols() || q.scales().length != x.rows() * (x.cols() / 128)) {
            ev.fail("shape: " + q.rows() + "x" + q.cols() + " with " + q.scales().length + " scales for x " + x.rows() + "x" + x.cols());
            return ev.result();
        }
        if (mt.tier() == Tier.LOOSE) {
            ev.compare("dequant(q) vs x", q.dequantize(), c.x());
            return ev.result();
        }
        QuantizedActivation r = ref.quantize(c.x().copy(), c.config().activationScaleFormat());
        ev.requireBitwise("scales", floats(q.scales()), floats(r.scales()));
        ev.compare("dequant(q)", q.dequantize(), r.dequantize());
        return ev.result();
    }

    private static double[] floats(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    private static double[] bytes(byte[] b) {
        double[] d = new double[b.length];
        for (int i = 0; i < b.length; i++) d[i] = b[i];
        return d;
    }
}
