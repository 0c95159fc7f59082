package org.dsv32.spec.ops;

import org.dsv32.spec.tensor.TensorF64;

/**
 * Auxiliary-loss-free load balancing (DeepSeek-V3 report, section 2.1.2; spec/SEMANTICS.md §9): the update of one MoE
 * layer's expert bias (e_score_correction_bias) after a training step. With T tokens in the step's batch, K experts
 * selected per token, c_i the number of tokens that selected expert i and c̄ = T K / N_r their mean:
 * <pre>
 *   b_i' = b_i + γ · sign(c̄ − c_i)
 * </pre>
 * so an overloaded expert's bias falls and an underloaded one's rises by exactly γ. Where the report is silent this
 * project decides:
 * <ul>
 * <li>sign(0) = 0: an expert at exactly the mean load keeps its bias;</li>
 * <li>the sign is decided in integers, sign(T K − N_r c_i), so no backend can round a tie at the mean differently;</li>
 * <li>every token of the step's batch counts, each selected expert once (DeepSeek-V3 drops no tokens), and each MoE
 * layer is updated from its own routing;</li>
 * <li>γ is finite and ≥ 0; γ = 0 (DeepSeek-V3 after its first 14.3T tokens) leaves the bias unchanged.</li>
 * </ul>
 */
public interface ExpertBiasUpdateOp extends Operation {
    /**
     * The updated bias; {@code bias} is not modified.
     *
     * @param bias     the layer's bias, rank 1 [N_r]
     * @param selected the experts each token of the batch was routed to, [T][K] (T may be 0), distinct indices in [0, N_r)
     * @param gamma    the bias update speed γ
     * @return the new bias [N_r]
     */
    TensorF64 update(TensorF64 bias, int[][] selected, double gamma);

    /** The rules every backend applies to the arguments of {@link #update}, with one wording. */
    static void validate(TensorF64 bias, int[][] selected, double gamma) {
        if (bias.rank() != 1 || bias.size() == 0) {
            throw new IllegalArgumentException("expert bias update: the bias must be one vector [n_routed_experts], got " + bias);
        }
        if (!(gamma >= 0) || Double.isInfinite(gamma)) {
            throw new IllegalArgumentException("expert bias update: gamma must be finite and >= 0, got " + gamma);
        }
        int n = bias.size();
        for (int t = 0; t < selected.length; t++) {
            int[] row = selected[t];
            if (row.length != selected[0].length || row.length == 0) {
                throw new IllegalArgumentException("expert bias update: token " + t + " selects " + row.length
                        + " experts, token 0 " + selected[0].length + " (every token selects the same K >= 1)");
            }
            for (int j = 0; j < row.length; j++) {
                if (row[j] < 0 || row[j] >= n) {
                    throw new IllegalArgumentException("expert bias update: token " + t + " selects expert " + row[j] + ", outside [0, " + n + ")");
                }
                for (int k = 0; k < j; k++) {
                    if (row[k] == row[j]) throw new IllegalArgumentException("expert bias update: token " + t + " selects expert " + row[j] + " twice");
                }
            }
        }
    }
}
