package org.dsv32.conformance.checks;

import org.dsv32.conformance.CaseEval;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.weights.MoeWeights;

/**
 * The routing judgement of {@link MoeGateCheck} and {@link MoeCheck} for other suites (the golden cases, whose
 * "reference" routing is read from a file): groups against the reference's group scores, experts against its
 * selection scores within the candidate's groups, and the routing weights against the reference's formula.
 */
public final class RoutingJudge {
    private RoutingJudge() {}

    /**
     * Judges every token's groups and experts (decisions recorded in {@code ev}); returns the candidate's experts
     * with weights recomputed from the reference's sigmoid scores, or null when they cannot be replayed.
     */
    public static Routing judge(CaseEval ev, String at, ModelConfig c, MoeWeights w, Routing candidate, Routing reference, Tolerance tol) {
        return RoutingDecisions.judge(ev, at, c, w, candidate, reference, tol);
    }

    /**
     * The routing the reference goes on with after a judgement (from {@link #judge} on whatever scores): the
     * candidate's experts and groups, weighted by the reference's formula on {@code reference}'s own sigmoid scores.
     * Call only when {@link #judge} returned non-null (the experts are in range).
     */
    public static Routing replay(ModelConfig c, Routing candidate, Routing reference) {
        return RoutingDecisions.replay(c, candidate, reference);
    }

    /** The candidate's routing weights against {@code replay}'s (from {@link #judge}) under {@code weightTol}. */
    public static void compareWeights(CaseEval ev, String at, ModelConfig c, Routing candidate, Routing replay, Tolerance weightTol) {
        RoutingDecisions.compareWeights(ev, at, c, candidate, replay, weightTol);
    }
}
