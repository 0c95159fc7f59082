package org.dsv32.spec.ops;

import org.dsv32.spec.tensor.TensorF64;

/**
 * The lightning indexer's training loss (DeepSeek-V3.2 paper, continued pre-training; spec/SEMANTICS.md §8b), its
 * value and its gradients with respect to the index scores I, the indexer's queries q^I, its keys k^I and its head
 * weights w. T queries attend S ≥ T keys; query t stands at position pos(t) = S − T + t (the queries are the LAST T
 * tokens of the keys: T = S is a prefill, T &lt; S a chunk after a cache) and its causal keys are 0 .. pos(t).
 * <pre>
 *   z_{t,h,s} = q_h(t) · k(s)                                   (q, k after RoPE and the Hadamard transform)
 *   I_{t,s}   = Σ_h w_h(t) · d^-1/2 · ReLU(z_{t,h,s})          (d = the indexer's head dim, 128 in V3.2)
 *   K_t       = 0 .. pos(t) (dense warm-up), or S_t ∩ (0 .. pos(t)) (sparse stage, S_t the selection)
 *   p_{t,s}   = Σ_a A_{t,a,s} / Σ_{s' ∈ K_t} Σ_a A_{t,a,s'}    for s ∈ K_t (the main attention's probabilities
 *                                                               summed over its heads a, L1-normalised over K_t)
 *   log q_t   = log Softmax(I_{t,K_t})                          (stable: I − max − log Σ exp(I − max))
 *   L_I       = Σ_t KL(p_t ‖ q_t) = Σ_t Σ_{s ∈ K_t} p_{t,s} (log p_{t,s} − log q_{t,s}),  0 · log 0 = 0
 * </pre>
 * One operation with two stages, chosen by {@code selection}: the sparse loss over S_t = every causal key IS the
 * dense loss (one formula, one gradient; the stages differ only in K_t), and a port switching from warm-up to the
 * sparse stage keeps the same kernel. Where the paper is silent this project decides:
 * <ul>
 * <li>L_I is the SUM over queries, as the paper writes it (a framework that averages divides by T; the loss weight
 * absorbs it); {@link Result#perQuery} gives every KL_t;</li>
 * <li>the target is renormalised over K_t: in the sparse stage the main attention's mass outside S_t is dropped,
 * not kept as a term; keys outside K_t (future keys, unselected keys) take no part: target 0, score gradient 0;</li>
 * <li>a selected key beyond pos(t) is masked, not refused (DeepSeek's top-k over a row shorter than k picks masked
 * keys, and §8's attention keeps them masked); a duplicate is refused; every row must keep one causal key;</li>
 * <li>the target is a constant: the main attention's probabilities and the indexer's input are detached from the
 * main model's graph, so the loss sends NO gradient into the main model — {@link Result#attentionGradient} is
 * exactly 0 — and its gradient reaches the indexer only through q^I, k^I and w;</li>
 * <li>ReLU'(0) = 0 (PyTorch's subgradient): a head whose z is exactly 0 passes no gradient;</li>
 * <li>the gradients: g_{t,s} = ∂L/∂I_{t,s} = q_{t,s} − p_{t,s} on K_t (Σ_s p = 1), 0 elsewhere;
 * ∂L/∂w_h(t) = d^-1/2 Σ_s g_{t,s} ReLU(z_{t,h,s}); with e_{t,h,s} = g_{t,s} d^-1/2 w_h(t) 1[z_{t,h,s} &gt; 0]:
 * ∂L/∂q_h(t) = Σ_s e_{t,h,s} k(s) and ∂L/∂k(s) = Σ_{t,h} e_{t,h,s} q_h(t). RoPE and the Hadamard transform are
 * linear, so a caller maps ∂q, ∂k back through their transposes to the projections.</li>
 * </ul>
 */
public interface IndexerLossOp extends Operation {
    /**
     * The loss, what defines it, and its gradients.
     *
     * @param loss              L_I = Σ_t KL_t
     * @param perQuery          KL_t, [T]
     * @param target            p, [T][S] (0 outside K_t)
     * @param scores            I, [T][S], every key (the mask acts in the loss, not here)
     * @param scoreGradient     ∂L/∂I, [T][S] (0 outside K_t)
     * @param queryGradient     ∂L/∂q^I, [T][H][d]
     * @param keyGradient       ∂L/∂k^I, [S][d]
     * @param weightGradient    ∂L/∂w, [T][H]
     * @param attentionGradient the gradient the loss sends into the main attention's probabilities, [T][H_a][S]:
     *                          0 by contract (the target is detached)
     */
    record Result(double loss, TensorF64 perQuery, TensorF64 target, TensorF64 scores, TensorF64 scoreGradient,
                  TensorF64 queryGradient, TensorF64 keyGradient, TensorF64 weightGradient, TensorF64 attentionGradient) {}

    /**
     * The indexer loss of T queries; no argument is modified.
     *
     * @param attention the main attention's probabilities, [T][H_a][S], finite and ≥ 0 (entries outside K_t are ignored)
     * @param q         the indexer's queries q^I after RoPE and the Hadamard transform, [T][H][d]
     * @param k         the indexer's keys k^I after RoPE and the Hadamard transform, [S][d]
     * @param w         the indexer's head weights w_h(t) (§8's, 64^-1/2 included), [T][H]
     * @param selection null for the dense warm-up; for the sparse stage the selected keys of each query, [T][any ≥ 1],
     *                  each in [0, S), no duplicates in a row, at least one of them ≤ pos(t)
     */
    Result compute(TensorF64 attention, TensorF64 q, TensorF64 k, TensorF64 w, int[][] selection);

    /** pos(t) = S − T + t: the queries are the last T of the S tokens. */
    static int position(int query, int queries, int keys) { return keys - queries + query; }

    /** The rules every backend applies to the arguments of {@link #compute}, with one wording. */
    static void validate(TensorF64 attention, TensorF64 q, TensorF64 k, TensorF64 w, int[][] selection) {
        if (q.rank() != 3 || q.size() == 0) throw new IllegalArgumentException("indexer loss: q must be [queries][heads][head_dim], non-empty, got " + q);
        int t = q.dim(0), h = q.dim(1), d = q.dim(2);
        if (k.rank() != 2 || k.cols() != d || k.rows() < t) {
            throw new IllegalArgumentException("indexer loss: k must be [keys][" + d + "] with keys >= " + t + " queries, got " + k);
        }
        int s = k.rows();
        if (w.rank() != 2 || w.rows() != t || w.cols() != h) throw new IllegalArgumentException("indexer loss: w must be [" + t + "][" + h + "], got " + w);
        if (attention.rank() != 3 || attention.dim(0) != t || attention.dim(1) < 1 || attention.dim(2) != s) {
            throw new IllegalArgumentException("indexer loss: the attention probabilities must be [" + t + "][heads][" + s + "], got " + attention);
        }
        finite("q", q);
        finite("k", k);
        finite("w", w);
        int heads = attention.dim(1);
        for (int i = 0; i < attention.size(); i++) {
            double a = attention.getFlat(i);
            if (!(a >= 0) || Double.isInfinite(a)) {
                throw new IllegalArgumentException("indexer loss: attention probability of query " + i / (heads * s) + ", head " + i / s % heads
                        + ", key " + i % s + " is " + a + " (must be finite and >= 0)");
            }
        }
        if (selection != null && selection.length != t) throw new IllegalArgumentException("indexer loss: " + selection.length + " selection rows for " + t + " queries");
        for (int r = 0; r < t; r++) {
            int pos = position(r, t, s);
            double mass = 0;
            if (selection == null) {
                for (int a = 0; a < heads; a++) for (int key = 0; key <= pos; key++) mass += attention.get(r, a, key);
            } else {
                int[] row = selection[r];
                boolean[] seen = new boolean[s];
                int causal = 0;
                for (int key : row) {
                    if (key < 0 || key >= s) throw new IllegalArgumentException("indexer loss: query " + r + " selects key " + key + ", outside [0, " + s + ")");
                    if (seen[key]) throw new IllegalArgumentException("indexer loss: query " + r + " selects key " + key + " twice");
                    seen[key] = true;
                    if (key <= pos) {
                        causal++;
                        for (int a = 0; a < heads; a++) mass += attention.get(r, a, key);
                    }
                }
                if (causal == 0) throw new IllegalArgumentException("indexer loss: query " + r + " (position " + pos + ") selects no causal key");
            }
            if (!(mass > 0)) {
                throw new IllegalArgumentException("indexer loss: query " + r + " has no attention mass on its " + (selection == null ? "causal" : "selected")
                        + " keys (the target is undefined)");
            }
        }
    }

    private static void finite(String name, TensorF64 x) {
        for (int i = 0; i < x.size(); i++) {
            if (!Double.isFinite(x.getFlat(i))) throw new IllegalArgumentException("indexer loss: " + name + " element " + i + " is " + x.getFlat(i));
        }
    }
}
