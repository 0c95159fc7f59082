package org.dsv32.spec.ops;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One step of a ragged batch (spec/SEMANTICS.md §10c): B sequences decoded together, each with its own
 * {@link ModelSession} (its caches, at its own position) and its own next chunk of tokens (a chunked prefill of
 * several tokens or a one-token decode step; the lengths differ), as a serving engine packs them into one padded
 * forward. The contract, for every backend: the logits of sequence b equal {@code sessions.get(b).forward(chunks.get(b))}
 * run alone — padding rows and padding keys are invisible — and each session advances exactly as that call would.
 *
 * @param sessions distinct sessions, all opened by the {@link ModelOp} that runs the batch, on the same weights
 * @param chunks   per session its next tokens, none empty
 */
public record RaggedBatch(List<ModelSession> sessions, List<int[]> chunks) {
    public RaggedBatch {
        sessions = List.copyOf(sessions);
        chunks = chunks.stream().map(int[]::clone).toList();
        if (sessions.isEmpty()) throw new IllegalArgumentException("ragged batch: no sequence");
        if (sessions.size() != chunks.size()) {
            throw new IllegalArgumentException("ragged batch: " + sessions.size() + " sessions but " + chunks.size() + " chunks");
        }
        Map<ModelSession, Integer> seen = new IdentityHashMap<>();
        for (int b = 0; b < sessions.size(); b++) {
            Integer before = seen.put(sessions.get(b), b);
            if (before != null) throw new IllegalArgumentException("ragged batch: sequences " + before + " and " + b + " are the same session");
            if (chunks.get(b).length == 0) throw new IllegalArgumentException("ragged batch: sequence " + b + " has no tokens to feed");
        }
    }

    /** Number of sequences B. */
    public int size() { return sessions.size(); }

    /** The tokens of sequence b (a copy). */
    public int[] chunk(int b) { return chunks.get(b).clone(); }

    /**
     * The argument rules of the per-layer ragged calls ({@link IndexerOp#selectRagged}, {@link MlaAttentionOp#forwardRagged},
     * {@link BlockOp#forwardRagged}): one start position and one cache per sequence, every list of the same length, no
     * cache twice (it would be appended to twice).
     */
    public static void checkLayerCall(String op, int sequences, int[] startPos, List<LayerCache> caches) {
        if (sequences == 0) throw new IllegalArgumentException(op + ": ragged batch without a sequence");
        if (startPos.length != sequences || caches.size() != sequences) {
            throw new IllegalArgumentException(op + ": ragged batch of " + sequences + " sequences with " + startPos.length
                    + " start positions and " + caches.size() + " caches");
        }
        Map<LayerCache, Integer> seen = new IdentityHashMap<>();
        for (int b = 0; b < sequences; b++) {
            Integer before = seen.put(caches.get(b), b);
            if (before != null) throw new IllegalArgumentException(op + ": sequences " + before + " and " + b + " share one cache");
        }
    }
}
