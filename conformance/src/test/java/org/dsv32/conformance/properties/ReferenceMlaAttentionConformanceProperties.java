package org.dsv32.conformance.properties;

import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;

/** {@link MlaAttentionProperties} for the reference backend (against itself: the comparison machinery end to end). */
class ReferenceMlaAttentionConformanceProperties extends MlaAttentionProperties {
    @Override protected Backend backend() { return new ReferenceBackend(); }
}
