package org.dsv32.conformance.properties;

import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;

/** {@link ActQuantProperties} for the reference backend (against itself: the comparison machinery end to end). */
class ReferenceActQuantConformanceProperties extends ActQuantProperties {
    @Override protected Backend backend() { return new ReferenceBackend(); }
}
