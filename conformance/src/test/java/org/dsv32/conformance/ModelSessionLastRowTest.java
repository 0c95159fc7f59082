package org.dsv32.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.optimized.SimdBackend;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Availability;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.backend.RegistryBackend;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.ModelSession;
import org.dsv32.spec.ops.Operation;
import org.dsv32.spec.ops.OperationCatalog;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ModelWeights;
import org.dsv32.spec.weights.Weight;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ModelSession#forwardLast}: the last row of {@link ModelSession#forward}'s logits, bit for bit, with the LM
 * head run on that one row only (counted through the backend's LinearOp), on every CPU backend.
 */
class ModelSessionLastRowTest {
    /** {@code inner} composed over itself, its LinearOp recording the row count of every product with the LM head. */
    static final class CountingHead extends RegistryBackend {
        final List<Integer> headRows = new ArrayList<>();
        private final Backend inner;

        CountingHead(RegistryBackend inner) {
            this.inner = inner;
            for (Class<? extends Operation> op : OperationCatalog.ALL) compose(op, inner);
            register(LinearOp.class, (ctx, self) -> {
                LinearOp real = inner.require(LinearOp.class, ctx);
                return new LinearOp() {
                    @Override public TensorF64 apply(TensorF64 x, Weight w) {
                        if (w.name().equals("lm_head.weight")) headRows.add(x.rows());
                        return real.apply(x, w);
                    }
                };
            });
        }

        private <T extends Operation> void compose(Class<T> op, RegistryBackend to) { delegateComposed(op, to); }

        @Override public String name() { return inner.name() + "+counting-head"; }

        @Override public String description() { return "test"; }

        @Override public Availability availability() { return Availability.yes(); }
    }

    static Stream<RegistryBackend> backends() { return Stream.of(new ReferenceBackend(), new SimdBackend()); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void lastRowOnlyAndTheSameBits(RegistryBackend backend) {
        ModelConfig c = ConformanceConfigs.small();
        SplittableRandom rng = new SplittableRandom(7);
        ModelWeights w = RandomWeights.model(rng, c, c.activationScaleFormat());
        int[] prompt = {3, 1, 4, 1, 5, 9, 2}, next = {6};
        CountingHead counting = new CountingHead(backend);
        OpContext ctx = new OpContext(c, PrecisionMode.FP8);
        ModelSession full = counting.require(ModelOp.class, ctx).open(w), last = counting.require(ModelOp.class, ctx).open(w);

        TensorF64 all = full.forward(prompt);
        TensorF64 one = last.forwardLast(prompt);
        assertEquals(List.of(prompt.length, 1), counting.headRows, "LM head rows: forward, then forwardLast");
        assertEquals(1, one.rows());
        assertArrayEquals(all.rowArray(all.rows() - 1), one.rowArray(0), 0);
        assertArrayEquals(full.lastHidden().toArray(), last.lastHidden().toArray(), 0, "lastHidden keeps every row");
        assertEquals(full.position(), last.position());

        assertArrayEquals(full.forward(next).rowArray(0), last.forwardLast(next).rowArray(0), 0, "the decode step after it");
        assertEquals(prompt.length + 1, last.position());
    }
}
