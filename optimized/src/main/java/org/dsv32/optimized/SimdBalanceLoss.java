package org.dsv32.optimized;

import org.dsv32.spec.ops.BalanceLossOp;
import org.dsv32.spec.tensor.TensorF64;

/**
 * The sequence-wise balance loss and its gradient in float32, as a training framework computes them next to an fp32
 * router: every affinity, sum and product is a float. Two choices keep it inside the derived bound
 * (spec/TOLERANCES.md, balance_loss): 1 − s is taken as sigmoid(−l), not by a subtraction that cancels when s is
 * near 1, and f is one float division of two exact integers, so a balanced sequence has f = 1 exactly. Scalar on
 * purpose: O(T N_r) work beside the router GEMM's O(T N_r D), too little for the vector loop to show.
 */
public final class SimdBalanceLoss implements BalanceLossOp {
    @Override
    public Result compute(TensorF64 logits, int[][] selected, int[] sequenceLengths, double alpha) {
        BalanceLossOp.validate(logits, selected, sequenceLengths, alpha);
        int tokens = logits.rows(), n = logits.cols(), k = selected[0].length, batch = sequenceLengths.length;
        float a = (float) alpha;
        float[] s = new float[tokens * n], oneMinus = new float[tokens * n], normalised = new float[tokens * n];
        for (int t = 0; t < tokens; t++) {
            float sum = 0;
            for (int i = 0; i < n; i++) {
                float e = (float) Math.exp(-(float) logits.at(t, i));
                float si = 1f / (1f + e);
                s[t * n + i] = si;
                oneMinus[t * n + i] = e / (1f + e);
                sum += si;
            }
            for (int i = 0; i < n; i++) normalised[t * n + i] = s[t * n + i] / sum;
        }
        float[] frequency = new float[batch * n], meanAffinity = new float[batch * n], gradient = new float[tokens * n];
        float total = 0;
        int from = 0;
        for (int b = 0; b < batch; b++) {
            int length = sequenceLengths[b], to = from + length;
            int[] count = new int[n];
            for (int t = from; t < to; t++) for (int e : selected[t]) count[e]++;
            float[] f = new float[n], p = new float[n], g = new float[n];
            for (int i = 0; i < n; i++) f[i] = (float) ((long) n * count[i]) / (float) ((long) k * length);
            for (int t = from; t < to; t++) for (int i = 0; i < n; i++) p[i] += normalised[t * n + i];
            float loss = 0, scale = (float) ((long) batch * length);
            for (int i = 0; i < n; i++) {
                p[i] /= length;
                loss += f[i] * p[i];
                g[i] = a * f[i] / scale;
                frequency[b * n + i] = f[i];
                meanAffinity[b * n + i] = p[i];
            }
            total += loss;
            for (int t = from; t < to; t++) {
                float mean = 0;
                for (int i = 0; i < n; i++) mean += g[i] * normalised[t * n + i];
                for (int m = 0; m < n; m++) {
                    int at = t * n + m;
                    gradient[at] = normalised[at] * oneMinus[at] * (g[m] - mean);
                }
            }
            from = to;
        }
        return new Result(a * total / batch, SimdTensors.toTensor(gradient, tokens, n),
                SimdTensors.toTensor(frequency, batch, n), SimdTensors.toTensor(meanAffinity, batch, n));
    }
}
