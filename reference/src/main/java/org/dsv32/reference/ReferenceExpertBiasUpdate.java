package org.dsv32.reference;

import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.ExpertBiasUpdateOp;
import org.dsv32.spec.tensor.TensorF64;

/**
 * The auxiliary-loss-free bias update, the reference (spec/SEMANTICS.md §9; the contract states the formula and the
 * decisions): count each expert's load over the batch, compare it with the mean in integers, move the bias by γ
 * toward the mean. Float64; the bias is not modified.
 */
public class ReferenceExpertBiasUpdate implements ExpertBiasUpdateOp {
    protected final OpContext context;
    protected final Backend self;

    public ReferenceExpertBiasUpdate(OpContext context, Backend self) {
        this.context = context;
        this.self = self;
    }

    @Override
    public TensorF64 update(TensorF64 bias, int[][] selected, double gamma) {
        ExpertBiasUpdateOp.validate(bias, selected, gamma);
        int n = bias.size();
        long[] load = loads(selected, n);
        long total = 0;
        for (long c : load) total += c;
        TensorF64 out = TensorF64.zeros(n);
        for (int i = 0; i < n; i++) out.setFlat(i, bias.getFlat(i) + gamma * direction(total, n, load[i]));
        return out;
    }

    /** c_i: how many tokens selected expert i. */
    protected long[] loads(int[][] selected, int n) {
        long[] c = new long[n];
        for (int[] token : selected) for (int e : token) c[e]++;
        return c;
    }

    /** sign(c̄ − c_i) = sign(total − n c_i) with c̄ = total / n, in integers: +1 underloaded, −1 overloaded, 0 at the mean. */
    protected int direction(long total, int n, long load) { return Long.signum(total - n * load); }
}
