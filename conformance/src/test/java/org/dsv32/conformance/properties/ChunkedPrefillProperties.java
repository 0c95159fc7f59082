package org.dsv32.conformance.properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.metrics.Metrics;
import org.dsv32.spec.ops.ModelSession;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;

/**
 * Chunked prefill (spec/SEMANTICS.md §10c): ANY split of a sequence into chunks, each fed by one
 * {@code ModelSession.forward} at the position the earlier chunks left, gives the logits of one prefill of the whole
 * sequence — on every backend that runs the model, the reference included. Chunks of one token are decode steps,
 * so this extends decode-equals-prefill. The bound is the row calc_diff of the existing decode-equals-prefill tests:
 * {@link KernelTolerances#EXACT_ROW_CALC_DIFF} in exact mode; in fp8 mode {@link KernelTolerances#rowCalcDiff}, since a
 * float32 backend's two paths may land an activation on the two sides of an e4m3 midpoint. Not in bf16 mode: there a
 * prefill (the naive attention form) and a decode step (the absorbed form) store bf16 at different points by design
 * (spec/SEMANTICS.md §5c, B8 and B9), so their logits differ by bf16 roundings, not by a bug.
 */
class ChunkedPrefillProperties {
    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<PrecisionMode> modes() { return net.jqwik.api.Arbitraries.of(PrecisionMode.EXACT, PrecisionMode.FP8); }

    @Property(tries = 24, seed = "1017")
    void anySplitIntoChunksGivesTheLogitsOfOnePrefill(@ForAll @Size(min = 1, max = 5) List<@IntRange(min = 1, max = 5) Integer> chunks,
                                                      @ForAll long seed, @ForAll("modes") PrecisionMode mode) {
        int n = chunks.stream().mapToInt(Integer::intValue).sum();
        int[] tokens = SequenceFixture.tokens(seed, n);
        for (Backend b : SequenceFixture.backends()) {
            TensorF64 whole = SequenceFixture.open(b, mode).forward(tokens);
            ModelSession s = SequenceFixture.open(b, mode);
            int from = 0;
            for (int len : chunks) {
                TensorF64 part = s.forward(Arrays.copyOfRange(tokens, from, from + len));
                for (int r = 0; r < len; r++) {
                    double cd = Metrics.calcDiff(part.rowArray(r), whole.rowArray(from + r));
                    String where = b.name() + " " + mode + " chunks " + chunks + ": token " + (from + r) + " (row " + r + " of the chunk at " + from + ")";
                    assertTrue(cd <= KernelTolerances.rowCalcDiff(mode), where + ": calc_diff " + cd);
                }
                from += len;
                assertEquals(from, s.position(), b.name() + ": position after the chunk");
            }
        }
    }
}
