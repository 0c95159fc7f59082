package org.dsv32.reference;

import org.dsv32.spec.format.Bf16Rounding;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;

/**
 * Rotary position embedding, the reference (spec/SEMANTICS.md §6). For a row x of d = qk_rope_head_dim elements
 * at position p, and each i < d/2 with the configuration's (YaRN) frequency f_i ({@code config.ropeFrequencies()}):
 * <pre>
 *   θ = p * f_i,   (a, b) = (x[first(i)], x[second(i)])
 *   (a, b) -&gt; (a cos θ - b sin θ,  a sin θ + b cos θ)
 * </pre>
 * where the layout picks the pair: {@link RopeLayout#INTERLEAVED} (2i, 2i+1), used by MLA;
 * {@link RopeLayout#HALF_SPLIT} (i, i + d/2), used by the indexer. Positions may exceed
 * {@code original_max_position_embeddings} (that is what YaRN is for). Float64; x is not modified.
 */
public class ReferenceRope implements RopeOp {
    protected final OpContext context;
    protected final Backend self;
    /** f_i, i < d/2, with YaRN applied. */
    protected final double[] frequencies;

    public ReferenceRope(OpContext context, Backend self) {
        this.context = context;
        this.self = self;
        this.frequencies = context.config().ropeFrequencies();
    }

    @Override
    public TensorF64 apply(TensorF64 x, int[] positions, RopeLayout layout) {
        int d = 2 * frequencies.length;
        if (x.cols() != d) {
            throw new IllegalArgumentException("rope: input " + x + " has rows of " + x.cols()
                    + ", expected qk_rope_head_dim = " + d);
        }
        if (positions.length != x.rows()) {
            throw new IllegalArgumentException("rope: " + positions.length + " positions for " + x.rows() + " rows of " + x);
        }
        TensorF64 y = x.copy();
        for (int r = 0; r < x.rows(); r++) {
            if (positions[r] < 0) throw new IllegalArgumentException("rope: negative position " + positions[r] + " at row " + r);
            for (int i = 0; i < d / 2; i++) {
                int first = firstOfPair(i, d, layout), second = secondOfPair(i, d, layout);
                double theta = angle(positions[r], i);
                double a = x.at(r, first), b = x.at(r, second);
                double cos = Math.cos(theta), sin = Math.sin(theta);
                y.put(r, first, a * cos - b * sin);
                y.put(r, second, a * sin + b * cos);
            }
        }
        return context.bf16() ? Bf16Rounding.roundInPlace(y) : y; // bf16 mode: stored bf16 (§5c)
    }

    /** θ = p * f_i. */
    protected double angle(int position, int i) {
        return position * frequencies[i];
    }

    /** The first dimension of pair i: 2i interleaved, i half-split. */
    protected int firstOfPair(int i, int d, RopeLayout layout) {
        return layout == RopeLayout.INTERLEAVED ? 2 * i : i;
    }

    /** The second dimension of pair i: 2i + 1 interleaved, i + d/2 half-split. */
    protected int secondOfPair(int i, int d, RopeLayout layout) {
        return layout == RopeLayout.INTERLEAVED ? 2 * i + 1 : i + d / 2;
    }
}
