package org.dsv32.optimized;

import org.dsv32.spec.ops.ExpertBiasUpdateOp;
import org.dsv32.spec.tensor.TensorF64;

/**
 * The auxiliary-loss-free bias update in float32, as a training framework keeps the bias (an fp32 parameter):
 * b' = fp32(b) + fp32(γ) · sign(T K − N_r c_i), one float32 addition per expert. Scalar on purpose: N_r = 256 values
 * per layer and step, a cost the vector loop could not show. Loads are counted in integers, so the direction of each
 * move is exact and identical to every other backend's.
 */
public final class SimdExpertBiasUpdate implements ExpertBiasUpdateOp {
    @Override
    public TensorF64 update(TensorF64 bias, int[][] selected, double gamma) {
        ExpertBiasUpdateOp.validate(bias, selected, gamma);
        int n = bias.size();
        int[] load = new int[n];
        long total = 0;
        for (int[] token : selected) {
            for (int e : token) load[e]++;
            total += token.length;
        }
        float g = (float) gamma;
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            int direction = Long.signum(total - (long) n * load[i]);
            out[i] = (float) bias.getFlat(i) + direction * g;
        }
        return SimdTensors.toTensor(out, n);
    }
}
