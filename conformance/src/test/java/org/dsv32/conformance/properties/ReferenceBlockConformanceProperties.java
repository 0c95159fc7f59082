package org.dsv32.conformance.properties;

import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;

/** {@link BlockProperties} for the reference backend (against itself: the comparison machinery end to end). */
class ReferenceBlockConformanceProperties extends BlockProperties {
    @Override protected Backend backend() { return new ReferenceBackend(); }
}
