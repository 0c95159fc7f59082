package org.dsv32.conformance.properties;

import java.util.ArrayList;
import java.util.List;
import org.dsv32.conformance.OperationDescriptor;
import org.dsv32.conformance.Operations;
import org.dsv32.spec.backend.Backend;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.opentest4j.TestAbortedException;

/**
 * The (backend, operation) pairs the conformance properties do NOT cover, each as a SKIPPED test whose reason says
 * why (UNAVAILABLE with the backend's own reason, or NOT IMPLEMENTED) — so a run without a GPU shows every cuda
 * property it could not run, and none of them is counted as passed.
 */
class CandidateCoverageTest {
    @TestFactory
    List<DynamicTest> pairsNotCoveredByTheProperties() {
        List<DynamicTest> out = new ArrayList<>();
        for (Backend b : OperationProperties.nonReferenceBackends()) {
            for (OperationDescriptor<?> d : Operations.ALL) {
                if (OperationProperties.implementsOperation(b, d.contract())) continue;
                String why = b.availability().available()
                        ? "NOT IMPLEMENTED: backend '" + b.name() + "' does not implement " + d.contract().getSimpleName()
                        : "UNAVAILABLE: backend '" + b.name() + "': " + b.availability().reason();
                String message = why + " (the " + d.label() + " properties did not run on it)";
                out.add(DynamicTest.dynamicTest(b.name() + " " + d.label(), () -> {
                    System.err.println(message);
                    throw new TestAbortedException(message);
                }));
            }
        }
        return out;
    }
}
