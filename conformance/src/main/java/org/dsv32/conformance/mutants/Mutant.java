package org.dsv32.conformance.mutants;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.ops.Operation;
import org.dsv32.spec.ops.OperationCatalog;

/**
 * One known port bug, remembered as a backend: the float64 reference with exactly that bug injected into one
 * operation (a subclass of the reference operation that overrides one method).
 *
 * @param id             kebab-case name, stable: reports, {@code --only} and MUTANTS.md use it
 * @param factSheet      the wording of spec/SEMANTICS.md §12 this mutant realises, or null for a bug that is
 *                       not on that list (kept because a check was proven against it)
 * @param detail         what exactly is wrong, in one sentence
 * @param operation      the operation whose reference implementation carries the bug
 * @param expectedKiller the operation whose conformance check is expected to catch it first
 * @param backend        makes the mutant backend (a new instance per call)
 */
public record Mutant(String id, String factSheet, String detail, Class<? extends Operation> operation,
                     Class<? extends Operation> expectedKiller, Supplier<Backend> backend) {
    public Mutant {
        if (!id.matches("[a-z0-9]+(-[a-z0-9]+)*")) throw new IllegalArgumentException("mutant id '" + id + "' is not kebab-case");
    }

    /** Whether this bug is on the list of known port bugs (spec/SEMANTICS.md §12). */
    public boolean fromSection12() { return factSheet != null; }

    /** The wording shown in tables: spec/SEMANTICS.md's phrase and the detail, or the detail alone. */
    public String bug() { return factSheet == null ? detail : factSheet + ": " + detail; }

    /** Report label of the mutated operation ("indexer", "moe_gate", ...). */
    public String operationLabel() { return OperationCatalog.label(operation); }

    /** Report label of the check expected to kill it. */
    public String expectedKillerLabel() { return OperationCatalog.label(expectedKiller); }

    /**
     * The reference class and the methods the mutant's operation overrides, found by reflection on an instance
     * bound to the conformance configuration: {@code ReferenceIndexer.ropeLayout()}.
     */
    public String injectedAt() {
        Class<?> c = backend.get().require(operation, new OpContext(ConformanceConfigs.small(), PrecisionMode.EXACT)).getClass();
        List<String> names = overriddenMethods(c).stream().map(m -> m.getName() + "()").toList();
        return c.getSuperclass().getSimpleName() + "." + String.join(", ", names);
    }

    /** The methods a mutant operation class declares itself (compiler-generated ones left out). */
    static List<Method> overriddenMethods(Class<?> c) {
        return Arrays.stream(c.getDeclaredMethods())
                .filter(m -> !m.isSynthetic() && !m.isBridge() && !Modifier.isStatic(m.getModifiers()))
                .sorted(java.util.Comparator.comparing(Method::getName))
                .toList();
    }
}
