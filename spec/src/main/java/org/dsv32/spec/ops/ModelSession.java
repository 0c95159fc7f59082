package org.dsv32.spec.ops;

import org.dsv32.spec.tensor.TensorF64;

/** One sequence being decoded: its caches and position. Not thread-safe. */
public interface ModelSession {
    /** Feeds the next tokens (a prefill of many or a decode step of one); returns their logits [T][vocab]. */
    TensorF64 forward(int[] tokens);

    /**
     * Feeds the next tokens like {@link #forward} and returns only the LAST token's logits [1][vocab]: the LM head runs
     * on one row. What generation and teacher-forced scoring need; at the real vocabulary a prompt of 1,000 tokens
     * would otherwise widen about 1 GB of logits to keep one row. {@link #lastHidden} still holds every row.
     */
    TensorF64 forwardLast(int[] tokens);

    /** The final hidden states (after the final norm, as handed to the LM head) of the last {@link #forward} call, [T][D]. */
    TensorF64 lastHidden();

    /**
     * Forgets every token from {@code position} on: the caches become what they were after that many tokens and the
     * next {@link #forward} continues there (speculative decoding's rollback of a rejected draft). {@link #lastHidden}
     * is undefined until the next forward call.
     *
     * @param position 0 .. {@link #position()}
     */
    void rollback(int position);

    /** Number of tokens fed so far. */
    int position();
}
