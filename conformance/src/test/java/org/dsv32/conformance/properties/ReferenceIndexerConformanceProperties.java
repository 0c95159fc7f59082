package org.dsv32.conformance.properties;

import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;

/** {@link IndexerProperties} for the reference backend (against itself: the comparison machinery end to end). */
class ReferenceIndexerConformanceProperties extends IndexerProperties {
    @Override protected Backend backend() { return new ReferenceBackend(); }
}
