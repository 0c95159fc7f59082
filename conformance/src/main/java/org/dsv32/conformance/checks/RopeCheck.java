package org.dsv32.conformance.checks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.dsv32.conformance.AbstractOperationCheck;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.ModeTier;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.spec.tolerance.Bf16Tolerance;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;

/**
 * RoPE with YaRN frequencies in both layouts (interleaved for MLA, half-split for the indexer: swapping them is a
 * known silent bug). Positions: 0 (where a rotation is the identity, so it hides bugs), small, around and beyond
 * original_max_position_embeddings = 4096, and up to max_position_embeddings - 1. The tolerance grows with the
 * largest position (the fp32 angle p·f).
 */
public final class RopeCheck extends AbstractOperationCheck<RopeOp, RopeCheck.Case> {
    public record Case(String name, ModelConfig config, TensorF64 x, int[] positions, RopeLayout layout) implements AbstractOperationCheck.Case {}

    public RopeCheck() { super(RopeOp.class); }

    @Override
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT, ModeTier.BF16_TIGHT); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        ModelConfig cfg = ConformanceConfigs.small();
        int d = cfg.qkRopeHeadDim();
        List<Case> cases = new ArrayList<>();
        int orig = cfg.ropeScaling().originalMaxPositionEmbeddings();
        for (RopeLayout layout : RopeLayout.values()) {
            SplittableRandom rng = new SplittableRandom(o.seedFor("rope", layout.ordinal()));
            String l = layout.name().toLowerCase(java.util.Locale.ROOT);
            cases.add(new Case(l + " one token at 0", cfg, RandomInputs.gaussian(rng, 1, 1, d), new int[] {0}, layout));
            cases.add(new Case(l + " positions 1..6", cfg, RandomInputs.gaussian(rng, 1, 6, d), new int[] {1, 2, 3, 4, 5, 6}, layout));
            cases.add(new Case(l + " around " + orig, cfg, RandomInputs.gaussian(rng, 1, 4, d), new int[] {orig - 1, orig, orig + 1, orig + 905}, layout));
            int far = cfg.maxPositionEmbeddings() - 1;
            cases.add(new Case(l + " far positions", cfg, RandomInputs.gaussian(rng, 1, 3, d), new int[] {far, 65_537, 12_345}, layout));
            cases.add(new Case(l + " NaN", cfg, RandomInputs.with(RandomInputs.gaussian(rng, 1, 2, d), 1, 3, Double.NaN), new int[] {7, 8}, layout));
        }
        return cases;
    }

    /**
     * Real dims: the rotary part of every head of a decode step (MLA: 128 query heads of 64, interleaved; indexer: 64
     * heads of 64, half-split; the shared k_pe) at the real context positions 4095, 4096, 32767 and the last one
     * (163839), plus a prefill of 512 positions from 0. Rows are heads: each row carries its token's position.
     */
    @Override
    protected List<Case> realCases(CheckOptions o) {
        ModelConfig cfg = ConformanceConfigs.real();
        int d = cfg.qkRopeHeadDim();
        List<Case> cases = new ArrayList<>();
        int far = cfg.maxPositionEmbeddings() - 1;
        for (RopeLayout layout : RopeLayout.values()) {
            SplittableRandom rng = new SplittableRandom(o.seedFor("rope", 1000 + layout.ordinal()));
            String l = layout.name().toLowerCase(java.util.Locale.ROOT);
            int heads = layout == RopeLayout.INTERLEAVED ? cfg.numAttentionHeads() : cfg.indexNHeads();
            int[] decode = o.quick() ? new int[] {4096, far} : new int[] {4095, 4096, 32767, far};
            int[] pos = new int[decode.length * heads];
            for (int t = 0; t < decode.length; t++) java.util.Arrays.fill(pos, t * heads, (t + 1) * heads, decode[t]);
            cases.add(new Case(l + " " + heads + " heads at positions " + Arrays.toString(decode), cfg, RandomInputs.gaussian(rng, 1, pos.length, d), pos, layout));
            int n = o.quick() ? 64 : 512;
            int[] prefill = new int[n];
            for (int t = 0; t < n; t++) prefill[t] = t;
            cases.add(new Case(l + " a prefill of " + n + " positions from 0", cfg, RandomInputs.gaussian(rng, 1, n, d), prefill, layout));
        }
        return cases;
    }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) {
        return Bf16Tolerance.of(Tolerances.rope(Arrays.stream(c.positions()).max().orElse(0), c.config().ropeFrequencies()[0]),
                mt.candidateMode(), 2, 1, 0, 1.0);
    }

    @Override
    protected CaseResult runCase(Case c, RopeOp cand, RopeOp cand2, RopeOp ref, ModeTier mt) {
        CaseEval ev = new CaseEval(c.name(), toleranceOf(c, mt));
        TensorF64 x = c.x().copy();
        TensorF64 y = cand.apply(x, c.positions().clone(), c.layout());
        ev.requireUnchanged("x", c.x(), x);
        ev.requireDeterministic("y", y, cand2.apply(c.x().copy(), c.positions().clone(), c.layout()));
        ev.compare("y", y, ref.apply(c.x().copy(), c.positions().clone(), c.layout()));
        return ev.result();
    }
}
