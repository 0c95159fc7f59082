package org.dsv32.spec.ops;

import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.weights.ModelWeights;

/**
 * The multi-token-prediction training objective (DeepSeek-V3 report, section 2.2; spec/SEMANTICS.md §10d),
 * teacher-forced over one training sequence t_0 .. t_{T−1} in one prefill. With h^0_i the main model's final hidden
 * state (after its final norm, as §10 hands it to the MTP module) and h^k_i the output of module k's block:
 * <pre>
 *   main:      −log P_i[t_{i+1}]                                  i = 0 .. T−2
 *   module k:  h'^k_i = M_k [ RMSNorm_e(Emb(t_{i+k})) ; RMSNorm_h(h^{k−1}_i) ]   embedding FIRST, zero at i = 0
 *              h^k_i = Block_k(h'^k_i),  P^k_i = softmax(head(RMSNorm_shared(h^k_i)))
 *              −log P^k_i[t_{i+k+1}]                               i = 0 .. T−k−2
 *   L^k       = the mean of module k's terms (T counts the positions that have a target: T−k−1)
 *   L_main    = the mean of the main terms (T−1 of them)
 *   L_MTP     = (λ / D) Σ_{k=1..D} L^k,  D = num_nextn_predict_layers
 * </pre>
 * Every log-probability is computed stably: z_t − max(z) − log Σ_j exp(z_j − max(z)).
 * <p>The sequence-end rule: module k runs over the positions that have a target, i = 0 .. T−k−2; the position
 * T−k−1 has an input token (t_{T−1}) but nothing to predict and is neither run nor counted (attention is causal, so
 * running it would change nothing else). Module k+1 reads h^k on exactly its own positions (one fewer). The
 * module is the one §10 defines and {@link MtpOp} computes, the position-0 mask included, so that the objective
 * trains the function serving runs: module 1's term at position i is −log softmax(MtpOp(h^0_i, t_{i+1}))[t_{i+2}].
 */
public interface MtpLossOp extends Operation {
    /**
     * The losses over one sequence.
     *
     * @param tokens  t_0 .. t_{T−1}, T ≥ D + 2 (every module needs one target), each in [0, vocab)
     * @param weights the model with its D MTP modules
     * @param lambda  the MTP loss weight λ (DeepSeek-V3: 0.3 for the first 10T tokens, 0.1 after), finite, ≥ 0
     */
    MtpLoss loss(int[] tokens, ModelWeights weights, double lambda);

    /** The rules every backend applies to the arguments of {@link #loss}, with one wording. */
    static void validate(ModelConfig c, int[] tokens, ModelWeights weights, double lambda) {
        int d = c.numNextnPredictLayers();
        if (d < 1 || weights.mtp().size() < d) {
            throw new IllegalArgumentException("mtp loss: the config has num_nextn_predict_layers " + d + " and the weights "
                    + weights.mtp().size() + " MTP modules (at least one is needed)");
        }
        if (!(lambda >= 0) || Double.isInfinite(lambda)) {
            throw new IllegalArgumentException("mtp loss: lambda must be finite and >= 0, got " + lambda);
        }
        if (tokens.length < d + 2) {
            throw new IllegalArgumentException("mtp loss: a sequence of " + tokens.length + " tokens leaves module " + d
                    + " no target (T >= D + 2 = " + (d + 2) + " needed)");
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= c.vocabSize()) {
                throw new IllegalArgumentException("mtp loss: token " + i + " is " + tokens[i] + ", outside [0, " + c.vocabSize() + ")");
            }
        }
    }
}
