package org.dsv32.conformance.properties;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dsv32.conformance.AbstractOperationCheck;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.ModeTier;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.Backends;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.ops.Operation;

/**
 * The common part of the conformance properties (in the style of EJML's generic checks): each operation's property
 * class (one per operation, given its check) generates seeded, shrinkable cases from jqwik arbitraries and compares EVERY candidate backend on the class
 * path (every one but the reference that is available and implements the operation) with the float64 reference,
 * through the same {@link AbstractOperationCheck} logic as {@code ./dsv32 conform}. A candidate that is unavailable or
 * lacks the operation is not silently dropped: {@link CandidateCoverageTest} reports each such pair as a skipped
 * test with its reason.
 */
public abstract class OperationProperties<K extends AbstractOperationCheck<?, ?>> {
    private static final List<Backend> BACKENDS = Backends.all();

    /** The check whose logic the properties use (it names the operation). */
    protected final K check;

    protected OperationProperties(K check) { this.check = check; }

    /** The float64 reference. */
    static Backend reference() { return Backends.byName("reference"); }

    /** Every backend but the reference, available or not, in {@link Backends#all()}'s order. */
    static List<Backend> nonReferenceBackends() {
        return BACKENDS.stream().filter(b -> !b.name().equals("reference")).toList();
    }

    /** Whether {@code b} is available and provides {@code op} (probed on the small conformance config). */
    static boolean implementsOperation(Backend b, Class<? extends Operation> op) {
        if (!b.availability().available()) return false;
        try {
            return b.operation(op, new OpContext(ConformanceConfigs.small(), PrecisionMode.EXACT)).isPresent();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The backends the properties of {@code op} run on. */
    static List<Backend> candidates(Class<? extends Operation> op) {
        List<Backend> out = new ArrayList<>();
        for (Backend b : nonReferenceBackends()) if (implementsOperation(b, op)) out.add(b);
        return out;
    }

    /**
     * Runs {@code c} under {@code mt} on every candidate and fails with the first failing candidate's reasons. With no
     * candidate at all it fails too: a property that compares nothing would pass vacuously.
     */
    protected <C extends AbstractOperationCheck.Case> void assertConforms(AbstractOperationCheck<?, C> check, C c, ModeTier mt) {
        List<Backend> candidates = candidates(check.operation());
        assertFalse(candidates.isEmpty(), () -> "no backend but the reference implements " + check.operation().getSimpleName());
        Backend reference = reference();
        for (Backend b : candidates) {
            // a backend may lack a mode (cuda has no bf16 arithmetic): then it has nothing to compare in this one
            if (b.operation(check.operation(), new OpContext(ConformanceConfigs.small(), mt.candidateMode())).isEmpty()) continue;
            CaseResult r = check.runOne(c, b, reference, mt);
            if (r == null) continue;
            assertTrue(r.passed(), () -> b.name() + " " + mt.label() + " " + r.name() + ": " + r.failures());
        }
    }

    /** The check's comparison number {@code i} (modulo their count): lets jqwik pick and shrink the mode and tier. */
    protected static ModeTier modeTier(AbstractOperationCheck<?, ?> check, int i) {
        return check.modeTiers().get(Math.floorMod(i, check.modeTiers().size()));
    }
}
