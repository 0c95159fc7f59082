package org.dsv32.conformance.properties;

import org.dsv32.optimized.SimdBackend;
import org.dsv32.spec.backend.Backend;

/** {@link LinearProperties} for the simd backend; skipped as NOT IMPLEMENTED until it has the operation. */
class SimdLinearConformanceProperties extends LinearProperties {
    @Override protected Backend backend() { return new SimdBackend(); }
}
