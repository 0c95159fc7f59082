package org.dsv32.conformance.properties;

import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;

/** {@link MoeProperties} for the reference backend (against itself: the comparison machinery end to end). */
class ReferenceMoeConformanceProperties extends MoeProperties {
    @Override protected Backend backend() { return new ReferenceBackend(); }
}
