package org.dsv32.conformance.properties;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dsv32.conformance.AbstractOperationCheck;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.ModeTier;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.SkipExecutionHook;
import org.dsv32.conformance.ConformanceConfigs;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.opentest4j.TestAbortedException;

/**
 * The common part of the generic conformance properties (in the style of EJML's generic checks): a subclass per
 * backend supplies {@link #backend()}; the operation bases generate seeded, shrinkable cases and compare the backend
 * with the reference through the same {@link AbstractOperationCheck} logic as {@code ./dsv32 conform}. A backend that
 * lacks the operation is SKIPPED with a NOT IMPLEMENTED message (an unavailable one with UNAVAILABLE and its reason)
 * — never a pass.
 */
@AddLifecycleHook(OperationProperties.SkipNotImplemented.class)
public abstract class OperationProperties {
    private static final Backend REFERENCE = new ReferenceBackend();

    /** The backend under test. */
    protected abstract Backend backend();

    /** The check whose logic the properties use (it names the operation). */
    protected abstract AbstractOperationCheck<?, ?> check();

    protected Backend reference() { return REFERENCE; }

    /** Whether the backend under test provides the checked operation. */
    final boolean implemented() {
        try {
            return backend().operation(check().operation(), new OpContext(ConformanceConfigs.small(), PrecisionMode.EXACT)).isPresent();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Skips every property of a backend that lacks the operation — before any input is generated — with a
     * NOT IMPLEMENTED reason in the test report and on stderr. A skip, never a pass.
     */
    public static final class SkipNotImplemented implements SkipExecutionHook {
        @Override
        public SkipResult shouldBeSkipped(LifecycleContext context) {
            var type = context.optionalContainerClass().orElse(null);
            if (type == null || java.lang.reflect.Modifier.isAbstract(type.getModifiers())) return SkipResult.doNotSkip();
            try {
                var ctor = type.getDeclaredConstructor();
                ctor.setAccessible(true);
                OperationProperties p = (OperationProperties) ctor.newInstance();
                var avail = p.backend().availability();
                if (!avail.available()) {
                    String m = "UNAVAILABLE: backend '" + p.backend().name() + "': " + avail.reason() + " (" + type.getSimpleName() + " skipped)";
                    System.err.println(m);
                    return SkipResult.skip(m);
                }
                if (p.implemented()) return SkipResult.doNotSkip();
                String m = "NOT IMPLEMENTED: backend '" + p.backend().name() + "' does not implement "
                        + p.check().operation().getSimpleName() + " (" + type.getSimpleName() + " skipped)";
                System.err.println(m);
                return SkipResult.skip(m);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot instantiate " + type.getName(), e);
            }
        }

        @Override
        public PropagationMode propagateTo() { return PropagationMode.ALL_DESCENDANTS; }
    }

    /** Runs {@code c} under {@code mt} and fails with the case's reasons unless it passes. */
    protected <C extends AbstractOperationCheck.Case> void assertConforms(AbstractOperationCheck<?, C> check, C c, ModeTier mt) {
        CaseResult r;
        try {
            r = check.runOne(c, backend(), reference(), mt);
        } catch (AbstractOperationCheck.NotImplemented e) {
            throw new TestAbortedException(e.getMessage()); // the skip hook normally prevents this
        }
        if (r == null) return;
        CaseResult res = r;
        assertTrue(res.passed(), () -> backend().name() + " " + mt.label() + " " + res.name() + ": " + res.failures());
    }

    /** The check's comparison number {@code i} (modulo their count): lets jqwik pick and shrink the mode and tier. */
    protected static ModeTier modeTier(AbstractOperationCheck<?, ?> check, int i) {
        return check.modeTiers().get(Math.floorMod(i, check.modeTiers().size()));
    }
}
