package org.dsv32.spec.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dsv32.spec.tensor.TensorF64;
import org.junit.jupiter.api.Test;

/** The ragged-batch contract's argument rules and ModelOp's default (each sequence alone, in order). */
class RaggedBatchTest {
    /** A session that records what it was fed and answers one row per token holding the token. */
    static final class Echo implements ModelSession {
        final List<int[]> fed = new ArrayList<>();
        int position;

        @Override public TensorF64 forward(int[] tokens) {
            fed.add(tokens.clone());
            position += tokens.length;
            TensorF64 t = TensorF64.zeros(tokens.length, 1);
            for (int i = 0; i < tokens.length; i++) t.put(i, 0, tokens[i]);
            return t;
        }

        @Override public TensorF64 forwardLast(int[] tokens) { throw new UnsupportedOperationException(); }

        @Override public TensorF64 lastHidden() { throw new UnsupportedOperationException(); }

        @Override public void rollback(int to) { throw new UnsupportedOperationException(); }

        @Override public int position() { return position; }
    }

    @Test
    void refusesAnEmptyBatchMismatchedListsTheSameSessionTwiceAndAnEmptyChunk() {
        Echo a = new Echo(), b = new Echo();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new RaggedBatch(List.of(), List.of())).getMessage().contains("no sequence"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new RaggedBatch(List.of(a, b), List.of(new int[] {1})))
                .getMessage().contains("2 sessions but 1 chunks"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new RaggedBatch(List.of(a, a), List.of(new int[] {1}, new int[] {2})))
                .getMessage().contains("sequences 0 and 1 are the same session"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new RaggedBatch(List.of(a, b), List.of(new int[] {1}, new int[0])))
                .getMessage().contains("sequence 1 has no tokens"));
    }

    @Test
    void theDefaultFeedsEachSequenceItsOwnChunk() {
        Echo a = new Echo(), b = new Echo();
        int[] chunkA = {7, 8, 9};
        RaggedBatch batch = new RaggedBatch(List.of(a, b), List.of(chunkA, new int[] {5}));
        chunkA[0] = -1; // the batch keeps its own copy
        ModelOp op = w -> { throw new UnsupportedOperationException(); };
        List<TensorF64> out = op.forward(batch);
        assertEquals(2, out.size());
        assertEquals(7, out.get(0).at(0, 0));
        assertEquals(3, out.get(0).rows());
        assertEquals(5, out.get(1).at(0, 0));
        assertEquals(3, a.position());
        assertEquals(1, b.position());
    }

    @Test
    void aLayerCallRefusesOneCacheForTwoSequencesAndMismatchedLists() {
        LayerCache c = new LayerCache();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RaggedBatch.checkLayerCall("indexer", 2, new int[] {0, 0}, List.of(c, c)))
                .getMessage().contains("indexer: sequences 0 and 1 share one cache"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RaggedBatch.checkLayerCall("MLA", 2, new int[] {0}, List.of(c, new LayerCache())))
                .getMessage().contains("MLA: ragged batch of 2 sequences with 1 start positions"));
    }
}
