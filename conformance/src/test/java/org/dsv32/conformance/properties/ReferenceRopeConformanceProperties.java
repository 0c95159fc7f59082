package org.dsv32.conformance.properties;

import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;

/** {@link RopeProperties} for the reference backend (against itself: the comparison machinery end to end). */
class ReferenceRopeConformanceProperties extends RopeProperties {
    @Override protected Backend backend() { return new ReferenceBackend(); }
}
