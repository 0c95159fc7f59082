package org.dsv32.spec.ops;

/**
 * The value of the MTP training objective over one sequence (spec/SEMANTICS.md §10d), as {@link MtpLossOp} returns it.
 *
 * @param mainLoss      the main model's next-token loss, the mean of {@code nll[0]}
 * @param moduleLosses  L^k for k = 1..D (index k − 1), each the mean of {@code nll[k]}
 * @param mtpLoss       L_MTP = (λ / D) Σ_k L^k
 * @param nll           per predicting position: {@code nll[0]} the main model's −log P_i[t_{i+1}], i = 0..T−2;
 *                      {@code nll[k]} module k's −log P^k_i[t_{i+k+1}], i = 0..T−k−2
 * @param maxLogitNorm  the largest L2 norm of a logits row that entered a loss (the scale the float32 error bound of
 *                      spec/TOLERANCES.md grows with)
 * @param maxLogitRange the largest max − min of such a row (how far exp() reaches below the row's maximum)
 */
public record MtpLoss(double mainLoss, double[] moduleLosses, double mtpLoss, double[][] nll, double maxLogitNorm, double maxLogitRange) {
    /** D, the number of MTP modules that contributed. */
    public int modules() { return moduleLosses.length; }

    /** The training loss the main and the MTP objective make together: L_main + L_MTP. */
    public double total() { return mainLoss + mtpLoss; }
}
