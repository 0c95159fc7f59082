package org.dsv32.optimized;

import org.dsv32.spec.ops.IndexerLossOp;
import org.dsv32.spec.tensor.TensorF64;

/**
 * The lightning indexer's training loss and its gradients in float32, as a training framework computes them next to
 * an fp32 indexer: every dot product, score, exponential, sum and product is a float (spec/TOLERANCES.md,
 * indexer_loss, bounds the result). The log-softmax is the stable one (I − max − log Σ exp(I − max)) and log p is
 * log(a_s) − log(Σ a), so no quotient underflows before its logarithm. The O(T H S d) parts (the dot products
 * z = q_h · k(s), and the gradients' accumulations ∂q += e k(s), ∂k(s) += e q_h) run on the vector kernels
 * ({@link SimdAttentionKernels#dots} and {@link SimdAttentionKernels#axpy}: per-lane FMA, a fixed reduction tree), the
 * rest in scalar floats; one thread, every loop in a fixed order, so the result is deterministic.
 */
public final class SimdIndexerLoss implements IndexerLossOp {
    @Override
    public Result compute(TensorF64 attention, TensorF64 q, TensorF64 k, TensorF64 w, int[][] selection) {
        IndexerLossOp.validate(attention, q, k, w, selection);
        int tokens = q.dim(0), heads = q.dim(1), d = q.dim(2), keys = k.rows(), mainHeads = attention.dim(1);
        float c = (float) (1 / Math.sqrt(d));
        float[] qf = SimdTensors.toFloats(q), kf = SimdTensors.toFloats(k), wf = SimdTensors.toFloats(w), af = SimdTensors.toFloats(attention);
        float[] perQuery = new float[tokens], target = new float[tokens * keys], scores = new float[tokens * keys], scoreGradient = new float[tokens * keys];
        float[] dq = new float[tokens * heads * d], dk = new float[keys * d], dw = new float[tokens * heads];
        float[] z = new float[heads * keys];
        float total = 0;
        SimdAttentionKernels kr = SimdAttentionKernels.current();
        for (int t = 0; t < tokens; t++) {
            int pos = IndexerLossOp.position(t, tokens, keys);
            int[] set = keySet(pos, selection == null ? null : selection[t]);
            for (int h = 0; h < heads; h++) kr.dots(kf, 0, d, keys, qf, (t * heads + h) * d, d, z, h * keys); // z[h][s] = q_h . k(s)
            for (int s = 0; s < keys; s++) {
                float sum = 0;
                for (int h = 0; h < heads; h++) sum += wf[t * heads + h] * c * Math.max(z[h * keys + s], 0f);
                scores[t * keys + s] = sum;
            }
            int n = set.length;
            float[] a = new float[n];
            float mass = 0, max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                float sum = 0;
                for (int h = 0; h < mainHeads; h++) sum += af[(t * mainHeads + h) * keys + set[j]];
                a[j] = sum;
                mass += sum;
                max = Math.max(max, scores[t * keys + set[j]]);
            }
            float expSum = 0;
            float[] e = new float[n];
            for (int j = 0; j < n; j++) expSum += e[j] = (float) Math.exp(scores[t * keys + set[j]] - max);
            float lse = (float) Math.log(expSum), logMass = (float) Math.log(mass), kl = 0;
            float[] g = new float[n];
            for (int j = 0; j < n; j++) {
                float p = a[j] / mass;
                if (a[j] > 0) kl += p * (((float) Math.log(a[j]) - logMass) - (scores[t * keys + set[j]] - max - lse));
                g[j] = e[j] / expSum - p;
                target[t * keys + set[j]] = p;
                scoreGradient[t * keys + set[j]] = g[j];
            }
            perQuery[t] = kl;
            total += kl;
            for (int h = 0; h < heads; h++) {
                float wh = wf[t * heads + h], sum = 0;
                int qo = (t * heads + h) * d;
                for (int j = 0; j < n; j++) {
                    int s = set[j];
                    float zs = z[h * keys + s];
                    if (!(zs > 0)) continue; // ReLU(z) = 0 and ReLU'(z) = 0 (at the kink too)
                    sum += g[j] * c * zs;
                    float ez = g[j] * c * wh;
                    kr.axpy(ez, kf, s * d, dq, qo, d);
                    kr.axpy(ez, qf, qo, dk, s * d, d);
                }
                dw[t * heads + h] = sum;
            }
        }
        return new Result(total, SimdTensors.toTensor(perQuery, tokens), SimdTensors.toTensor(target, tokens, keys),
                SimdTensors.toTensor(scores, tokens, keys), SimdTensors.toTensor(scoreGradient, tokens, keys),
                SimdTensors.toTensor(dq, tokens, heads, d), SimdTensors.toTensor(dk, keys, d), SimdTensors.toTensor(dw, tokens, heads),
                TensorF64.zeros(tokens, mainHeads, keys));
    }

    /** K_t, ascending: every key 0 .. pos, or the selected keys ≤ pos. */
    private static int[] keySet(int pos, int[] selected) {
        if (selected == null) {
            int[] all = new int[pos + 1];
            for (int s = 0; s <= pos; s++) all[s] = s;
            return all;
        }
        return java.util.Arrays.stream(selected).filter(s -> s <= pos).sorted().toArray();
    }
}
