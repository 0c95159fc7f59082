package org.dsv32.spec.ops;

import org.dsv32.spec.tensor.TensorF64;

/**
 * The complementary sequence-wise balance loss of one MoE layer (DeepSeek-V3 report, section 2.2, eq. 17-20;
 * spec/SEMANTICS.md §9b), its value and its gradient with respect to the router logits. For one sequence of T
 * tokens, with l_{i,t} the router logit of expert i at token t, s = sigmoid(l), N_r routed experts and K_r of them
 * selected per token:
 * <pre>
 *   s'_{i,t} = s_{i,t} / Σ_j s_{j,t}            (j over ALL N_r experts, not only the selected ones)
 *   P_i      = (1/T) Σ_t s'_{i,t}
 *   f_i      = N_r / (K_r T) · Σ_t 1{i ∈ TopK_t}
 *   L_seq    = Σ_i f_i P_i
 * </pre>
 * TopK_t is the routing's selection (from the bias-corrected scores s + b, group limit included, as the gate
 * selects), given as an argument: f is a count of decisions and carries no gradient. Where the report is silent
 * this project decides:
 * <ul>
 * <li>a batch of B sequences gives L_Bal = α · (1/B) Σ_b L_seq(b): the MEAN of the per-sequence losses (as
 * DeepSeek's released training-side gate code averages its sequence-wise auxiliary loss over the batch), so
 * L_Bal = α for a perfectly balanced batch whatever B;</li>
 * <li>f_i is the rational N_r c_i / (K_r T) with one rounding (c_i the count), so a sequence that selects every
 * expert equally often has f_i = 1 exactly on every backend;</li>
 * <li>the gradient is ∂L_Bal/∂l_{m,t} = s_{m,t}(1 − s_{m,t}) / S_t · (g_m − Σ_i g_i s'_{i,t}) with S_t = Σ_j s_{j,t}
 * and g_i = α f_i / (B T) of token t's sequence: the normalisation's own derivative included;</li>
 * <li>α is finite and ≥ 0 (0.0001 in DeepSeek-V3).</li>
 * </ul>
 */
public interface BalanceLossOp extends Operation {
    /**
     * The loss, its gradient, and the per-sequence statistics that define it.
     *
     * @param loss         L_Bal
     * @param gradient     ∂L_Bal/∂logits, [T][N_r] aligned with the logits
     * @param frequency    f, [B][N_r]
     * @param meanAffinity P, [B][N_r]
     */
    record Result(double loss, TensorF64 gradient, TensorF64 frequency, TensorF64 meanAffinity) {}

    /**
     * The balance loss of a batch; no argument is modified.
     *
     * @param logits          the router logits (before the sigmoid), [T][N_r], the B sequences' tokens one after the other
     * @param selected        the experts each token was routed to, [T][K_r], distinct indices in [0, N_r)
     * @param sequenceLengths the tokens of each sequence, [B], each ≥ 1, summing to T
     * @param alpha           the balance factor α
     */
    Result compute(TensorF64 logits, int[][] selected, int[] sequenceLengths, double alpha);

    /** The rules every backend applies to the arguments of {@link #compute}, with one wording. */
    static void validate(TensorF64 logits, int[][] selected, int[] sequenceLengths, double alpha) {
        if (logits.rank() != 2 || logits.size() == 0) {
            throw new IllegalArgumentException("balance loss: the logits must be [tokens][n_routed_experts] with at least one token, got " + logits);
        }
        int tokens = logits.rows(), n = logits.cols();
        if (!(alpha >= 0) || Double.isInfinite(alpha)) throw new IllegalArgumentException("balance loss: alpha must be finite and >= 0, got " + alpha);
        for (int i = 0; i < logits.size(); i++) {
            if (!Double.isFinite(logits.getFlat(i))) {
                throw new IllegalArgumentException("balance loss: logit of token " + i / n + ", expert " + i % n + " is " + logits.getFlat(i));
            }
        }
        if (selected.length != tokens) throw new IllegalArgumentException("balance loss: " + selected.length + " selection rows for " + tokens + " tokens of logits");
        if (sequenceLengths.length == 0) throw new IllegalArgumentException("balance loss: no sequence lengths");
        long sum = 0;
        for (int b = 0; b < sequenceLengths.length; b++) {
            if (sequenceLengths[b] < 1) throw new IllegalArgumentException("balance loss: sequence " + b + " has " + sequenceLengths[b] + " tokens (at least 1)");
            sum += sequenceLengths[b];
        }
        if (sum != tokens) throw new IllegalArgumentException("balance loss: the sequence lengths sum to " + sum + ", the logits have " + tokens + " tokens");
        int k = selected[0].length;
        if (k == 0 || k > n) throw new IllegalArgumentException("balance loss: token 0 selects " + k + " experts (need 1..." + n + ")");
        for (int t = 0; t < tokens; t++) {
            int[] row = selected[t];
            if (row.length != k) {
                throw new IllegalArgumentException("balance loss: token " + t + " selects " + row.length + " experts, token 0 " + k + " (every token selects the same K)");
            }
            for (int j = 0; j < k; j++) {
                if (row[j] < 0 || row[j] >= n) throw new IllegalArgumentException("balance loss: token " + t + " selects expert " + row[j] + ", outside [0, " + n + ")");
                for (int i = 0; i < j; i++) {
                    if (row[i] == row[j]) throw new IllegalArgumentException("balance loss: token " + t + " selects expert " + row[j] + " twice");
                }
            }
        }
    }
}
