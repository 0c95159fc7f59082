package org.dsv32.conformance.checks;

import java.util.Arrays;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.Decision;
import org.dsv32.conformance.SelectionCheck;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MoeWeights;

/**
 * Judges a candidate's routing against the reference's, in two levels: the kept groups against the reference's
 * group scores, then the experts against the reference's selection scores b = s + bias restricted to the
 * candidate's kept groups (a near-tied group legitimately changes which experts are eligible). Also builds the
 * routing the reference replays: the candidate's experts with weights recomputed from the REFERENCE's sigmoid
 * scores (s_i / Σ s · factor), so a wrong weight formula shows in the replayed output too. Stateless.
 */
final class RoutingDecisions {
    private RoutingDecisions() {}

    /** Judges every token; returns the routing to replay, or null when the candidate's choice cannot be replayed. */
    static Routing judge(CaseEval ev, String at, ModelConfig c, MoeWeights w, Routing cand, Routing ref, Tolerance tol) {
        int tokens = ref.experts().length, experts = c.nRoutedExperts(), groups = c.nGroup(), per = experts / groups;
        double[] bias = w.correctionBias() == null ? new double[experts] : w.correctionBias().row(0);
        if (cand == null || cand.experts() == null || cand.experts().length != tokens) {
            ev.fail(at + ": candidate routing missing or for the wrong number of tokens");
            return null;
        }
        boolean replayable = true;
        for (int t = 0; t < tokens; t++) {
            double[] s = ref.scores()[t];
            double[] b = new double[experts];
            double scale = 1;
            for (int e = 0; e < experts; e++) { b[e] = s[e] + bias[e]; scale = Math.max(scale, Math.abs(b[e])); }
            double tau = tol.scoreRel() * scale;
            int[] candGroups = cand.groups() == null || t >= cand.groups().length ? null : cand.groups()[t];
            SelectionCheck.Outcome g = SelectionCheck.check(ref.groupScores()[t], ref.groups()[t], candGroups, ref.groups()[t].length, 2 * tau);
            ev.decision(at + " token " + t + " groups", g);
            // the experts the candidate's groups allow, ranked by the reference's b
            double[] masked = new double[experts];
            Arrays.fill(masked, Double.NEGATIVE_INFINITY);
            int[] allowed = g.decision() == Decision.VIOLATION ? ref.groups()[t] : candGroups;
            for (int grp : allowed) for (int e = grp * per; e < (grp + 1) * per; e++) masked[e] = b[e];
            int[] refExperts = g.decision() == Decision.AGREE ? ref.experts()[t] : topK(masked, ref.experts()[t].length);
            int[] ce = cand.experts()[t];
            SelectionCheck.Outcome o = SelectionCheck.check(masked, refExperts, ce, ref.experts()[t].length, tau);
            ev.decision(at + " token " + t + " experts", o);
            if (ce == null || Arrays.stream(ce).anyMatch(e -> e < 0 || e >= experts)) replayable = false;
        }
        if (!replayable) {
            ev.fail(at + ": the candidate's experts cannot be replayed (missing or out of range)");
            return null;
        }
        return replay(c, cand, ref);
    }

    /**
     * The candidate's experts and groups with weights recomputed by the reference's formula from {@code ref}'s sigmoid
     * scores (and {@code ref}'s scores kept): what the reference goes on with. The experts must be in range.
     */
    static Routing replay(ModelConfig c, Routing cand, Routing ref) {
        double[][] weights = new double[ref.experts().length][];
        for (int t = 0; t < weights.length; t++) weights[t] = referenceWeights(c, ref.scores()[t], cand.experts()[t]);
        return new Routing(cand.experts(), weights, ref.scores(), ref.selectionScores(), ref.groupScores(), cand.groups());
    }

    /** w_i = s_i / Σ_selected s (norm_topk_prob) times routed_scaling_factor, s without the bias. */
    static double[] referenceWeights(ModelConfig c, double[] s, int[] chosen) {
        double sum = 0;
        for (int e : chosen) sum += s[e];
        double[] out = new double[chosen.length];
        for (int i = 0; i < chosen.length; i++) {
            out[i] = (c.normTopkProb() ? s[chosen[i]] / sum : s[chosen[i]]) * c.routedScalingFactor();
        }
        return out;
    }

    /** Indices of the k largest (ties to the lower index). */
    static int[] topK(double[] v, int k) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> Double.compare(v[b], v[a]) != 0 ? Double.compare(v[b], v[a]) : Integer.compare(a, b));
        int[] out = new int[k];
        for (int i = 0; i < k; i++) out[i] = idx[i];
        return out;
    }

    /** The candidate's weights against the reference's formula applied to the candidate's experts. */
    static void compareWeights(CaseEval ev, String at, ModelConfig c, Routing cand, Routing replay, Tolerance weightTol) {
        int tokens = replay.experts().length, k = replay.experts()[0].length;
        TensorF64 a = TensorF64.zeros(tokens, k), b = TensorF64.zeros(tokens, k);
        for (int t = 0; t < tokens; t++) {
            if (cand.weights() == null || cand.weights()[t] == null || cand.weights()[t].length != k) {
                ev.fail(at + ": candidate routing weights missing for token " + t);
                return;
            }
            for (int i = 0; i < k; i++) { a.put(t, i, cand.weights()[t][i]); b.put(t, i, replay.weights()[t][i]); }
        }
        ev.compare(at + " routing weights", a, b, weightTol);
    }
}
