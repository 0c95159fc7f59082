package org.dsv32.conformance.properties;

import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;

/** {@link RmsNormProperties} for the reference backend (against itself: the comparison machinery end to end). */
class ReferenceRmsNormConformanceProperties extends RmsNormProperties {
    @Override protected Backend backend() { return new ReferenceBackend(); }
}
