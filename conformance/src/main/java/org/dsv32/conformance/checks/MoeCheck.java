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
import org.dsv32.spec.tolerance.Bf16Tolerance;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.MoeOp;
import org.dsv32.spec.ops.MoeResult;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MoeWeights;

/**
 * The MoE layer: the candidate routes with its own gate; its routing is judged ({@link RoutingDecisions}); the
 * reference then replays the candidate's experts with reference weights (forcedRouting) and the outputs are
 * compared. A wrong routed scale, a scaled shared expert or a bias in the weights changes the output beyond the
 * tolerance. Cases: one token, several tokens, a bias, an all-zero activation tile.
 */
public final class MoeCheck extends AbstractOperationCheck<MoeOp, MoeCheck.Case> {
    public record Case(String name, ModelConfig config, MoeWeights w, TensorF64 x) implements AbstractOperationCheck.Case {}

    public MoeCheck() { super(MoeOp.class); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        ModelConfig c = ConformanceConfigs.small();
        SplittableRandom rng = new SplittableRandom(o.seedFor("moe", 0));
        int d = c.hiddenSize();
        MoeWeights w = RandomWeights.moe(rng, c, 1, c.activationScaleFormat(), 0.2);
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("one token", c, w, RandomInputs.gaussian(rng, 1, 1, d)));
        TensorF64 x = RandomInputs.gaussian(rng, 1, o.quick() ? 4 : 10, d);
        cases.add(new Case("tokens", c, w, x));
        cases.add(new Case("all-zero tile", c, w, RandomInputs.zeroTile(x, 1, 0)));
        return cases;
    }

    /**
     * Real dims: D = 7168, 256 routed experts of width 2048 (8 groups, top-4 groups, top-8) and one shared expert, all
     * 256 addressable by the router; their weights cycle through {@link org.dsv32.conformance.generate.RealWeights#DISTINCT_EXPERTS}
     * distinct sets (256 distinct experts would take 11 GB). One token, and two tokens with an all-zero tile (each
     * token costs the float64 reference about 0.4 G multiply-adds, twice: its own run and the replay). --quick: one token.
     */
    @Override
    protected List<Case> realCases(CheckOptions o) {
        ModelConfig c = ConformanceConfigs.real();
        SplittableRandom rng = new SplittableRandom(o.seedFor("moe", 1000));
        int d = c.hiddenSize();
        MoeWeights w = org.dsv32.conformance.generate.RealWeights.moe(c, o.seedFor("moe", 1001));
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("one token", c, w, RandomInputs.gaussian(rng, 1, 1, d)));
        if (!o.quick()) cases.add(new Case("all-zero tile, 2 tokens", c, w, RandomInputs.zeroTile(RandomInputs.gaussian(rng, 1, 2, d), 1, 17)));
        return cases;
    }

    @Override
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT, ModeTier.FP8_LOOSE, ModeTier.BF16_TIGHT); }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) { return tolerance(c.config(), mt); }

    /** The gates of an MoE layer of configuration {@code config} in one comparison (also what `calibrate` measures against). */
    public static Tolerance tolerance(ModelConfig config, ModeTier mt) {
        // the router reads the layer's input, the same on both sides in every mode (no bf16 store upstream of it), so
        // its routing is judged with the router's own fp32 score tolerance, bf16 included (TOLERANCES.md §5b)
        return Bf16Tolerance.of(Tolerances.moe(config, mt.candidateMode(), mt.tier()), mt.candidateMode(), config.hiddenSize(), 4, 1, 1.0)
                .withScoreOf(Tolerances.moeGate(config));
    }

    @Override
    protected CaseResult runCase(Case c, MoeOp cand, MoeOp cand2, MoeOp ref, ModeTier mt) {
        Tolerance tol = toleranceOf(c, mt);
        CaseEval ev = new CaseEval(c.name(), tol);
        TensorF64 x = c.x().copy();
        MoeResult r = cand.forward(x, c.w(), null);
        ev.requireUnchanged("x", c.x(), x);
        ev.requireDeterministic("output", r.output(), cand2.forward(c.x().copy(), c.w(), null).output());
        MoeResult e = ref.forward(c.x().copy(), c.w(), null);
        Routing replay = RoutingDecisions.judge(ev, "routing", c.config(), c.w(), r.routing(), e.routing(), tol);
        if (replay == null) return ev.result();
        ev.compare("output (reference replaying the candidate's experts)", r.output(), ref.forward(c.x().copy(), c.w(), replay).output());
        return ev.result();
    }
}
