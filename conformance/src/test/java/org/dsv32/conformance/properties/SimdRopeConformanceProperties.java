package org.dsv32.conformance.properties;

import org.dsv32.optimized.SimdBackend;
import org.dsv32.spec.backend.Backend;

/** {@link RopeProperties} for the simd backend; skipped as NOT IMPLEMENTED until it has the operation. */
class SimdRopeConformanceProperties extends RopeProperties {
    @Override protected Backend backend() { return new SimdBackend(); }
}
