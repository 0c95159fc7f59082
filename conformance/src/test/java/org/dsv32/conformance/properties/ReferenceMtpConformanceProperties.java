package org.dsv32.conformance.properties;

import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;

/** {@link MtpProperties} for the reference backend (against itself: the comparison machinery end to end). */
class ReferenceMtpConformanceProperties extends MtpProperties {
    @Override protected Backend backend() { return new ReferenceBackend(); }
}
