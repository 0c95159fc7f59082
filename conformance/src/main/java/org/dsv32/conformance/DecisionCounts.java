package org.dsv32.conformance;

/** Tallies of {@link Decision}s over the decisions of a case or a check. */
public record DecisionCounts(int agree, int nearTie, int violation) {
    public static final DecisionCounts NONE = new DecisionCounts(0, 0, 0);

    public static DecisionCounts of(Decision d) {
        return switch (d) {
            case AGREE -> new DecisionCounts(1, 0, 0);
            case NEAR_TIE -> new DecisionCounts(0, 1, 0);
            case VIOLATION -> new DecisionCounts(0, 0, 1);
        };
    }

    public DecisionCounts plus(DecisionCounts o) {
        return new DecisionCounts(agree + o.agree, nearTie + o.nearTie, violation + o.violation);
    }

    public DecisionCounts plus(Decision d) { return plus(of(d)); }

    public int total() { return agree + nearTie + violation; }
}
