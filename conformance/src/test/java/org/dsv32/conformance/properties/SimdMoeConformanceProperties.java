package org.dsv32.conformance.properties;

import org.dsv32.optimized.SimdBackend;
import org.dsv32.spec.backend.Backend;

/** {@link MoeProperties} for the simd backend; skipped as NOT IMPLEMENTED until it has the operation. */
class SimdMoeConformanceProperties extends MoeProperties {
    @Override protected Backend backend() { return new SimdBackend(); }
}
