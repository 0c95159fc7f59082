package org.dsv32.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dsv32.conformance.golden.GoldenOps;
import org.dsv32.conformance.mutants.Mutant;
import org.dsv32.conformance.mutants.MutantCatalogue;
import org.dsv32.spec.ops.OperationCatalog;
import org.junit.jupiter.api.Test;

/**
 * The one declaration per operation: {@link Operations#ALL} is the catalogue, what the suites derive from it is in
 * its order, a forgotten or stray declaration is refused by name, and every operation's check is proven able to fail
 * (some mutant of the catalogue names it as its killer; MutantCatalogueTest shows each such mutant is killed).
 */
class OperationsTest {
    @Test
    void theDeclarationsAreTheCatalogueInItsOrder() {
        assertEquals(OperationCatalog.ALL, Operations.ALL.stream().map(OperationDescriptor::contract).toList());
        assertEquals(OperationCatalog.ALL.stream().map(OperationCatalog::label).toList(), Operations.labels());
        assertEquals(Operations.ALL.stream().map(OperationDescriptor::check).toList(), OperationSuite.checks());
        assertEquals(Operations.ALL.stream().map(OperationDescriptor::golden).toList(), GoldenOps.ALL);
        for (OperationDescriptor<?> d : Operations.ALL) {
            assertEquals(d, Operations.of(d.contract()).orElseThrow());
            assertEquals(d, Operations.byLabel(d.label()).orElseThrow());
        }
    }

    @Test
    void aCataloguedOperationWithoutItsDeclarationIsRefusedByName() {
        List<OperationDescriptor<?>> missingOne = new ArrayList<>(Operations.ALL);
        OperationDescriptor<?> gone = missingOne.remove(5);
        var e = assertThrows(IllegalStateException.class, () -> Operations.inCatalogueOrder(missingOne));
        assertTrue(e.getMessage().contains(gone.contract().getSimpleName()), e.getMessage());

        List<OperationDescriptor<?>> twice = new ArrayList<>(Operations.ALL);
        twice.add(Operations.ALL.getFirst());
        assertThrows(IllegalStateException.class, () -> Operations.inCatalogueOrder(twice));
    }

    @Test
    void aDescriptorWhoseCheckOrGoldenIsOfAnotherOperationIsRefused() {
        OperationDescriptor<?> a = Operations.ALL.get(0), b = Operations.ALL.get(1);
        assertThrows(IllegalArgumentException.class, () -> mismatched(a, b));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object mismatched(OperationDescriptor a, OperationDescriptor b) {
        return new OperationDescriptor(a.contract(), b.check(), a.golden());
    }

    @Test
    void everyOperationsCheckIsTheNamedKillerOfSomeMutant() {
        List<String> unproven = new ArrayList<>();
        for (OperationDescriptor<?> d : Operations.ALL) {
            if (MutantCatalogue.all().stream().map(Mutant::expectedKiller).noneMatch(k -> k == d.contract())) unproven.add(d.label());
        }
        assertTrue(unproven.isEmpty(), "checks that no mutant proves able to fail: " + unproven);
    }
}
