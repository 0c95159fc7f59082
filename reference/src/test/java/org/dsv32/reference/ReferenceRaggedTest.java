package org.dsv32.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.ModelSession;
import org.dsv32.spec.ops.RaggedBatch;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.AttentionWeights;
import org.junit.jupiter.api.Test;

/**
 * The reference's padded ragged-batch indexer (spec/SEMANTICS.md §10c) against its single-sequence indexer: the same
 * scores, keys and selections bit for bit, whatever the prefixes and chunk lengths, in both modes.
 */
class ReferenceRaggedTest {
    private static final ModelConfig CONFIG = MlaFixture.config(2, 4);

    @Property(tries = 30, seed = "1019")
    void theIndexersPaddedBatchEqualsEachSequenceAlone(@ForAll @Size(min = 1, max = 4) List<@IntRange(min = 0, max = 9) Integer> prefixes,
                                                       @ForAll @Size(min = 4, max = 4) List<@IntRange(min = 1, max = 5) Integer> chunks,
                                                       @ForAll @IntRange(min = 0, max = 1 << 20) int seed, @ForAll boolean fp8) {
        OpContext ctx = fp8 ? MlaFixture.fp8(CONFIG) : MlaFixture.exact(CONFIG);
        IndexerOp indexer = MlaFixture.indexer(ctx);
        AttentionWeights w = MlaFixture.weights(CONFIG, seed);
        int n = prefixes.size();
        List<LayerCache> batched = new ArrayList<>(), alone = new ArrayList<>();
        List<TensorF64> x = new ArrayList<>(), q = new ArrayList<>();
        int[] start = new int[n];
        for (int b = 0; b < n; b++) {
            batched.add(new LayerCache());
            alone.add(new LayerCache());
            start[b] = prefixes.get(b);
            if (start[b] > 0) { // the prefix, fed the same way into both caches
                TensorF64 px = MlaFixture.input(start[b], seed + 10L * b), pq = MlaFixture.input(start[b], seed + 10L * b + 1);
                indexer.select(px, pq, 0, w.indexer(), batched.get(b));
                indexer.select(px, pq, 0, w.indexer(), alone.get(b));
            }
            x.add(MlaFixture.input(chunks.get(b), seed + 10L * b + 2));
            q.add(MlaFixture.input(chunks.get(b), seed + 10L * b + 3));
        }
        List<IndexerResult> got = indexer.selectRagged(x, q, start, w.indexer(), batched);
        for (int b = 0; b < n; b++) {
            IndexerResult want = indexer.select(x.get(b), q.get(b), start[b], w.indexer(), alone.get(b));
            String where = "sequence " + b + " (start " + start[b] + ", " + chunks.get(b) + " tokens)";
            assertArrayEquals(want.scores().toArray(), got.get(b).scores().toArray(), where + ": scores");
            assertArrayEquals(want.selected(), got.get(b).selected(), where + ": selection");
            assertEquals(alone.get(b).indexLength(), batched.get(b).indexLength(), where + ": keys cached");
            for (int s = 0; s < alone.get(b).indexLength(); s++) assertArrayEquals(alone.get(b).indexKey(s), batched.get(b).indexKey(s), where + ": key " + s);
        }
    }

    @Test
    void theIndexerRefusesARaggedCallWhoseCacheIsNotAtItsStartBeforeChangingAnyCache() {
        IndexerOp indexer = MlaFixture.indexer(MlaFixture.exact(CONFIG));
        AttentionWeights w = MlaFixture.weights(CONFIG, 3);
        LayerCache ok = new LayerCache(), stale = new LayerCache();
        var e = assertThrows(IllegalArgumentException.class, () -> indexer.selectRagged(List.of(MlaFixture.input(2, 1), MlaFixture.input(1, 2)),
                List.of(MlaFixture.input(2, 3), MlaFixture.input(1, 4)), new int[] {0, 5}, w.indexer(), List.of(ok, stale)));
        assertTrue(e.getMessage().contains("sequence 1 of the ragged batch") && e.getMessage().contains("expected startPos 5"), e.getMessage());
        assertEquals(0, ok.indexLength(), "the first sequence's cache must stay untouched");
    }

    @Test
    void theModelRefusesASessionItDidNotOpen() {
        ModelOp model = new ReferenceBackend().require(ModelOp.class, new OpContext(CONFIG, PrecisionMode.EXACT));
        ModelSession foreign = new ModelSession() {
            @Override public TensorF64 forward(int[] tokens) { throw new AssertionError(); }
            @Override public TensorF64 forwardLast(int[] tokens) { throw new AssertionError(); }
            @Override public TensorF64 lastHidden() { throw new AssertionError(); }
            @Override public void rollback(int position) { throw new AssertionError(); }
            @Override public int position() { return 0; }
        };
        var e = assertThrows(IllegalArgumentException.class, () -> model.forward(new RaggedBatch(List.of(foreign), List.of(new int[] {1}))));
        assertTrue(e.getMessage().contains("sequence 0's session was not opened by this model"), e.getMessage());
    }
}
