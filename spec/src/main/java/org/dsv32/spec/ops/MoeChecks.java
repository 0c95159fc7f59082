package org.dsv32.spec.ops;

/**
 * The argument checks every {@link MoeOp} implementation makes on a replayed routing, in one place so that every
 * backend refuses the same inputs with the same message.
 */
public final class MoeChecks {
    private MoeChecks() {}

    /** A replayed routing must name, per token, distinct experts in [0, experts) with one weight each. Returns it. */
    public static Routing checkForcedRouting(Routing r, int tokens, int experts) {
        if (r.experts() == null || r.weights() == null || r.experts().length != tokens || r.weights().length != tokens) {
            throw new IllegalArgumentException("MoE: forced routing must give experts and weights for each of the " + tokens + " tokens");
        }
        for (int t = 0; t < tokens; t++) {
            int[] e = r.experts()[t];
            if (e.length != r.weights()[t].length) {
                throw new IllegalArgumentException("MoE: forced routing of token " + t + " has " + e.length + " experts but "
                        + r.weights()[t].length + " weights");
            }
            boolean[] seen = new boolean[experts];
            for (int id : e) {
                if (id < 0 || id >= experts || seen[id]) {
                    throw new IllegalArgumentException("MoE: forced routing of token " + t + " names expert " + id
                            + (id >= 0 && id < experts ? " twice" : ", outside [0, " + experts + ")"));
                }
                seen[id] = true;
            }
        }
        return r;
    }
}
