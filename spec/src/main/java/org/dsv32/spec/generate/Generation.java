package org.dsv32.spec.generate;

/**
 * What a greedy generation produced and what it cost.
 *
 * @param tokens    the generated tokens, in order (the prompt not included)
 * @param mainSteps forward calls of the main model after the prompt's prefill (a verification of a draft is one)
 * @param drafts    tokens the MTP module proposed (0 for plain greedy)
 * @param accepted  proposals the main model confirmed
 */
public record Generation(int[] tokens, int mainSteps, int drafts, int accepted) {
    /** accepted / drafts, or NaN when nothing was drafted. */
    public double acceptanceRate() { return drafts == 0 ? Double.NaN : (double) accepted / drafts; }
}
