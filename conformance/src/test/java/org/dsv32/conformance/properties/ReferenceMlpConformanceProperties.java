package org.dsv32.conformance.properties;

import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;

/** {@link MlpProperties} for the reference backend (against itself: the comparison machinery end to end). */
class ReferenceMlpConformanceProperties extends MlpProperties {
    @Override protected Backend backend() { return new ReferenceBackend(); }
}
