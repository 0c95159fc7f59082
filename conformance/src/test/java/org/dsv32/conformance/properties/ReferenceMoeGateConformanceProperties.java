package org.dsv32.conformance.properties;

import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;

/** {@link MoeGateProperties} for the reference backend (against itself: the comparison machinery end to end). */
class ReferenceMoeGateConformanceProperties extends MoeGateProperties {
    @Override protected Backend backend() { return new ReferenceBackend(); }
}
