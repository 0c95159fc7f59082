package org.dsv32.conformance.properties;

import org.dsv32.optimized.SimdBackend;
import org.dsv32.spec.backend.Backend;

/** {@link HadamardProperties} for the simd backend; skipped as NOT IMPLEMENTED until it has the operation. */
class SimdHadamardConformanceProperties extends HadamardProperties {
    @Override protected Backend backend() { return new SimdBackend(); }
}
