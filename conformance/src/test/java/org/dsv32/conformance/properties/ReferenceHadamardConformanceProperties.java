package org.dsv32.conformance.properties;

import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;

/** {@link HadamardProperties} for the reference backend (against itself: the comparison machinery end to end). */
class ReferenceHadamardConformanceProperties extends HadamardProperties {
    @Override protected Backend backend() { return new ReferenceBackend(); }
}
