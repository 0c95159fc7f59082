package org.dsv32.conformance.properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.ModelSession;
import org.dsv32.spec.ops.RaggedBatch;
import org.dsv32.spec.tensor.TensorF64;

/**
 * Ragged batches (spec/SEMANTICS.md §10c): B sequences, each split into its own chunks, fed step by step as ragged
 * batches (step k holds every sequence that has a k-th chunk, so the lengths, positions and the batch itself change)
 * give, per sequence and chunk, exactly the logits of that sequence fed alone — bit for bit, on every backend that
 * runs the model. For the reference this crosses its padded indexer layout (right-aligned rows and keys, NaN padding):
 * the padding is invisible. jqwik shrinks a failure to the fewest, shortest sequences.
 */
class RaggedBatchProperties {
    @Property(tries = 24, seed = "1018")
    void aRaggedBatchEqualsEachSequenceAlone(
            @ForAll @Size(min = 1, max = 4) List<@Size(min = 1, max = 3) List<@IntRange(min = 1, max = 5) Integer>> plan,
            @ForAll long seed, @ForAll PrecisionMode mode) {
        List<int[]> tokens = new ArrayList<>();
        for (int b = 0; b < plan.size(); b++) tokens.add(SequenceFixture.tokens(seed + b, plan.get(b).stream().mapToInt(Integer::intValue).sum()));
        int steps = plan.stream().mapToInt(List::size).max().orElse(0);
        for (Backend backend : SequenceFixture.backends()) {
            ModelOp model = SequenceFixture.model(backend, mode);
            List<ModelSession> alone = new ArrayList<>(), batched = new ArrayList<>();
            for (int b = 0; b < plan.size(); b++) {
                alone.add(model.open(SequenceFixture.WEIGHTS));
                batched.add(model.open(SequenceFixture.WEIGHTS));
            }
            int[] from = new int[plan.size()];
            for (int k = 0; k < steps; k++) {
                List<Integer> in = new ArrayList<>();
                for (int b = 0; b < plan.size(); b++) if (k < plan.get(b).size()) in.add(b);
                List<int[]> chunks = new ArrayList<>();
                for (int b : in) chunks.add(Arrays.copyOfRange(tokens.get(b), from[b], from[b] + plan.get(b).get(k)));
                List<TensorF64> got = model.forward(new RaggedBatch(in.stream().map(batched::get).toList(), chunks));
                assertEquals(in.size(), got.size(), backend.name() + ": one result per sequence");
                for (int i = 0; i < in.size(); i++) {
                    int b = in.get(i);
                    TensorF64 want = alone.get(b).forward(chunks.get(i));
                    String where = backend.name() + " " + mode + " plan " + plan + ": step " + k + ", sequence " + b + " at position " + from[b];
                    assertArrayEquals(want.toArray(), got.get(i).toArray(), where + ": logits");
                    assertArrayEquals(alone.get(b).lastHidden().toArray(), batched.get(b).lastHidden().toArray(), where + ": last hidden");
                    from[b] += chunks.get(i).length;
                    assertEquals(from[b], batched.get(b).position(), where + ": position");
                }
            }
        }
    }
}
