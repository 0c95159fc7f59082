package org.dsv32.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.dsv32.optimized.SimdBackend;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Availability;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.RegistryBackend;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.BlockOp;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.MtpOp;
import org.dsv32.spec.ops.Operation;
import org.dsv32.spec.ops.OperationCatalog;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.ops.RopeOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The simd composites' contract paths on the CPU. A simd composite takes its parts from its backend; when a part is
 * simd's own class it calls the float-array kernel directly, otherwise it goes through the operation's contract
 * (float32 widened to a TensorF64 and rounded back). Without this test those paths would only run under the cuda
 * composition, on a GPU.
 *
 * <ul>
 * <li>With every part hidden behind a proxy (the same simd operations, but not simd's classes), every composite must
 * give the SAME BITS as plain simd: identical error statistics against the reference, case by case.</li>
 * <li>With one part at a time taken from the float64 reference (simd composed over the reference op by op), every
 * composite must still conform to the reference.</li>
 * </ul>
 */
class SimdContractPathsTest {
    private static final Backend REFERENCE = new ReferenceBackend();
    private static final CheckOptions QUICK = CheckOptions.quickDefaults();
    /** The composites whose checks run: the block and model cover MLA, the indexer, the MoE and the MLP inside them. */
    private static final Set<Class<? extends Operation>> COMPOSITES = Set.of(BlockOp.class, ModelOp.class, MtpOp.class);

    /** simd composed over itself; the operations in {@code hidden} are handed out behind a proxy, those in {@code fromReference} are the reference's. */
    static final class ComposedSimd extends RegistryBackend {
        private final Set<Class<? extends Operation>> hidden;
        private final String name;

        ComposedSimd(String name, Set<Class<? extends Operation>> hidden, Set<Class<? extends Operation>> fromReference) {
            this.name = name;
            this.hidden = hidden;
            SimdBackend simd = new SimdBackend();
            for (Class<? extends Operation> op : OperationCatalog.ALL) {
                if (fromReference.contains(op)) delegateTo(op, REFERENCE);
                else composeOver(op, simd);
            }
        }

        private <T extends Operation> void delegateTo(Class<T> op, Backend to) { delegate(op, to); }

        private <T extends Operation> void composeOver(Class<T> op, RegistryBackend to) { delegateComposed(op, to); }

        @Override
        public <T extends Operation> Optional<T> operation(Class<T> type, OpContext context) {
            Optional<T> op = super.operation(type, context);
            return hidden.contains(type) ? op.map(o -> proxy(type, o)) : op;
        }

        @Override public String name() { return name; }

        @Override public String description() { return "simd composed over " + name; }

        @Override public Availability availability() { return Availability.yes(); }
    }

    /** {@code target} behind an object of another class that implements only {@code type}. */
    static <T extends Operation> T proxy(Class<T> type, T target) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, m, args) -> {
            try {
                return m.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }));
    }

    private static List<OperationCheck> compositeChecks() {
        return Operations.ALL.stream().filter(d -> COMPOSITES.contains(d.contract())).<OperationCheck>map(OperationDescriptor::check).toList();
    }

    @Test
    void partsBehindTheContractGiveTheSameBitsAsSimdsOwnClasses() {
        Set<Class<? extends Operation>> all = Set.copyOf(OperationCatalog.ALL);
        Backend hiddenParts = new ComposedSimd("simd-behind-proxies", all, Set.of());
        Backend simd = new SimdBackend();
        for (OperationCheck check : compositeChecks()) {
            List<CheckResult> direct = check.run(simd, REFERENCE, QUICK, Progress.NONE);
            List<CheckResult> viaContract = check.run(hiddenParts, REFERENCE, QUICK, Progress.NONE);
            assertEquals(direct.size(), viaContract.size());
            for (int i = 0; i < direct.size(); i++) {
                CheckResult a = direct.get(i), b = viaContract.get(i);
                assertEquals(Status.PASS, a.status(), a.key());
                assertEquals(Status.PASS, b.status(), () -> b.key() + ": " + b.cases().stream().flatMap(c -> c.failures().stream()).toList());
                assertFalse(a.cases().isEmpty(), a.key());
                // the same outputs give the same error statistics to the last bit, case by case
                assertEquals(fingerprints(a), fingerprints(b), () -> a.key() + ": the contract path changed the bits");
            }
        }
    }

    /** Each case's name, statistics (every element's relative error included) and decisions, exactly. */
    private static List<String> fingerprints(CheckResult r) {
        return r.cases().stream().map(c -> c.name() + " " + c.stats().toString().replaceAll("relErrors=\\[D@\\p{XDigit}+", "")
                + " " + java.util.Arrays.toString(c.stats().relErrors()) + " " + c.decisions() + " " + c.failures()).toList();
    }

    static Stream<Class<? extends Operation>> parts() {
        return Stream.of(ActQuantOp.class, LinearOp.class, RmsNormOp.class, LayerNormOp.class, RopeOp.class, HadamardOp.class, MlpOp.class);
    }

    @ParameterizedTest(name = "{0} from the reference")
    @MethodSource("parts")
    void compositesOverOneReferencePartStillConform(Class<? extends Operation> part) {
        Backend mixed = new ComposedSimd("simd+reference-" + OperationCatalog.label(part), Set.of(), Set.of(part));
        assertEquals(Optional.of("reference"), mixed.delegateOf(part));
        for (OperationCheck check : compositeChecks()) {
            for (CheckResult r : check.run(mixed, REFERENCE, QUICK, Progress.NONE)) {
                assertTrue(r.status() == Status.PASS, () -> r.key() + " " + r.status() + ": "
                        + r.cases().stream().flatMap(c -> c.failures().stream()).toList());
            }
        }
    }
}
