package org.dsv32.conformance.golden.ops;

import java.io.IOException;
import java.util.SplittableRandom;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.conformance.golden.GoldenCase;
import org.dsv32.conformance.golden.GoldenCaseWriter;
import org.dsv32.conformance.golden.GoldenConfigs;
import org.dsv32.conformance.golden.GoldenException;
import org.dsv32.conformance.golden.GoldenFormat;
import org.dsv32.conformance.golden.GoldenGenerator;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.conformance.checks.RoutingJudge;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.MoeWeights;

/**
 * moe_gate: {@code input.x} [T][D] and {@code <weight_prefix>.gate.weight} [E][D] with
 * {@code <weight_prefix>.gate.e_score_correction_bias} [E] → the routing: {@code expected.scores} [T][E] (sigmoid,
 * no bias), {@code expected.selection_scores} [T][E] (s + bias, −∞ in dropped groups), {@code expected.group_scores}
 * [T][n_group], {@code expected.groups} I32 [T][topk_group], {@code expected.experts} I32 [T][k] and
 * {@code expected.weights} [T][k] (in the order of experts). Groups and experts are judged by the harness's
 * decision-aware check against the expected scores; the weights against the formula on the candidate's experts.
 */
public final class MoeGateGolden extends AbstractGoldenOp<MoeGateOp, MoeGateGolden.Prepared> {
    record Prepared(TensorF64 x, MoeWeights w, Routing routing) {}

    static final String PREFIX = "model.layers.1.mlp";

    public MoeGateGolden() { super(MoeGateOp.class); }

    @Override
    public void generate(GoldenGenerator.Context ctx) throws IOException {
        for (GoldenGenerator.Variant v : ctx.modes()) {
            ModelConfig cfg = GoldenConfigs.model(v.scales());
            for (boolean ties : new boolean[] {false, true}) {
                String what = ties ? "exact-ties" : "tokens";
                long seed = ctx.seed("moe_gate-" + what);
                SplittableRandom rng = new SplittableRandom(seed);
                int d = cfg.hiddenSize(), e = cfg.nRoutedExperts();
                DenseWeight router = RandomWeights.bf16(rng, PREFIX + ".gate.weight", e, d, 0, 1 / Math.sqrt(d));
                if (ties) router = duplicatedRows(router, cfg);
                DenseWeight bias = RandomWeights.fp32(rng, PREFIX + ".gate.e_score_correction_bias", 1, e, 0, ties ? 0 : 0.3);
                MoeWeights w = new MoeWeights(router, bias, java.util.List.of(), null);
                TensorF64 x = RandomInputs.gaussian(rng, 1, ties ? 4 : 8, d);
                Routing r = ctx.reference(MoeGateOp.class, cfg, v.mode()).route(x.copy(), w);
                GoldenCaseWriter wr = writer(v, cfg, what, seed, ties
                        ? "experts 1 and 2 copy expert 0's router row, group 1 copies group 0: exact ties (lower index wins)"
                        : "8 tokens with a strong correction bias (it changes the choice but must not enter the weights)")
                        .meta(GoldenFormat.WEIGHT_PREFIX, PREFIX).weight(router).vector(bias).input("x", x);
                ctx.write(name(v, what), writeRouting(wr, r, cfg));
            }
        }
    }

    /** Router rows of experts 1 and 2 copied from expert 0, and group 1's rows from group 0's. */
    private static DenseWeight duplicatedRows(DenseWeight w, ModelConfig c) {
        int e = c.nRoutedExperts(), d = c.hiddenSize(), per = c.expertsPerGroup();
        float[] v = new float[e * d];
        for (int r = 0; r < e; r++) for (int k = 0; k < d; k++) v[r * d + k] = (float) w.get(r, k);
        for (int r : new int[] {1, 2}) if (r < e) System.arraycopy(v, 0, v, r * d, d);
        System.arraycopy(v, 0, v, per * d, per * d);
        return DenseWeight.ofFloats(w.name(), v, e, d);
    }

    /** The routing tensors of spec/GOLDEN_FORMAT.md. */
    static GoldenCaseWriter writeRouting(GoldenCaseWriter wr, Routing r, ModelConfig c) {
        int t = r.experts().length;
        return wr.expected("scores", TensorF64.wrap(flat(r.scores()), t, c.nRoutedExperts()))
                .expected("selection_scores", TensorF64.wrap(flat(r.selectionScores()), t, c.nRoutedExperts()))
                .expected("group_scores", TensorF64.wrap(flat(r.groupScores()), t, c.nGroup()))
                .expectedIndices("groups", r.groups(), c.topkGroup())
                .expectedIndices("experts", r.experts(), c.numExpertsPerTok())
                .expected("weights", TensorF64.wrap(flat(r.weights()), t, c.numExpertsPerTok()));
    }

    /** Reads the routing tensors for {@code t} tokens, checking shapes and index ranges. */
    static Routing readRouting(GoldenCase c, int t) throws GoldenException {
        ModelConfig cfg = c.config();
        int e = cfg.nRoutedExperts(), g = cfg.nGroup(), k = cfg.numExpertsPerTok();
        int[][] groups = c.indexRows(GoldenFormat.EXPECTED + "groups", t), experts = c.indexRows(GoldenFormat.EXPECTED + "experts", t);
        for (int r = 0; r < t; r++) {
            if (groups[r].length != cfg.topkGroup() || experts[r].length != k) {
                throw GoldenException.corrupted(c.file() + ": token " + r + " routes to " + groups[r].length + " groups and " + experts[r].length
                        + " experts, the config says " + cfg.topkGroup() + " and " + k);
            }
            for (int x : groups[r]) if (x >= g) throw GoldenException.corrupted(c.file() + ": expected.groups names group " + x + " of " + g);
            for (int x : experts[r]) if (x >= e) throw GoldenException.corrupted(c.file() + ": expected.experts names expert " + x + " of " + e);
        }
        return new Routing(experts, rows(c.expected("weights", t, k)), rows(c.expected("scores", t, e)),
                rows(c.expected("selection_scores", t, e)), rows(c.expected("group_scores", t, g)), groups);
    }

    @Override
    public Prepared prepare(GoldenCase c) throws GoldenException {
        TensorF64 x = matrix(c, GoldenFormat.INPUT + "x", -1, c.config().hiddenSize());
        return new Prepared(x, c.weights().moe(c.meta(GoldenFormat.WEIGHT_PREFIX), false), readRouting(c, x.rows()));
    }

    @Override
    public Tolerance tolerance(GoldenCase c, Prepared p, Tier tier) { return Tolerances.moeGate(c.config()); }

    @Override
    public CaseResult run(GoldenCase c, Prepared p, MoeGateOp op, Tolerance tol) {
        CaseEval ev = eval(c, tol);
        TensorF64 x = p.x().copy();
        Routing r = op.route(x, p.w());
        ev.requireUnchanged("input.x", p.x(), x);
        int t = p.x().rows(), e = c.config().nRoutedExperts();
        if (r.scores() == null || r.scores().length != t) {
            ev.fail("sigmoid scores missing or for the wrong number of tokens");
        } else {
            ev.compare("sigmoid scores", TensorF64.wrap(flat(r.scores()), t, e), TensorF64.wrap(flat(p.routing().scores()), t, e));
        }
        Routing replay = RoutingJudge.judge(ev, "routing", c.config(), p.w(), r, p.routing(), tol);
        if (replay != null) RoutingJudge.compareWeights(ev, "routing", c.config(), r, replay, elementwise(tol));
        return ev.result();
    }

    static double[] flat(double[][] a) {
        int n = 0;
        for (double[] r : a) n += r.length;
        double[] out = new double[n];
        int i = 0;
        for (double[] r : a) for (double v : r) out[i++] = v;
        return out;
    }

    static double[][] rows(TensorF64 t) {
        double[][] out = new double[t.rows()][];
        for (int r = 0; r < out.length; r++) out[r] = t.rowArray(r);
        return out;
    }
}
