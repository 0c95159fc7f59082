package org.dsv32.conformance.properties;

import org.dsv32.optimized.SimdBackend;
import org.dsv32.spec.backend.Backend;

/** {@link RmsNormProperties} for the simd backend; skipped as NOT IMPLEMENTED until it has the operation. */
class SimdRmsNormConformanceProperties extends RmsNormProperties {
    @Override protected Backend backend() { return new SimdBackend(); }
}
