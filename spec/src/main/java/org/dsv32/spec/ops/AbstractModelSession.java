package org.dsv32.spec.ops;

import java.util.ArrayList;
import java.util.List;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ModelWeights;

/**
 * The bookkeeping every backend's {@link ModelSession} shares, so that it is written once: one {@link LayerCache} per
 * layer, the position, the last final hidden states, and where the LM head runs. A backend supplies the arithmetic:
 * {@link #finalHidden} (embedding, blocks, final RMSNorm) and {@link #head} (the LM head over some rows).
 */
public abstract class AbstractModelSession implements ModelSession {
    protected final ModelWeights weights;
    /** One cache per decoder layer, indexed by the layer's index; modified by every call. */
    protected final List<LayerCache> caches = new ArrayList<>();
    private int position;
    private TensorF64 lastHidden;

    protected AbstractModelSession(ModelWeights weights) {
        this.weights = weights;
        for (int i = 0; i < weights.layers().size(); i++) caches.add(new LayerCache());
    }

    /** The final hidden states [T][D] of {@code tokens} fed at {@code startPos} (after the final norm); advances the caches. */
    protected abstract TensorF64 finalHidden(int[] tokens, int startPos);

    /** The LM head over {@code hidden} [R][D]: logits [R][vocab]. */
    protected abstract TensorF64 head(TensorF64 hidden);

    /** The position after {@code fed} tokens from {@code position}. */
    protected int positionAfter(int position, int fed) { return position + fed; }

    @Override
    public final TensorF64 forward(int[] tokens) { return head(feed(tokens)); }

    @Override
    public final TensorF64 forwardLast(int[] tokens) {
        TensorF64 hidden = feed(tokens);
        return head(hidden.rows() == 1 ? hidden : hidden.row(hidden.rows() - 1).reshape(1, hidden.cols()));
    }

    private TensorF64 feed(int[] tokens) {
        if (tokens.length == 0) throw new IllegalArgumentException("no tokens to feed");
        return advance(finalHidden(tokens, position), tokens.length);
    }

    /**
     * Records {@code hidden} [T][D], the final hidden states of {@code fed} tokens computed at {@link #position()} by
     * some other route (a ragged batch), and advances the position as {@link #forward} would; returns {@code hidden}.
     */
    protected final TensorF64 advance(TensorF64 hidden, int fed) {
        if (hidden.rows() != fed) throw new IllegalArgumentException(fed + " tokens fed but " + hidden.rows() + " hidden rows");
        lastHidden = hidden;
        position = positionAfter(position, fed);
        return hidden;
    }

    @Override
    public final TensorF64 lastHidden() {
        if (lastHidden == null) throw new IllegalStateException("no forward call yet");
        return lastHidden;
    }

    @Override
    public final void rollback(int position) {
        if (position < 0 || position > this.position) {
            throw new IllegalArgumentException("rollback to position " + position + " of a session at position " + this.position);
        }
        for (LayerCache c : caches) c.truncate(position);
        this.position = position;
        lastHidden = null;
    }

    @Override
    public final int position() { return position; }
}
